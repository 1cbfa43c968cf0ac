// libFuzzer target: the JSON messages a client sends (/ws and the DataChannel's text messages),
// through the same parse-and-check the server runs (src/protocol/messages.h). Every outcome must be
// either a typed message or an error whose text can go back to the client as JSON.
#include <nlohmann/json.hpp>

#include <string_view>
#include <variant>

#include "protocol/messages.h"

using namespace sueo::protocol;

#define CHECK(cond) \
  if (!(cond)) __builtin_trap()

namespace {

template <typename Variant>
void check_error(const Variant& message) {
  if (const auto* error = std::get_if<Error>(&message)) {
    CHECK(error->code == "bad_json" || error->code == "bad_message" || error->code == "unknown_type" ||
          error->code == "bad_candidate" || error->code == "bad_sdp");
    // The error message goes back to the client inside JSON: it must be valid UTF-8 (dump throws
    // otherwise, and an exception here would end the server's main loop).
    const nlohmann::json reply = {{"code", error->code}, {"message", error->message}};
    (void)reply.dump();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    SequenceLimits limits;
    const auto message = parse_channel_message(text, limits);
    check_error(message);
    if (const auto* start = std::get_if<SequenceStart>(&message)) {
      CHECK(start->frames >= 1 && start->frames <= limits.max_frames);
      CHECK(start->width >= 1 && start->width <= limits.max_side && start->height >= 1 && start->height <= limits.max_side);
      CHECK(start->fps > 0 && start->fps <= limits.max_fps && start->t_start > 0);
    }
  } else {
    const auto message = parse_ws_message(text);
    check_error(message);
    if (const auto* offer = std::get_if<Offer>(&message)) CHECK(offer->sdp.size() <= kMaxSdpBytes);
  }
  return 0;
}
