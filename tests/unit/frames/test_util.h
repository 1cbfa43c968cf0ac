// Helpers shared by the frames tests: the real test JPEG, and a chunk header writer that is written
// independently of make_chunks (so a byte-order bug in one is not hidden by the same bug in the other).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace sueo::frames::test {

inline std::string source_path(const std::string& relative) { return std::string(SUEO_SOURCE_DIR) + "/" + relative; }

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Frame 30 of tests/data/clips/c01_hi_s11_f8e48f6c.mp4 (see tests/data/NOTICE): 640x360, ~26 KB.
inline const std::vector<uint8_t>& real_jpeg() {
  static const std::vector<uint8_t> bytes = read_file(source_path("tests/data/frames/c01_hi_s11_f030.jpg"));
  return bytes;
}

struct RawHeader {
  uint8_t version = 1;
  uint8_t kind = 1;
  uint16_t header_bytes = 32;
  uint32_t seq = 7;
  uint32_t frame_index = 0;
  uint16_t chunk_index = 0;
  uint16_t chunk_count = 1;
  int64_t frame_bytes = -1;  // -1: the payload size
  uint32_t chunk_offset = 0;
  double capture_time_ms = 1764136000123.5;
};

// A message: `h` written big-endian byte by byte, padded with zeros up to header_bytes, then `payload`.
inline std::vector<uint8_t> build_message(RawHeader h, const std::vector<uint8_t>& payload) {
  if (h.frame_bytes < 0) h.frame_bytes = static_cast<int64_t>(payload.size());
  std::vector<uint8_t> m(std::max<size_t>(h.header_bytes, 32), 0);
  auto put = [&](size_t at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) m[at + i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
  };
  uint64_t time_bits = 0;
  std::memcpy(&time_bits, &h.capture_time_ms, 8);
  put(0, h.version, 1);
  put(1, h.kind, 1);
  put(2, h.header_bytes, 2);
  put(4, h.seq, 4);
  put(8, h.frame_index, 4);
  put(12, h.chunk_index, 2);
  put(14, h.chunk_count, 2);
  put(16, static_cast<uint64_t>(h.frame_bytes), 4);
  put(20, h.chunk_offset, 4);
  put(24, time_bits, 8);
  m.insert(m.end(), payload.begin(), payload.end());
  return m;
}

}  // namespace sueo::frames::test
