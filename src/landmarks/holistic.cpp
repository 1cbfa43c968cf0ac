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
  const auto pose =
      pose_.process(runtimes.pose_detection, runtimes.pose_landmark, rgb, image, timestamp_us, times);
  if (pose) {
    out.pose = true;
    for (int i = 0; i < mp::kPoseLandmarks; ++i) {
      const Landmark& lm = (*pose)[i];
      out.values[4 * i] = lm.x;
      out.values[4 * i + 1] = lm.y;
      out.values[4 * i + 2] = lm.z;
      out.values[4 * i + 3] = lm.visibility;
    }
    // hand_landmarks_left_and_right_cpu.pbtxt
    const bool track = runtimes.models->options.track_hands;
    const auto left =
        left_.process(runtimes.hand_recrop, runtimes.hand_landmark, rgb, image,
                      hand_points(*pose, mp::kLeftWrist, mp::kLeftPinky, mp::kLeftIndex), track, times);
    const auto right =
        right_.process(runtimes.hand_recrop, runtimes.hand_landmark, rgb, image,
                       hand_points(*pose, mp::kRightWrist, mp::kRightPinky, mp::kRightIndex), track, times);
    if (left) {
      out.left_hand = true;
      put_hand(out, kLeftHandOffset, *left);
    }
    if (right) {
      out.right_hand = true;
      put_hand(out, kRightHandOffset, *right);
    }
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
