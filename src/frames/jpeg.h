// JPEG decoding with libjpeg-turbo (TurboJPEG API). Thread: one JpegDecoder per thread (the handle is
// not shareable); a worker keeps one for its life.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sueo::frames {

// An 8-bit interleaved RGB image, rows packed (stride = width * 3).
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // Decodes `jpeg` into `out` (reusing its buffer). Returns false and sets `error` for data that is not
  // a JPEG, is truncated or corrupt (libjpeg-turbo warnings on truncated data count as errors), or whose
  // size is outside 1..max_pixels. On failure `out` is left empty (0x0). Corruption is caught where
  // libjpeg notices it (truncation, markers inside the scan, bad headers); entropy-coded data has no
  // checksum, so some changed bytes decode to a wrong picture without an error.
  bool decode(std::span<const uint8_t> jpeg, Image& out, std::string& error, int64_t max_pixels = 4096LL * 4096);

 private:
  void reset_handle();

  void* handle_;  // tjhandle
};

// Encodes RGB to JPEG (tests, tools, benchmarks). Throws std::runtime_error on failure.
std::vector<uint8_t> encode_jpeg(const Image& image, int quality);

}  // namespace sueo::frames
