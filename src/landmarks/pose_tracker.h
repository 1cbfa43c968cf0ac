// Pose part of MediaPipe Holistic (pose_landmark/pose_landmark_cpu.pbtxt): the pose detector runs only
// when there is no ROI from the previous frame; the pose landmark model runs in the ROI; the next ROI
// comes from this frame's (always smoothed) auxiliary landmarks.
// Thread: one at a time. It owns only the stream's state; the XNNPACK runtimes are lent to each call
// by the thread running it (HolisticRuntimes), so a runtime set serves every stream of its thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "landmarks/model.h"
#include "landmarks/one_euro.h"
#include "landmarks/roi.h"
#include "landmarks/stage_times.h"

namespace sueo::landmarks {

using PoseLandmarks = std::array<Landmark, 33>;

class PoseTracker {
 public:
  PoseTracker();

  // The pose in normalised image coordinates, or nullopt when there is none. `timestamp_us` must
  // increase from frame to frame (it drives the ROI smoothing filter).
  // `detection`: a runtime of pose_detection.tflite; `landmarks`: of pose_landmark_full.tflite loaded
  // with the outputs {"Identity" (landmarks), "Identity_1" (pose flag), "Identity_3" (heatmap)}.
  std::optional<PoseLandmarks> process(Runtime& detection, Runtime& landmarks, const uint8_t* rgb,
                                       ImageSize image, int64_t timestamp_us, StageTimes* times);
  void reset();

 private:
  std::optional<NormRect> detect(Runtime& detection, const uint8_t* rgb, ImageSize image);
  std::optional<std::array<Landmark, 39>> landmarks_in(Runtime& landmarks, const uint8_t* rgb,
                                                       ImageSize image, const NormRect& roi);

  LandmarkSmoother aux_filter_;
  std::optional<NormRect> next_roi_;
};

}  // namespace sueo::landmarks
