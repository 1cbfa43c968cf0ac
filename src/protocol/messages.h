// The JSON messages a client sends (docs/protocol.md), parsed and checked against the contract in one
// place: every field's type, range and whether it is required. The server acts only on what comes out
// of here; anything else becomes an Error with the code and sentence the client is sent. No GLib, no
// network: unit-tested and fuzzed (tools/fuzz) as it is.
//
// Thread: any (pure functions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace sueo::protocol {

// A message that breaks the contract: `code` is bad_json, bad_message or unknown_type.
struct Error {
  std::string code;
  std::string message;
};

// --- /ws, page → server ---
struct Offer {
  std::string sdp;
};
struct Candidate {
  std::optional<std::string> candidate;  // absent or "": end of candidates
  std::optional<std::string> sdp_mid;
  std::optional<int> sdp_mline_index;    // 0 … 65535
};
struct Ping {
  double t0 = 0;  // the page's clock, echoed back
};
struct Options {
  bool landmarks = false;
};
using WsMessage = std::variant<Error, Offer, Candidate, Ping, Options>;

// Limits a /ws message is checked against.
inline constexpr size_t kMaxSdpBytes = 32 * 1024;

WsMessage parse_ws_message(std::string_view text);

// --- DataChannel `frames`, text ---
struct SequenceLimits {
  uint32_t max_frames = 600;   // --max-sequence-frames
  double max_fps = 120;
  int max_side = 4096;         // width and height, pixels (the JPEG decoder's bound too)
};
struct SequenceStart {
  uint32_t seq = 0;
  uint32_t frames = 0;    // planned, 1 … max_frames
  double fps = 0;         // (0, max_fps]
  int width = 0;          // 1 … max_side
  int height = 0;
  double t_start = 0;     // page clock, finite and > 0
  bool detail = false;    // optional
};
struct SequenceEnd {
  uint32_t seq = 0;
  std::optional<uint32_t> frames;        // sent; 0 … max_frames
  std::optional<double> t_last_sent;     // page clock
};
using ChannelMessage = std::variant<Error, SequenceStart, SequenceEnd>;

ChannelMessage parse_channel_message(std::string_view text, const SequenceLimits& limits);

}  // namespace sueo::protocol
