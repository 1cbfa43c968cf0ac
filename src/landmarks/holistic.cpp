#include "landmarks/holistic.h"

#include <time.h>

#include <chrono>
#include <stdexcept>

#include "landmarks/holistic_constants.h"

namespace sueo::landmarks {

namespace {

void put_hand(FrameLandmarks& out, int offset, const HandLandmarks& hand) {
  for (int i = 0; i < mp::kHandLandmarks; ++i) {
    out.values[offset + 3 * i] = hand[i].x;
    out.values[offset + 3 * i + 1] = hand[i].y;
    out.values[offset + 3 * i + 2] = hand[i].z;
  }
}

HandFromPose hand_points(const PoseLandmarks& pose, int wrist, int pinky, int index) {
  return {pose[wrist], pose[pinky], pose[index]};
}

void put_pose(FrameLandmarks& out, const PoseLandmarks& pose) {
  out.pose = true;
  for (int i = 0; i < mp::kPoseLandmarks; ++i) {
    out.values[4 * i] = pose[i].x;
    out.values[4 * i + 1] = pose[i].y;
    out.values[4 * i + 2] = pose[i].z;
    out.values[4 * i + 3] = pose[i].visibility;
  }
}

void put_hands(FrameLandmarks& out, const std::optional<HandLandmarks>& left,
               const std::optional<HandLandmarks>& right) {
  if (left) {
    out.left_hand = true;
    put_hand(out, kLeftHandOffset, *left);
  }
  if (right) {
    out.right_hand = true;
    put_hand(out, kRightHandOffset, *right);
  }
}

// With pose_every > 1: a pose unsure where a wrist is — below the visibility from which MediaPipe's
// renderers draw a landmark (drawing_utils.py, 0.5), or placed outside the picture — does not move a
// hand the hand model still finds in its own ROI. At the pose's lower rate such a "phantom" wrist
// (a hand resting at the picture's edge) otherwise pulls the hand's ROI away and loses the hand.
constexpr float kSureWristVisibility = 0.5f;

bool unsure_of(const Landmark& wrist) {
  return !(wrist.visibility >= kSureWristVisibility) || wrist.x < 0 || wrist.x > 1 || wrist.y < 0 ||
         wrist.y > 1;
}

}  // namespace

std::shared_ptr<const HolisticModels> HolisticModels::load(const std::string& dir, const HolisticOptions& options) {
  auto m = std::make_shared<HolisticModels>();
  m->options = options;
  m->pose_detection = Model::load(dir + "/pose_detection.tflite");
  // Segmentation and world landmarks are not used: pruning them saves ~5 ms a frame. The lite models
  // have the same inputs and outputs as the full ones.
  const std::string pose = options.lite_pose ? "lite" : "full", hand = options.lite_hands ? "lite" : "full";
  const Precision p = options.landmark_precision;
  m->pose_landmark =
      Model::load(dir + "/pose_landmark_" + pose + ".tflite", {"Identity", "Identity_1", "Identity_3"}, nullptr, p);
  m->hand_recrop = Model::load(dir + "/hand_recrop.tflite");
  m->hand_landmark = Model::load(dir + "/hand_landmark_" + hand + ".tflite", {"Identity", "Identity_1"}, nullptr, p);
  return m;
}

HolisticRuntimes::HolisticRuntimes(std::shared_ptr<const HolisticModels> m, int threads)
    : models(std::move(m)),
      pose_detection(models->pose_detection, threads),
      pose_landmark(models->pose_landmark, threads),
      hand_recrop(models->hand_recrop, threads),
      hand_landmark(models->hand_landmark, threads) {}

void HolisticTrack::reset() {
  pose_.reset();
  left_.reset();
  right_.reset();
  last_pose_.reset();
  held_ = 0;
}

bool HolisticTrack::can_hold_pose(const HolisticOptions& options) const {
  return options.pose_every > 1 && last_pose_ && held_ + 1 < options.pose_every;
}

bool HolisticTrack::track_hands_alone(HolisticRuntimes& runtimes, const uint8_t* rgb, StageTimes* times,
                                      std::optional<HandLandmarks>& left,
                                      std::optional<HandLandmarks>& right) {
  bool all_found = true;
  if (left_.tracking())
    all_found &= (left = left_.track(runtimes.hand_landmark, rgb, size_, times)).has_value();
  if (right_.tracking())
    all_found &= (right = right_.track(runtimes.hand_landmark, rgb, size_, times)).has_value();
  return all_found;
}

std::optional<PoseLandmarks> HolisticTrack::held_pose(StageTimes* times) {
  ++held_;
  if (times) times->pose_held = true;
  return last_pose_;
}

std::optional<PoseLandmarks> HolisticTrack::run_pose(HolisticRuntimes& runtimes, const uint8_t* rgb,
                                                     int64_t timestamp_us, StageTimes* times) {
  auto pose = pose_.process(runtimes.pose_detection, runtimes.pose_landmark, rgb, size_, timestamp_us, times);
  held_ = 0;
  last_pose_ = runtimes.models->options.pose_every > 1 ? pose : std::nullopt;
  return pose;
}

// hand_landmarks_left_and_right_cpu.pbtxt, for each hand not found yet.
void HolisticTrack::place_hands(HolisticRuntimes& runtimes, const uint8_t* rgb, const PoseLandmarks& pose,
                                StageTimes* times, std::optional<HandLandmarks>& left,
                                std::optional<HandLandmarks>& right) {
  const HolisticOptions& options = runtimes.models->options;
  const auto place = [&](HandTracker& hand, std::optional<HandLandmarks>& found, int wrist, int pinky,
                         int index) {
    if (found) return;
    if (options.pose_every > 1 && hand.tracking() && unsure_of(pose[wrist])) {
      if ((found = hand.track(runtimes.hand_landmark, rgb, size_, times))) return;
    }
    found = hand.process(runtimes.hand_recrop, runtimes.hand_landmark, rgb, size_,
                         hand_points(pose, wrist, pinky, index), options.track_hands, times);
  };
  place(left_, left, mp::kLeftWrist, mp::kLeftPinky, mp::kLeftIndex);
  place(right_, right, mp::kRightWrist, mp::kRightPinky, mp::kRightIndex);
}

FrameLandmarks HolisticTrack::process(HolisticRuntimes& runtimes, const uint8_t* rgb, int width, int height,
                                      StageTimes* times) {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return process_at(runtimes, rgb, width, height,
                    std::chrono::duration_cast<std::chrono::microseconds>(now).count(), times);
}

FrameLandmarks HolisticTrack::process_at(HolisticRuntimes& runtimes, const uint8_t* rgb, int width,
                                         int height, int64_t timestamp_us, StageTimes* times) {
  if (rgb == nullptr || width <= 0 || height <= 0)
    throw std::invalid_argument("HolisticTrack: empty image");
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = times ? thread_cpu_ms() : 0.0;
  const ImageSize image{width, height};
  if (image.width != size_.width || image.height != size_.height) {
    reset();
    size_ = image;
  }
  FrameLandmarks out;
  std::optional<HandLandmarks> left, right;
  const bool hold =
      can_hold_pose(runtimes.models->options) && track_hands_alone(runtimes, rgb, times, left, right);
  const auto pose = hold ? held_pose(times) : run_pose(runtimes, rgb, timestamp_us, times);
  if (pose) {
    put_pose(out, *pose);
    place_hands(runtimes, rgb, *pose, times, left, right);
    put_hands(out, left, right);
  } else {
    left_.reset();
    right_.reset();
  }
  if (times) {
    times->total_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    times->total_cpu_ms = thread_cpu_ms() - cpu_start;
  }
  return out;
}

}  // namespace sueo::landmarks
