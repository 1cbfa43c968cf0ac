#include "landmarks/one_euro.h"

#include <cmath>
#include <numbers>

namespace sueo::landmarks {

float OneEuroFilter::LowPass::apply(float value, float a) {
  const float result = initialized ? a * value + (1.0f - a) * stored : value;
  initialized = true;
  raw = value;
  stored = result;
  return result;
}

OneEuroFilter::OneEuroFilter(double frequency, double min_cutoff, double beta, double derivate_cutoff)
    : frequency_(frequency), min_cutoff_(min_cutoff), beta_(beta), derivate_cutoff_(derivate_cutoff) {}

double OneEuroFilter::alpha(double cutoff) const {
  const double te = 1.0 / frequency_;
  const double tau = 1.0 / (2 * std::numbers::pi * cutoff);
  return 1.0 / (1.0 + tau / te);
}

double OneEuroFilter::apply(int64_t timestamp_us, double value_scale, double value) {
  const int64_t now_ns = timestamp_us * 1000;
  if (last_time_ns_ >= now_ns) return value;
  if (last_time_ns_ != 0 && now_ns != 0) frequency_ = 1.0 / ((now_ns - last_time_ns_) * 1e-9);
  last_time_ns_ = now_ns;
  const double dvalue = x_.initialized ? (value - x_.raw) * value_scale * frequency_ : 0.0;
  const double edvalue = dx_.apply(static_cast<float>(dvalue), static_cast<float>(alpha(derivate_cutoff_)));
  const double cutoff = min_cutoff_ + beta_ * std::fabs(edvalue);
  return x_.apply(static_cast<float>(value), static_cast<float>(alpha(cutoff)));
}

LandmarkSmoother::LandmarkSmoother(double frequency, double min_cutoff, double beta, double derivate_cutoff)
    : frequency_(frequency), min_cutoff_(min_cutoff), beta_(beta), derivate_cutoff_(derivate_cutoff) {}

void LandmarkSmoother::apply(std::span<Landmark> landmarks, int64_t timestamp_us, float object_scale_px,
                             ImageSize image) {
  // Like MediaPipe's default min_allowed_object_scale: a degenerate object is passed through.
  if (object_scale_px < 1e-6f) return;
  if (filters_.empty()) {
    filters_.assign(landmarks.size() * 3, OneEuroFilter(frequency_, min_cutoff_, beta_, derivate_cutoff_));
  }
  const double value_scale = 1.0 / object_scale_px;
  const float w = static_cast<float>(image.width), h = static_cast<float>(image.height);
  for (size_t i = 0; i < landmarks.size(); ++i) {
    Landmark& lm = landmarks[i];
    lm.x = static_cast<float>(filters_[3 * i].apply(timestamp_us, value_scale, lm.x * w)) / w;
    lm.y = static_cast<float>(filters_[3 * i + 1].apply(timestamp_us, value_scale, lm.y * h)) / h;
    lm.z = static_cast<float>(filters_[3 * i + 2].apply(timestamp_us, value_scale, lm.z * w)) / w;
  }
}

}  // namespace sueo::landmarks
