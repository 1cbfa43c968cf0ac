#include "landmarks/roi.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <cstring>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sueo::landmarks {

namespace {

constexpr float kPi = std::numbers::pi_v<float>;

// MediaPipe's web solution crops on the GPU: each tensor pixel samples the image at its centre
// ((u + 0.5) / width of the crop), with the image's own pixel centres at i + 0.5. Its CPU
// ImageToTensor converter (OpenCV warpPerspective from the rect's corners) samples at u / width
// instead, half a tensor pixel off. The golden test measures which one matches the reference.
constexpr bool kSampleAtPixelCentres = true;

// Bilinear sample of all three channels at continuous pixel index (x, y) into out[0..2] (0–255), for
// samples near or past the border (taps outside the image are 0 or the edge pixel).
void sample_rgb_border(const uint8_t* rgb, ImageSize image, float x, float y, bool zero_border, float out[3]) {
  const float xf = std::floor(x), yf = std::floor(y);
  const float fx = x - xf, fy = y - yf;
  // Far outside (a wild ROI): every tap is outside; clamp before converting to int (fmax/fmin also
  // turn a NaN into the lower bound).
  const int x0 = static_cast<int>(std::fmin(std::fmax(xf, -2.0f), static_cast<float>(image.width) + 1.0f));
  const int y0 = static_cast<int>(std::fmin(std::fmax(yf, -2.0f), static_cast<float>(image.height) + 1.0f));
  const size_t row = static_cast<size_t>(image.width) * 3;
  const float weights[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
  const int xs[4] = {x0, x0 + 1, x0, x0 + 1};
  const int ys[4] = {y0, y0, y0 + 1, y0 + 1};
  out[0] = out[1] = out[2] = 0.0f;
  for (int k = 0; k < 4; ++k) {
    int xi = xs[k], yi = ys[k];
    if (xi < 0 || yi < 0 || xi >= image.width || yi >= image.height) {
      if (zero_border) continue;
      xi = std::clamp(xi, 0, image.width - 1);
      yi = std::clamp(yi, 0, image.height - 1);
    }
    const uint8_t* p = rgb + yi * row + static_cast<size_t>(xi) * 3;
    out[0] += weights[k] * p[0];
    out[1] += weights[k] * p[1];
    out[2] += weights[k] * p[2];
  }
}

// One pixel's three channels bilinear-sampled inside the image and mapped to the tensor's range:
// out[0..2] (out[3] is written too and overwritten by the next pixel). `p` is the top-left tap.
inline void lerp_pixel(const uint8_t* p, size_t row, float fx, float fy, float scale, float lo, float* out) {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  auto load = [zero](const uint8_t* at) {
    int32_t bytes;
    std::memcpy(&bytes, at, 4);
    const __m128i b = _mm_unpacklo_epi8(_mm_cvtsi32_si128(bytes), zero);
    return _mm_cvtepi32_ps(_mm_unpacklo_epi16(b, zero));
  };
  const __m128 tl = load(p), tr = load(p + 3), bl = load(p + row), br = load(p + row + 3);
  const __m128 vx = _mm_set1_ps(fx), vy = _mm_set1_ps(fy);
  const __m128 top = _mm_add_ps(tl, _mm_mul_ps(_mm_sub_ps(tr, tl), vx));
  const __m128 bottom = _mm_add_ps(bl, _mm_mul_ps(_mm_sub_ps(br, bl), vx));
  const __m128 value = _mm_add_ps(top, _mm_mul_ps(_mm_sub_ps(bottom, top), vy));
  _mm_storeu_ps(out, _mm_add_ps(_mm_mul_ps(value, _mm_set1_ps(scale)), _mm_set1_ps(lo)));
#else
  for (int ch = 0; ch < 3; ++ch) {
    const float top = p[ch] + static_cast<float>(p[ch + 3] - p[ch]) * fx;
    const float bottom = p[row + ch] + static_cast<float>(p[row + ch + 3] - p[row + ch]) * fx;
    out[ch] = (top + (bottom - top) * fy) * scale + lo;
  }
#endif
}

}  // namespace

float normalize_radians(float angle) { return angle - 2 * kPi * std::floor((angle - (-kPi)) / (2 * kPi)); }

float rotation_from_points(Point start, Point end, float target_angle, ImageSize image) {
  const float x0 = start.x * image.width, y0 = start.y * image.height;
  const float x1 = end.x * image.width, y1 = end.y * image.height;
  return normalize_radians(target_angle - std::atan2(-(y1 - y0), x1 - x0));
}

NormRect alignment_rect(Point start, Point end, float target_angle, ImageSize image) {
  const float dx = (end.x - start.x) * image.width;
  const float dy = (end.y - start.y) * image.height;
  const float box = std::sqrt(dx * dx + dy * dy) * 2.0f;
  return {start.x, start.y, box / image.width, box / image.height,
          rotation_from_points(start, end, target_angle, image)};
}

NormRect transform_rect(const NormRect& rect, const RectTransform& t, ImageSize image) {
  NormRect out = rect;
  float width = rect.width, height = rect.height;
  if (rect.rotation == 0.0f) {
    out.x_center += width * t.shift_x;
    out.y_center += height * t.shift_y;
  } else {
    const float w = static_cast<float>(image.width), h = static_cast<float>(image.height);
    const float c = std::cos(rect.rotation), s = std::sin(rect.rotation);
    out.x_center += (w * width * t.shift_x * c - h * height * t.shift_y * s) / w;
    out.y_center += (w * width * t.shift_x * s + h * height * t.shift_y * c) / h;
  }
  if (t.square_long) {
    const float long_side = std::max(width * image.width, height * image.height);
    width = long_side / image.width;
    height = long_side / image.height;
  }
  out.width = width * t.scale_x;
  out.height = height * t.scale_y;
  return out;
}

Landmark project_from_roi(const Landmark& in_roi, const NormRect& rect) {
  const float x = in_roi.x - 0.5f, y = in_roi.y - 0.5f;
  const float c = std::cos(rect.rotation), s = std::sin(rect.rotation);
  Landmark out = in_roi;
  out.x = (c * x - s * y) * rect.width + rect.x_center;
  out.y = (s * x + c * y) * rect.height + rect.y_center;
  out.z = in_roi.z * rect.width;
  return out;
}

Landmark remove_letterbox(const Landmark& lm, const Letterbox& pad) {
  const float left = pad[0], top = pad[1], left_right = pad[0] + pad[2], top_bottom = pad[1] + pad[3];
  Landmark out = lm;
  out.x = (lm.x - left) / (1.0f - left_right);
  out.y = (lm.y - top) / (1.0f - top_bottom);
  out.z = lm.z / (1.0f - left_right);
  return out;
}

Letterbox crop_to_tensor(const uint8_t* rgb, ImageSize image, const NormRect* roi, const CropSpec& spec,
                         std::span<float> out) {
  if (out.size() != static_cast<size_t>(spec.width) * spec.height * 3) {
    throw std::invalid_argument("crop_to_tensor: output size does not match the crop spec");
  }
  // The rect in pixels (ImageToTensor's GetRoi), then widened to the tensor's aspect ratio (PadRoi).
  float cx = 0.5f * image.width, cy = 0.5f * image.height;
  float w = static_cast<float>(image.width), h = static_cast<float>(image.height), rotation = 0;
  if (roi != nullptr) {
    cx = roi->x_center * image.width;
    cy = roi->y_center * image.height;
    w = roi->width * image.width;
    h = roi->height * image.height;
    rotation = roi->rotation;
  }
  Letterbox pad{0, 0, 0, 0};
  const float tensor_aspect = static_cast<float>(spec.height) / spec.width;
  const float roi_aspect = h / w;
  if (tensor_aspect > roi_aspect) {
    pad[1] = pad[3] = (1.0f - roi_aspect / tensor_aspect) / 2.0f;
    h = w * tensor_aspect;
  } else {
    pad[0] = pad[2] = (1.0f - tensor_aspect / roi_aspect) / 2.0f;
    w = h / tensor_aspect;
  }
  const float c = std::cos(rotation), s = std::sin(rotation);
  const float offset = kSampleAtPixelCentres ? 0.5f : 0.0f;
  const float scale = (spec.hi - spec.lo) / 255.0f;
  float* dst = out.data();
  // Source position of tensor pixel (u, v): an affine map, stepped by (c·w/W, s·w/W) along a row.
  const float step_x = c * w / spec.width, step_y = s * w / spec.width;
  // Inside the image all four taps of a sample are in [0, width-1) × [0, height-1): test that on the
  // sample position itself and take the border path only where it fails. The inside path lerps the
  // three channels of a pixel at once (SSE2, baseline on x86-64), with the same operations in the same
  // order as the scalar lerp, so the tensor is bit for bit the same; it loads 4 bytes per tap, so the
  // sample whose last tap is the image's last pixel takes the border path too.
  const float x_limit = static_cast<float>(image.width - 1), y_limit = static_cast<float>(image.height - 1);
  const size_t row = static_cast<size_t>(image.width) * 3;
  const float* const end = out.data() + out.size();
  for (int v = 0; v < spec.height; ++v) {
    const float dy = ((v + offset) / spec.height - 0.5f) * h;
    const float dx0 = (offset / spec.width - 0.5f) * w;
    const float x_row = cx + c * dx0 - s * dy - offset;
    const float y_row = cy + s * dx0 + c * dy - offset;
    for (int u = 0; u < spec.width; ++u, dst += 3) {
      const float x = x_row + step_x * u;
      const float y = y_row + step_y * u;
      const bool inside = x >= 0.0f && y >= 0.0f && x < x_limit && y < y_limit &&
                          !(x >= x_limit - 1.0f && y >= y_limit - 1.0f);
      if (inside && dst + 4 <= end) {
        const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);  // x, y ≥ 0: truncation is floor
        const uint8_t* p = rgb + static_cast<size_t>(y0) * row + static_cast<size_t>(x0) * 3;
        lerp_pixel(p, row, x - static_cast<float>(x0), y - static_cast<float>(y0), scale, spec.lo, dst);
        continue;
      }
      float px[3];
      if (inside) {
        const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
        const float fx = x - static_cast<float>(x0), fy = y - static_cast<float>(y0);
        const uint8_t* p = rgb + static_cast<size_t>(y0) * row + static_cast<size_t>(x0) * 3;
        for (int ch = 0; ch < 3; ++ch) {
          const float top = p[ch] + static_cast<float>(p[ch + 3] - p[ch]) * fx;
          const float bottom = p[row + ch] + static_cast<float>(p[row + ch + 3] - p[row + ch]) * fx;
          px[ch] = top + (bottom - top) * fy;
        }
      } else {
        sample_rgb_border(rgb, image, x, y, spec.zero_border, px);
      }
      dst[0] = px[0] * scale + spec.lo;
      dst[1] = px[1] * scale + spec.lo;
      dst[2] = px[2] * scale + spec.lo;
    }
  }
  return pad;
}

}  // namespace sueo::landmarks
