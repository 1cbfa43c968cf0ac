// The binary chunk header of protocol v1 (docs/protocol.md §2): parse and validate, and build (for
// tests and tools). Pure functions. Thread: any.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sueo::frames {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr uint8_t kKindFrameChunk = 1;
inline constexpr size_t kHeaderBytes = 32;

struct ChunkHeader {
  uint32_t seq = 0;
  uint32_t frame_index = 0;
  uint16_t chunk_index = 0;
  uint16_t chunk_count = 0;
  uint32_t frame_bytes = 0;
  uint32_t chunk_offset = 0;
  double capture_time_ms = 0;  // page clock
};

struct Chunk {
  ChunkHeader header;
  std::span<const uint8_t> payload;  // points into the message passed to parse_chunk
};

// Parses one DataChannel binary message. Returns std::nullopt and sets `error` (a short English
// sentence naming the bad field) when the header breaks a rule of the protocol that can be checked
// without state: size, version, kind, header_bytes, chunk_index < chunk_count, frame_bytes in
// 1..max_frame_bytes (a larger frame reports code "oversized"), a payload of at least one byte,
// chunk_count ≤ frame_bytes (both follow from "every chunk but the last is full"), offset + payload ≤
// frame_bytes, a finite capture time. Rules that need the other chunks of the frame (gaps, overlaps,
// agreement on chunk_count/frame_bytes) are FrameAssembler's.
struct ParseError {
  std::string code;     // "bad_chunk" or "oversized"
  std::string message;
};
std::optional<Chunk> parse_chunk(std::span<const uint8_t> message, uint32_t max_frame_bytes, ParseError& error);

// Builds the chunks of one frame: each message at most `max_message_bytes` including the header.
std::vector<std::vector<uint8_t>> make_chunks(uint32_t seq, uint32_t frame_index, double capture_time_ms,
                                              std::span<const uint8_t> jpeg, size_t max_message_bytes);

}  // namespace sueo::frames
