// libFuzzer target: the DataChannel's binary path. The input is a script of operations on one
// FrameAssembler, as a session drives it — records of [op u8][length u16 BE][payload]: op % 8 = 0
// starts a sequence (payload: seq, planned), 1 ends one (seq), 2 runs the timeout sweep, anything
// else is a DataChannel message through parse_chunk. Each record advances the clock by op / 8 ms.
// Checks the assembler's promises, not only "no crash": a completed frame has exactly the announced
// bytes, the in-flight limits hold, drop counts never go down within a sequence.
#include <cstddef>
#include <cstdint>
#include <span>

#include "frames/assembler.h"
#include "frames/chunk.h"

using namespace sueo::frames;

#define CHECK(cond) \
  if (!(cond)) __builtin_trap()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  AssemblerLimits limits;
  limits.max_frame_bytes = 1u << 20;
  limits.max_sequence_frames = 64;
  limits.frame_timeout_ms = 100;
  limits.max_frames_in_flight = 8;
  limits.max_bytes_in_flight = 2u << 20;
  FrameAssembler assembler(limits);
  double now = 0;
  uint32_t last_total = 0;
  size_t at = 0;
  while (at + 3 <= size) {
    const uint8_t op = data[at];
    const size_t length = std::min<size_t>((size_t{data[at + 1]} << 8) | data[at + 2], size - at - 3);
    const std::span<const uint8_t> payload(data + at + 3, length);
    at += 3 + length;
    now += op / 8;
    switch (op % 8) {
      case 0:
        assembler.start_sequence(payload.size() > 0 ? payload[0] : 0, payload.size() > 1 ? payload[1] : 0, now);
        last_total = assembler.drops().total();
        break;
      case 1:
        assembler.end_sequence(payload.size() > 0 ? payload[0] : 0);
        break;
      case 2:
        assembler.expire(now);
        break;
      default: {
        ParseError error;
        const auto chunk = parse_chunk(payload, limits.max_frame_bytes, error);
        if (!chunk) {
          CHECK(!error.message.empty());
          break;
        }
        // The payload is the message's tail after a header of at least 32 bytes (header_bytes may grow).
        CHECK(chunk->payload.data() + chunk->payload.size() == payload.data() + payload.size());
        CHECK(chunk->payload.data() >= payload.data() + kHeaderBytes && !chunk->payload.empty());
        const auto frame = assembler.add(*chunk, now);
        if (frame) CHECK(frame->jpeg.size() == chunk->header.frame_bytes);
        break;
      }
    }
    CHECK(assembler.frames_in_flight() <= limits.max_frames_in_flight);
    CHECK(assembler.drops().total() >= last_total);
    last_total = assembler.drops().total();
    CHECK(assembler.take_dropped().size() <= FrameAssembler::kMaxDropLog);
  }
  return 0;
}
