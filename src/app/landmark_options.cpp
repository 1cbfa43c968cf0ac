#include "app/landmark_options.h"

#include <string>

#include "landmarks/model.h"

namespace sueo::app {
namespace {

std::function<void(std::string_view)> set_choice(bool& target, std::string flag, std::string off, std::string on) {
  return [&target, flag, off, on](std::string_view text) {
    if (text == off) {
      target = false;
    } else if (text == on) {
      target = true;
    } else {
      throw ConfigError(flag + " must be " + off + " or " + on + ", not '" + std::string(text) + "'");
    }
  };
}

// f32 or bf16; bf16 is refused here, at startup, on a CPU without native bf16 (never emulated).
std::function<void(std::string_view)> set_precision(landmarks::Precision& target) {
  return [&target](std::string_view text) {
    if (text == "f32") {
      target = landmarks::Precision::kF32;
    } else if (text == "bf16") {
      if (!landmarks::bf16_available())
        throw ConfigError("--landmark-precision bf16 needs a CPU with AVX512_BF16, which this one lacks; use f32");
      target = landmarks::Precision::kBf16;
    } else {
      throw ConfigError("--landmark-precision must be f32 or bf16, not '" + std::string(text) + "'");
    }
  };
}

// 1–4: how many frames one pose landmark run may serve (HolisticOptions::pose_every).
std::function<void(std::string_view)> set_pose_every(int& target) {
  return [&target](std::string_view text) {
    const std::string s(text);
    if (s.size() != 1 || s[0] < '1' || s[0] > '4')
      throw ConfigError("--pose-every must be 1, 2, 3 or 4, not '" + s + "'");
    target = s[0] - '0';
  };
}

}  // namespace

std::vector<Option> landmark_option_rows(landmarks::HolisticOptions& o) {
  return {
      {"--pose-model", "SUEO_POSE_MODEL", "full",
       "pose landmark model: full (MediaPipe Holistic's) or lite (cheaper, less accurate; "
       "src/landmarks/HOLISTIC.md)",
       set_choice(o.lite_pose, "--pose-model", "full", "lite")},
      {"--hand-model", "SUEO_HAND_MODEL", "full",
       "hand landmark model: full or lite (from @mediapipe/hands; cheaper, less accurate)",
       set_choice(o.lite_hands, "--hand-model", "full", "lite")},
      {"--hand-recrop", "SUEO_HAND_RECROP", "always",
       "always: MediaPipe's graph; tracked: skip the hand re-crop model while the hand tracked from the last "
       "frame agrees with the pose",
       set_choice(o.track_hands, "--hand-recrop", "always", "tracked")},
      {"--landmark-precision", "SUEO_LANDMARK_PRECISION", "f32",
       "f32: XNNPACK float (MediaPipe's arithmetic); bf16: the pose and hand landmark models on oneDNN "
       "bfloat16, ~1.8x faster, landmarks a few crop pixels off (needs AVX512_BF16)",
       set_precision(o.landmark_precision)},
      {"--pose-every", "SUEO_POSE_EVERY", "1",
       "1: the pose landmark model on every frame (MediaPipe's graph); N: on one frame in N, the pose held "
       "in between and each tracked hand found in its own last ROI (13-15 % less CPU a stream at 2; "
       "src/landmarks/HOLISTIC.md)",
       set_pose_every(o.pose_every)},
  };
}

}  // namespace sueo::app
