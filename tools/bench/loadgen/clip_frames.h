// A real clip as the page would send it, encoded once and shared by every stream that plays it:
// frames picked at the page's rate, scaled into its box, JPEG at its quality (pipeline/page_capture.h).
// Thread: load_clip_frames on any thread; a ClipFrames is immutable afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sign/vocabulary.h"

namespace sueo::loadgen {

struct ClipFrames {
  std::string path;
  std::string name;   // file name
  std::string label;  // the dataset's class name from the file name (c01_hi_s11_... → "hi")
  std::string word;   // the vocabulary word it signs; empty when the vocabulary does not know it
  int width = 0, height = 0;
  std::vector<std::vector<uint8_t>> jpegs;
  size_t bytes() const;
};

struct PageFormat {
  double fps = 15;
  int width = 640, height = 480;
  double jpeg_quality = 0.7;
};

// Throws std::runtime_error when the video cannot be decoded or has no frames.
ClipFrames load_clip_frames(const std::string& path, const PageFormat& format, const sign::Vocabulary* vocabulary);

// The class name in a KSL-77 style file name c<class>_<label>_s<signer>_<id>.<ext>; empty when the
// name has another form.
std::string clip_label(const std::string& file_name);

}  // namespace sueo::loadgen
