// One hand of MediaPipe Holistic (holistic_landmark/hand_landmarks_from_pose_cpu.pbtxt): a ROI from
// the pose's wrist, pinky and index points, refined by the hand_recrop model; the ROI from the previous
// frame's hand landmarks is kept instead while it agrees with the re-crop (hand_tracking.pbtxt); then
// the hand landmark model in that ROI.
// Thread: one at a time. The runtimes are passed in so both hands, and every stream of a thread, share
// them (HolisticRuntimes).
#pragma once

#include <array>
#include <optional>

#include "landmarks/model.h"
#include "landmarks/roi.h"
#include "landmarks/stage_times.h"

namespace sueo::landmarks {

using HandLandmarks = std::array<Landmark, 21>;

// Pose landmarks that place one hand.
struct HandFromPose {
  Landmark wrist, pinky, index;
};

// The rect geometry of the hand graphs, exposed for tests.
NormRect hand_rect_from_pose(const HandFromPose& pose, ImageSize image);        // before transformation
NormRect hand_rect_from_landmarks(const HandLandmarks& hand, ImageSize image);  // before transformation
bool keep_tracking(const HandLandmarks& prev, const NormRect& prev_rect, const NormRect& recrop_rect,
                   ImageSize image);

class HandTracker {
 public:
  // `recrop`: hand_recrop.tflite; `landmark`: hand_landmark_full.tflite loaded with the outputs
  // {"Identity" (21 × xyz), "Identity_1" (hand flag)}. Returns the hand, or nullopt.
  // `track`: skip the re-crop model while the ROI from the last frame's hand passes MediaPipe's own
  // tracking test against the pose's hand rect (HolisticOptions::track_hands); otherwise, and always
  // when `track` is false, the graph as MediaPipe runs it.
  std::optional<HandLandmarks> process(Runtime& recrop, Runtime& landmark, const uint8_t* rgb,
                                       ImageSize image, const HandFromPose& pose, bool track, StageTimes* times);
  // A frame without the pose (HolisticOptions::pose_every): the hand landmark model in the ROI of the
  // last frame's hand, as MediaPipe's hand tracking graph (hand_landmark_tracking_cpu.pbtxt) runs it
  // between palm detections. Only while tracking(); the hand is lost (nullopt) when the model no longer
  // finds it there.
  std::optional<HandLandmarks> track(Runtime& landmark, const uint8_t* rgb, ImageSize image,
                                     StageTimes* times);
  bool tracking() const { return prev_.has_value(); }
  void reset() { prev_.reset(); }

 private:
  std::optional<HandLandmarks> landmarks_in(Runtime& landmark, const uint8_t* rgb, ImageSize image,
                                            const NormRect& roi, StageTimes* times);

  std::optional<HandLandmarks> prev_;
};

}  // namespace sueo::landmarks
