// MediaPipe Holistic (pose + both hands; no face) as plain code: the public API of the landmarks area.
//
//   auto models = HolisticModels::load("models");      // once per process, shared by all threads
//   HolisticTracker tracker(models);                    // one per stream (session)
//   FrameLandmarks f = tracker.process(rgb, w, h);      // each frame, in order
//
// Output layout (the KSL datasets' and most KSL projects' 258 values): [0:132] pose 33 × (x, y, z,
// visibility), [132:195] left hand 21 × (x, y, z), [195:258] right hand 21 × (x, y, z); x, y
// normalised by the image width and height; zeros where a part is absent. "Left" is the signer's own
// left hand, found from pose landmarks 15/17/19, as MediaPipe Holistic assigns it (on an unmirrored
// camera image it is on the image's right).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "landmarks/hand_tracker.h"
#include "landmarks/model.h"
#include "landmarks/pose_tracker.h"
#include "landmarks/stage_times.h"

namespace sueo::landmarks {

constexpr int kFrameValues = 258;
constexpr int kLeftHandOffset = 132;
constexpr int kRightHandOffset = 195;

// Cheaper ways through a frame (issue 10), each measured for speed and for accuracy against MediaPipe
// and on recognition in HOLISTIC.md. The defaults are MediaPipe Holistic's own graph and models.
struct HolisticOptions {
  bool lite_pose = false;    // pose_landmark_lite.tflite (MediaPipe's model_complexity 0) for the pose
  bool lite_hands = false;   // hand_landmark_lite.tflite (from @mediapipe/hands) for both hands
  bool track_hands = false;  // no hand_recrop while the hand tracked from the last frame agrees with the pose
};

// The four models' weights and the options they were loaded for. Immutable; any thread.
struct HolisticModels {
  std::shared_ptr<const Model> pose_detection, pose_landmark, hand_recrop, hand_landmark;
  HolisticOptions options;
  // Loads pose_detection, pose_landmark_full (or _lite), hand_recrop and hand_landmark_full (or _lite)
  // from `models_dir` (the files models/fetch.sh extracts). Throws std::runtime_error naming a missing
  // or bad file.
  static std::shared_ptr<const HolisticModels> load(const std::string& models_dir, const HolisticOptions& options = {});
};

struct FrameLandmarks {
  std::array<float, kFrameValues> values{};
  bool pose = false, left_hand = false, right_hand = false;
};

// Per-stream tracking state plus its own XNNPACK runtimes. Thread: one at a time.
class HolisticTracker {
 public:
  // `threads`: XNNPACK threads inside each model run; 1 (no pool) when the server already runs one
  // session per core, 2 to cut one stream's latency on an otherwise idle machine.
  explicit HolisticTracker(std::shared_ptr<const HolisticModels> models, int threads = 1);

  // `rgb`: width × height × 3 bytes, rows packed. Frames must come in time order; `timestamp_us`
  // (strictly increasing) is the frame's time, which MediaPipe's ROI smoothing depends on. Without it
  // the time of the call is used.
  FrameLandmarks process(const uint8_t* rgb, int width, int height, StageTimes* times = nullptr);
  FrameLandmarks process_at(const uint8_t* rgb, int width, int height, int64_t timestamp_us,
                            StageTimes* times = nullptr);
  // Forget the tracked pose and hands (a new sequence, or a cut in the video). Also done by
  // process_at when the frame size changes (a rotated tablet): the ROIs, kept normalised to the old
  // size, would point at the wrong place.
  void reset();

 private:
  std::shared_ptr<const HolisticModels> models_;
  PoseTracker pose_;
  Runtime hand_recrop_;
  Runtime hand_landmark_;
  HandTracker left_, right_;
  ImageSize size_;  // of the last frame
};

}  // namespace sueo::landmarks
