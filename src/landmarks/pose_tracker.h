// Pose part of MediaPipe Holistic (pose_landmark/pose_landmark_cpu.pbtxt): the pose detector runs only
// when there is no ROI from the previous frame; the pose landmark model runs in the ROI; the next ROI
// comes from this frame's (always smoothed) auxiliary landmarks.
// Thread: one at a time (owns per-stream state and its own XNNPACK runtimes).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "landmarks/anchors.h"
#include "landmarks/model.h"
#include "landmarks/one_euro.h"
#include "landmarks/roi.h"
#include "landmarks/stage_times.h"

namespace sueo::landmarks {

using PoseLandmarks = std::array<Landmark, 33>;

class PoseTracker {
 public:
  // `detection`: pose_detection.tflite; `landmarks`: pose_landmark_full.tflite loaded with the outputs
  // {"Identity" (landmarks), "Identity_1" (pose flag), "Identity_3" (heatmap)}.
  // `threads`: XNNPACK threads per model run (1: none, the server parallelises across sessions).
  PoseTracker(std::shared_ptr<const Model> detection, std::shared_ptr<const Model> landmarks,
              int threads = 1);

  // The pose in normalised image coordinates, or nullopt when there is none. `timestamp_us` must
  // increase from frame to frame (it drives the ROI smoothing filter).
  std::optional<PoseLandmarks> process(const uint8_t* rgb, ImageSize image, int64_t timestamp_us,
                                       StageTimes* times);
  void reset();

 private:
  std::optional<NormRect> detect(const uint8_t* rgb, ImageSize image);
  std::optional<std::array<Landmark, 39>> landmarks_in(const uint8_t* rgb, ImageSize image,
                                                       const NormRect& roi);

  Runtime detection_;
  Runtime landmarks_;
  std::vector<Anchor> anchors_;
  LandmarkSmoother aux_filter_;
  std::optional<NormRect> next_roi_;
};

}  // namespace sueo::landmarks
