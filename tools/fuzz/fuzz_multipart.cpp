// libFuzzer target: the streaming multipart/form-data reader of POST /api/recognize
// (src/transport/multipart_field.h), which sees every byte an uploading client sends. The input's
// first byte seeds how the body is cut into chunks; the rest is the body. Checked: nothing crashes,
// and the outcome (field bytes, complete, failed, file name) is the same whether the body comes whole
// or in those chunks — a delimiter split between two chunks must never change what is read.
#include <cstdint>
#include <string>
#include <string_view>

#include "transport/multipart_field.h"

#define CHECK(cond) \
  if (!(cond)) __builtin_trap()

namespace {

constexpr std::string_view kBoundary = "XyZ";  // short, so mutations hit delimiters often

struct Outcome {
  std::string data;
  bool ok = true, complete = false, failed = false;
  std::string file;
};

Outcome read(std::string_view body, unsigned seed) {
  Outcome out;
  sueo::transport::MultipartField reader(kBoundary, "video", [&out](std::string_view d) {
    out.data.append(d);
    return true;
  });
  uint32_t state = seed * 2654435761u + 1;
  for (size_t at = 0; at < body.size();) {
    size_t n = body.size() - at;
    if (seed != 0) {
      state = state * 1664525u + 1013904223u;
      n = std::min<size_t>(n, 1 + (state >> 24) % 9);  // 1-9 bytes: cuts inside every delimiter
    }
    out.ok = reader.feed(body.substr(at, n)) && out.ok;
    at += n;
  }
  out.complete = reader.complete();
  out.failed = reader.failed();
  out.file = reader.file_name();
  CHECK(reader.field_bytes() == static_cast<int64_t>(out.data.size()));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = read(body, 0);
  const Outcome cut = read(body, data[0] | 1u);
  CHECK(whole.complete == cut.complete && whole.failed == cut.failed && whole.ok == cut.ok);
  if (!whole.failed) CHECK(whole.data == cut.data && whole.file == cut.file);
  CHECK(!(whole.complete && whole.failed));
  return 0;
}
