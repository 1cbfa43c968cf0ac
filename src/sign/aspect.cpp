#include "sign/aspect.h"

#include <cmath>
#include <stdexcept>

namespace sueo::sign {

double parse_frame_aspect(const std::string& text) {
  const auto number = [&](const std::string& s) {
    size_t used = 0;
    const double v = std::stod(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  };
  double aspect = 0;
  try {
    const size_t colon = text.find(':');
    aspect = colon == std::string::npos ? number(text)
                                        : number(text.substr(0, colon)) / number(text.substr(colon + 1));
  } catch (const std::exception&) {
    throw std::invalid_argument("'" + text + "' is not a frame aspect (\"16:9\" or a width/height number)");
  }
  if (!(aspect >= 0.2 && aspect <= 5.0))
    throw std::invalid_argument("frame aspect '" + text + "' is outside 0.2..5");
  return aspect;
}

void to_model_aspect(Frame& frame, double frame_aspect, double model_aspect) {
  if (frame_aspect <= 0 || model_aspect <= 0) return;
  const double k = model_aspect / frame_aspect;
  if (std::abs(k - 1.0) < 1e-6) return;
  const auto stretch = [k](float& y) { y = static_cast<float>(0.5 + (y - 0.5) * k); };
  // Pose: 33 × (x, y, z, visibility); a point MediaPipe did not give is all zeros.
  for (size_t i = kPose.begin; i < kPose.end; i += 4) {
    if (frame[i] != 0 || frame[i + 1] != 0 || frame[i + 2] != 0) stretch(frame[i + 1]);
  }
  // Hands: 21 × (x, y, z), all zeros when the hand was not found.
  for (const Part hand : {kLeftHand, kRightHand}) {
    if (!part_present(frame, hand)) continue;
    for (size_t i = hand.begin; i < hand.end; i += 3) stretch(frame[i + 1]);
  }
}

}  // namespace sueo::sign
