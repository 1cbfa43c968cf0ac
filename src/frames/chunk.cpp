#include "frames/chunk.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace sueo::frames {
namespace {

// Big-endian (network order) field access; the page writes with DataView's default byte order.
uint16_t read_u16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t read_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
double read_f64(const uint8_t* p) {
  const uint64_t bits = (uint64_t{read_u32(p)} << 32) | read_u32(p + 4);
  return std::bit_cast<double>(bits);
}

void write_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void write_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void write_f64(uint8_t* p, double v) {
  const auto bits = std::bit_cast<uint64_t>(v);
  write_u32(p, static_cast<uint32_t>(bits >> 32));
  write_u32(p + 4, static_cast<uint32_t>(bits));
}

std::optional<Chunk> fail(ParseError& error, const char* code, std::string message) {
  error.code = code;
  error.message = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<Chunk> parse_chunk(std::span<const uint8_t> message, uint32_t max_frame_bytes, ParseError& error) {
  using std::to_string;
  const size_t size = message.size();
  if (size < kHeaderBytes)
    return fail(error, "bad_chunk", "message of " + to_string(size) + " bytes is shorter than the 32-byte header");
  const uint8_t* p = message.data();
  if (p[0] != kProtocolVersion) return fail(error, "bad_chunk", "version " + to_string(p[0]) + " is not 1");
  if (p[1] != kKindFrameChunk) return fail(error, "bad_chunk", "kind " + to_string(p[1]) + " is not 1 (frame chunk)");
  const uint16_t header_bytes = read_u16(p + 2);
  if (header_bytes < kHeaderBytes || header_bytes > size)
    return fail(error, "bad_chunk",
                "header_bytes " + to_string(header_bytes) + " is outside 32.." + to_string(size) + " (the message size)");

  Chunk chunk;
  ChunkHeader& h = chunk.header;
  h.seq = read_u32(p + 4);
  h.frame_index = read_u32(p + 8);
  h.chunk_index = read_u16(p + 12);
  h.chunk_count = read_u16(p + 14);
  h.frame_bytes = read_u32(p + 16);
  h.chunk_offset = read_u32(p + 20);
  h.capture_time_ms = read_f64(p + 24);
  // A later version may grow the header: the payload starts at header_bytes, not at 32.
  chunk.payload = message.subspan(header_bytes);

  if (h.chunk_count == 0) return fail(error, "bad_chunk", "chunk_count is 0");
  if (h.chunk_index >= h.chunk_count)
    return fail(error, "bad_chunk",
                "chunk_index " + to_string(h.chunk_index) + " is not below chunk_count " + to_string(h.chunk_count));
  if (h.frame_bytes == 0) return fail(error, "bad_chunk", "frame_bytes is 0");
  if (h.frame_bytes > max_frame_bytes)
    return fail(error, "oversized",
                "frame_bytes " + to_string(h.frame_bytes) + " is above the limit of " + to_string(max_frame_bytes));
  // Every chunk carries at least one byte (frame_bytes ≥ 1 and every chunk but the last is full), so an
  // empty payload is never valid, and a frame cannot have more chunks than bytes. Refusing these keeps a
  // peer from announcing 65535 chunks for a 1-byte frame.
  if (chunk.payload.empty()) return fail(error, "bad_chunk", "payload is empty (chunk_index " + to_string(h.chunk_index) + ")");
  if (h.chunk_count > h.frame_bytes)
    return fail(error, "bad_chunk",
                "chunk_count " + to_string(h.chunk_count) + " is above frame_bytes " + to_string(h.frame_bytes));
  if (uint64_t{h.chunk_offset} + chunk.payload.size() > h.frame_bytes)
    return fail(error, "bad_chunk",
                "chunk_offset " + to_string(h.chunk_offset) + " + payload " + to_string(chunk.payload.size()) +
                    " bytes is beyond frame_bytes " + to_string(h.frame_bytes));
  if (!std::isfinite(h.capture_time_ms)) return fail(error, "bad_chunk", "capture_time is not a finite number");
  return chunk;
}

std::vector<std::vector<uint8_t>> make_chunks(uint32_t seq, uint32_t frame_index, double capture_time_ms,
                                              std::span<const uint8_t> jpeg, size_t max_message_bytes) {
  if (max_message_bytes <= kHeaderBytes) throw std::invalid_argument("make_chunks: max_message_bytes must exceed 32");
  if (jpeg.empty() || jpeg.size() > UINT32_MAX) throw std::invalid_argument("make_chunks: frame size out of range");
  const size_t per_chunk = max_message_bytes - kHeaderBytes;
  const size_t count = (jpeg.size() + per_chunk - 1) / per_chunk;
  if (count > UINT16_MAX) throw std::invalid_argument("make_chunks: more than 65535 chunks");

  std::vector<std::vector<uint8_t>> chunks;
  chunks.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t offset = i * per_chunk;
    const size_t n = std::min(per_chunk, jpeg.size() - offset);
    std::vector<uint8_t> m(kHeaderBytes + n);
    m[0] = kProtocolVersion;
    m[1] = kKindFrameChunk;
    write_u16(&m[2], kHeaderBytes);
    write_u32(&m[4], seq);
    write_u32(&m[8], frame_index);
    write_u16(&m[12], static_cast<uint16_t>(i));
    write_u16(&m[14], static_cast<uint16_t>(count));
    write_u32(&m[16], static_cast<uint32_t>(jpeg.size()));
    write_u32(&m[20], static_cast<uint32_t>(offset));
    write_f64(&m[24], capture_time_ms);
    std::memcpy(m.data() + kHeaderBytes, jpeg.data() + offset, n);
    chunks.push_back(std::move(m));
  }
  return chunks;
}

}  // namespace sueo::frames
