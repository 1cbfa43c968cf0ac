// The one-euro filter as MediaPipe implements it (mediapipe/util/filtering/one_euro_filter.cc,
// low_pass_filter.cc), and the landmark wrapper of LandmarksSmoothingCalculator
// (calculators/util/landmarks_smoothing_calculator_utils.cc). MediaPipe Holistic always runs it on the
// two auxiliary pose landmarks that place the next pose ROI, so matching it matters for tracking.
// Thread: one at a time (per-stream state).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "landmarks/roi.h"

namespace sueo::landmarks {

class OneEuroFilter {
 public:
  OneEuroFilter(double frequency, double min_cutoff, double beta, double derivate_cutoff);
  // `timestamp_us`: strictly increasing; a stamp not after the last one returns `value` unfiltered and
  // leaves the state alone (as MediaPipe does, including for a first stamp of 0).
  double apply(int64_t timestamp_us, double value_scale, double value);

 private:
  struct LowPass {  // MediaPipe's LowPassFilter keeps float state
    bool initialized = false;
    float raw = 0, stored = 0;
    float apply(float value, float alpha);
  };
  double alpha(double cutoff) const;

  double frequency_, min_cutoff_, beta_, derivate_cutoff_;
  LowPass x_, dx_;
  int64_t last_time_ns_ = 0;
};

// One-euro filter on a list of normalised landmarks (x, y, z), done in pixels like MediaPipe:
// value_scale = 1 / object_scale (pixels).
class LandmarkSmoother {
 public:
  LandmarkSmoother(double frequency, double min_cutoff, double beta, double derivate_cutoff);
  void apply(std::span<Landmark> landmarks, int64_t timestamp_us, float object_scale_px, ImageSize image);
  void reset() { filters_.clear(); }

 private:
  double frequency_, min_cutoff_, beta_, derivate_cutoff_;
  std::vector<OneEuroFilter> filters_;  // x, y, z per landmark
};

}  // namespace sueo::landmarks
