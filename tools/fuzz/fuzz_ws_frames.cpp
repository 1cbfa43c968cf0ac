// libFuzzer target: the WebSocket frame reader (the bytes every /ws client sends before anything
// else looks at them). The first input byte sets the piece size the rest is fed in (1 … 256 bytes,
// as TCP may cut it). Checks: after an error only the client's close frame may follow (the 1009
// path), messages within the limit, text always valid UTF-8, close codes valid.
#include <algorithm>

#include "transport/ws_frames.h"

using namespace sueo::transport::ws;

#define CHECK(cond) \
  if (!(cond)) __builtin_trap()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  constexpr uint64_t kMax = 4096;
  const size_t piece = size_t{data[0]} + 1;
  FrameReader reader(kMax);
  std::vector<Event> events;
  for (size_t at = 1; at < size; at += piece) {
    reader.feed({data + at, std::min(piece, size - at)}, events);
  }
  bool errored = false;
  for (const Event& e : events) {
    if (e.kind == Event::Kind::kError) {
      errored = true;
      continue;
    }
    if (errored) CHECK(e.kind == Event::Kind::kClose);
    if (e.kind == Event::Kind::kText || e.kind == Event::Kind::kBinary) CHECK(e.payload.size() <= kMax);
    if (e.kind == Event::Kind::kText) CHECK(valid_utf8(e.payload));
    if (e.kind == Event::Kind::kClose) CHECK(e.code == kCloseNoStatus || valid_close_code(e.code));
  }
  return 0;
}
