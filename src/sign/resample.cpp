#include "sign/resample.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sueo::sign {

bool part_present(const Frame& frame, Part part) {
  return std::any_of(frame.begin() + part.begin, frame.begin() + part.end, [](float v) { return v != 0.0f; });
}

bool hand_visible(const Frame& frame) {
  return part_present(frame, kLeftHand) || part_present(frame, kRightHand);
}

Sequence trim_to_hands(const Sequence& frames, int margin) {
  const auto first = std::find_if(frames.begin(), frames.end(), hand_visible);
  if (first == frames.end()) return frames;
  const auto last = std::find_if(frames.rbegin(), frames.rend(), hand_visible);
  const long n = static_cast<long>(frames.size());
  const long lo = std::max(0L, static_cast<long>(first - frames.begin()) - margin);
  const long hi = std::min(n - 1, static_cast<long>(frames.rend() - last) - 1 + margin);
  return Sequence(frames.begin() + lo, frames.begin() + hi + 1);
}

Sequence resample(const Sequence& frames, int frames_out) {
  const size_t n = frames.size();
  if (n == 0) throw std::invalid_argument("resample: empty sequence");
  if (frames_out < 1) throw std::invalid_argument("resample: frames_out must be at least 1");
  if (static_cast<size_t>(frames_out) == n) return frames;
  Sequence out(static_cast<size_t>(frames_out));
  for (int i = 0; i < frames_out; ++i) {
    const double pos = frames_out > 1 ? static_cast<double>(i) * static_cast<double>(n - 1) /
                                            static_cast<double>(frames_out - 1)
                                      : 0.0;
    const size_t i0 = std::min(static_cast<size_t>(std::floor(pos)), n - 1);
    const size_t i1 = std::min(i0 + 1, n - 1);
    const float w = static_cast<float>(pos - static_cast<double>(i0));
    const Frame& a = frames[i0];
    const Frame& b = frames[i1];
    Frame& o = out[static_cast<size_t>(i)];
    for (const Part part : kParts) {
      if (part_present(a, part) && part_present(b, part)) {
        for (size_t k = part.begin; k < part.end; ++k) o[k] = a[k] + w * (b[k] - a[k]);
      } else {
        const Frame& near = w < 0.5f ? a : b;
        std::copy(near.begin() + part.begin, near.begin() + part.end, o.begin() + part.begin);
      }
    }
  }
  return out;
}

Sequence fit_to_model(const Sequence& frames, int frames_out, int margin) {
  Sequence trimmed = trim_to_hands(frames, margin);
  return frames_out > 0 ? resample(trimmed, frames_out) : trimmed;
}

}  // namespace sueo::sign
