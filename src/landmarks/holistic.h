// MediaPipe Holistic (pose + both hands; no face) as plain code: the public API of the landmarks area.
//
//   auto models = HolisticModels::load("models");      // once per process, shared by all threads
//   HolisticRuntimes runtimes(models);                  // one per thread that runs the models
//   HolisticTrack track;                                // one per stream (session)
//   FrameLandmarks f = track.process(runtimes, rgb, w, h);  // each frame, in order
//
// or, for one stream on one thread (tools, tests): HolisticTracker tracker(models); tracker.process(...).
//
// Why the split: the runtimes (XNNPACK runtime, packed weights, activation buffers: ~60 MB for the
// four full models) are the memory; the state of a stream (ROIs, smoothing filters, last hands) is a
// few kilobytes. Only as many streams as there are threads can run a model at once, so the server
// keeps one runtime set per worker thread (pipeline/landmark_runtimes.h) and lends it to whichever
// session's frame that worker runs. Runtimes keep nothing from one run to the next that the result
// depends on (every input is written in full, every output read back), so which set a frame runs on
// does not change its landmarks by a bit.
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
#include <optional>
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
  // N > 1: the pose landmark model on one frame in N at most. On the frames between, the pose is held
  // from its last run and each hand tracked at the last frame is found in its own last ROI (as
  // MediaPipe's hand tracking graph runs between palm detections, without the pose); a hand lost
  // there makes the frame run the pose after all; a hand not tracked is looked for where the held
  // pose puts it. On the pose's frames, a tracked hand whose wrist the pose is unsure of (visibility
  // < 0.5 or outside the picture) keeps its own ROI while the hand model finds it there.
  // 1: every frame (MediaPipe Holistic's graph).
  int pose_every = 1;
  // The pose and hand landmark models' arithmetic (the two that cost most of a frame); pose detection
  // and hand_recrop stay XNNPACK f32 (small, and their boxes steer every later crop).
  Precision landmark_precision = Precision::kF32;
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

// The four models' XNNPACK runtimes, lent to one stream's track per call.
// Thread: one at a time — a set is the thread's own (a server worker's, a tool's); two threads must
// never run on the same set. The models it was built for are kept alive by it.
struct HolisticRuntimes {
  // `threads`: XNNPACK threads inside each model run; 1 (no pool) when the server already runs one
  // session per core, 2 to cut one stream's latency on an otherwise idle machine. Throws
  // std::runtime_error on XNNPACK failure.
  explicit HolisticRuntimes(std::shared_ptr<const HolisticModels> models, int threads = 1);

  std::shared_ptr<const HolisticModels> models;
  Runtime pose_detection, pose_landmark, hand_recrop, hand_landmark;
};

// One stream's tracking state, no runtimes. Thread: one at a time (a session's strand), with the
// calling thread's own HolisticRuntimes.
class HolisticTrack {
 public:
  // `rgb`: width × height × 3 bytes, rows packed. Frames must come in time order; `timestamp_us`
  // (strictly increasing) is the frame's time, which MediaPipe's ROI smoothing depends on. Without it
  // the time of the call is used. The options (HolisticOptions) are those of `runtimes.models`.
  FrameLandmarks process(HolisticRuntimes& runtimes, const uint8_t* rgb, int width, int height,
                         StageTimes* times = nullptr);
  FrameLandmarks process_at(HolisticRuntimes& runtimes, const uint8_t* rgb, int width, int height,
                            int64_t timestamp_us, StageTimes* times = nullptr);
  // Forget the tracked pose and hands (a new sequence, or a cut in the video). Also done by
  // process_at when the frame size changes (a rotated tablet): the ROIs, kept normalised to the old
  // size, would point at the wrong place.
  void reset();

 private:
  // With pose_every > 1 (HolisticOptions) a frame may hold the last pose, if every tracked hand is
  // found again in its own last ROI (track_hands_alone); otherwise it runs the pose (run_pose).
  bool can_hold_pose(const HolisticOptions& options) const;
  bool track_hands_alone(HolisticRuntimes& runtimes, const uint8_t* rgb, StageTimes* times,
                         std::optional<HandLandmarks>& left, std::optional<HandLandmarks>& right);
  std::optional<PoseLandmarks> held_pose(StageTimes* times);
  std::optional<PoseLandmarks> run_pose(HolisticRuntimes& runtimes, const uint8_t* rgb, int64_t timestamp_us,
                                        StageTimes* times);
  void place_hands(HolisticRuntimes& runtimes, const uint8_t* rgb, const PoseLandmarks& pose,
                   StageTimes* times, std::optional<HandLandmarks>& left,
                   std::optional<HandLandmarks>& right);

  PoseTracker pose_;
  HandTracker left_, right_;
  ImageSize size_;  // of the last frame
  std::optional<PoseLandmarks> last_pose_;  // of the last frame that ran the pose (pose_every > 1 only)
  int held_ = 0;                            // frames since then
};

// One stream with its own runtime set: for a tool or test that runs one stream on one thread. A
// server session must not hold one (that is ~60 MB a session): it holds a HolisticTrack. Thread: one
// at a time.
class HolisticTracker {
 public:
  explicit HolisticTracker(std::shared_ptr<const HolisticModels> models, int threads = 1)
      : runtimes_(std::move(models), threads) {}

  FrameLandmarks process(const uint8_t* rgb, int width, int height, StageTimes* times = nullptr) {
    return track_.process(runtimes_, rgb, width, height, times);
  }
  FrameLandmarks process_at(const uint8_t* rgb, int width, int height, int64_t timestamp_us,
                            StageTimes* times = nullptr) {
    return track_.process_at(runtimes_, rgb, width, height, timestamp_us, times);
  }
  void reset() { track_.reset(); }

 private:
  HolisticRuntimes runtimes_;
  HolisticTrack track_;
};

}  // namespace sueo::landmarks
