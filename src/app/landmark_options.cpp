#include "app/landmark_options.h"

#include <string>

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

}  // namespace

std::vector<Option> landmark_option_rows(landmarks::HolisticOptions& o) {
  return {
      {"--pose-model", "SUEO_POSE_MODEL", "full", "pose landmark model: full (MediaPipe Holistic's) or lite (cheaper, less accurate; src/landmarks/HOLISTIC.md)", set_choice(o.lite_pose, "--pose-model", "full", "lite")},
      {"--hand-model", "SUEO_HAND_MODEL", "full", "hand landmark model: full or lite (from @mediapipe/hands; cheaper, less accurate)", set_choice(o.lite_hands, "--hand-model", "full", "lite")},
      {"--hand-recrop", "SUEO_HAND_RECROP", "always", "always: MediaPipe's graph; tracked: skip the hand re-crop model while the hand tracked from the last frame agrees with the pose", set_choice(o.track_hands, "--hand-recrop", "always", "tracked")},
  };
}

}  // namespace sueo::app
