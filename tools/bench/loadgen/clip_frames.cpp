#include "clip_frames.h"

#include <filesystem>
#include <regex>
#include <stdexcept>

#include "app/video_decode.h"
#include "pipeline/page_capture.h"

namespace sueo::loadgen {

size_t ClipFrames::bytes() const {
  size_t total = 0;
  for (const auto& jpeg : jpegs) total += jpeg.size();
  return total;
}

std::string clip_label(const std::string& file_name) {
  static const std::regex pattern(R"(^c\d+_(.+)_s\d+_[0-9A-Za-z]+\.\w+$)");
  std::smatch match;
  return std::regex_match(file_name, match, pattern) ? match[1].str() : std::string();
}

ClipFrames load_clip_frames(const std::string& path, const PageFormat& format, const sign::Vocabulary* vocabulary) {
  ClipFrames clip;
  clip.path = path;
  clip.name = std::filesystem::path(path).filename().string();
  clip.label = clip_label(clip.name);
  if (vocabulary != nullptr && !clip.label.empty()) clip.word = vocabulary->word_for(clip.label).value_or("");
  FramePicker picker(format.fps);
  frames::Image scratch;
  const int quality = static_cast<int>(format.jpeg_quality * 100 + 0.5);
  app::decode_video(path, 1, [&](const app::VideoFrame& f) {
    if (!picker.take(f.pts_us)) return;
    const FrameSize size = fit_size(f.width, f.height, format.width, format.height);
    clip.width = size.width;
    clip.height = size.height;
    clip.jpegs.push_back(page_jpeg(f.rgb.data(), f.width, f.height, size, quality, scratch));
  });
  if (clip.jpegs.empty()) throw std::runtime_error(path + ": no video frames");
  return clip;
}

}  // namespace sueo::loadgen
