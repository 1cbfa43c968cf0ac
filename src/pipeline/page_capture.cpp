#include "pipeline/page_capture.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace sueo {

FrameSize fit_size(int width, int height, int box_width, int box_height) {
  if (width <= 0 || height <= 0 || box_width <= 0 || box_height <= 0) {
    throw std::invalid_argument("fit_size: sizes must be positive");
  }
  const double scale = std::min({static_cast<double>(box_width) / width, static_cast<double>(box_height) / height, 1.0});
  // Math.round(v / 2) * 2 in JavaScript rounds halves up; std::floor(x + 0.5) does the same.
  auto even = [](double v) { return std::max(2, static_cast<int>(std::floor(v / 2 + 0.5)) * 2); };
  return {even(width * scale), even(height * scale)};
}

FramePicker::FramePicker(double fps) : period_us_(1e6 / fps) {
  if (!(fps > 0)) throw std::invalid_argument("FramePicker: fps must be positive");
}

bool FramePicker::take(int64_t pts_us) {
  if (!started_) {
    started_ = true;
    first_us_ = pts_us;
  }
  // Timestamps are rounded to the container's time base (a 15 fps video stamps 66 666 µs, not
  // 66 666.67): a frame a hair before its tick is that tick's frame, or a video at exactly `fps`
  // loses a third of its frames. The tolerance stays far below the gap between two frames of any
  // real video.
  const double tolerance = std::min(1000.0, period_us_ / 8);
  const double since = static_cast<double>(pts_us - first_us_) + tolerance;
  if (since < next_tick_ * period_us_) return false;  // no tick since the last frame taken
  // Every tick up to this frame's time is served by this frame.
  next_tick_ = static_cast<int64_t>(std::floor(since / period_us_)) + 1;
  return true;
}

std::vector<uint8_t> page_jpeg(const uint8_t* rgb, int width, int height, FrameSize size, int quality,
                               frames::Image& scratch) {
  scratch.width = size.width;
  scratch.height = size.height;
  scratch.rgb.resize(static_cast<size_t>(size.width) * size.height * 3);
  if (size.width == width && size.height == height) {
    std::memcpy(scratch.rgb.data(), rgb, scratch.rgb.size());
  } else {
    // cv::Mat over the caller's bytes (no copy; OpenCV does not write through a const source).
    const cv::Mat source(height, width, CV_8UC3, const_cast<uint8_t*>(rgb));
    cv::Mat target(size.height, size.width, CV_8UC3, scratch.rgb.data());
    // Chromium draws a video into a 2D canvas with imageSmoothingQuality "low": bilinear filtering.
    cv::resize(source, target, target.size(), 0, 0, cv::INTER_LINEAR);
  }
  return frames::encode_jpeg(scratch, quality);
}

}  // namespace sueo
