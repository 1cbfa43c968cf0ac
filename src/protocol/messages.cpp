#include "protocol/messages.h"

#include <cmath>

namespace sueo::protocol {
namespace {

using nlohmann::json;

// `text` cut to at most `max` bytes, at a UTF-8 character boundary (so it can go back in JSON).
std::string clip(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t cut = max;
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xc0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

Error bad(std::string message) { return {"bad_message", std::move(message)}; }

const json* field(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// An integer field in [min, max]; nullopt when absent or not such an integer.
std::optional<int64_t> integer(const json& object, const char* name, int64_t min, int64_t max) {
  const json* value = field(object, name);
  if (value == nullptr) return std::nullopt;
  int64_t n = 0;
  if (value->is_number_unsigned()) {
    const auto u = value->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    n = static_cast<int64_t>(u);
  } else if (value->is_number_integer()) {
    n = value->get<int64_t>();
  } else if (value->is_number_float()) {
    // 15.0 from a client that only has doubles is 15; 15.5 is not an integer.
    const double d = value->get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || d < -9e15 || d > 9e15) return std::nullopt;
    n = static_cast<int64_t>(d);
  } else {
    return std::nullopt;
  }
  if (n < min || n > max) return std::nullopt;
  return n;
}

std::optional<double> number(const json& object, const char* name) {
  const json* value = field(object, name);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  const double d = value->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<std::string> string_or_null(const json& value, bool& wrong_type) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_string()) {
    wrong_type = true;
    return std::nullopt;
  }
  return value.get<std::string>();
}

WsMessage parse_candidate(const json& message) {
  const json* init = field(message, "candidate");
  if (init == nullptr || !init->is_object()) {
    return Error{"bad_candidate", "a candidate message needs an object \"candidate\" (RTCIceCandidateInit)"};
  }
  Candidate out;
  bool wrong = false;
  if (const json* line = field(*init, "candidate")) out.candidate = string_or_null(*line, wrong);
  if (wrong) return Error{"bad_candidate", "\"candidate.candidate\" must be a string"};
  if (const json* mid = field(*init, "sdpMid")) out.sdp_mid = string_or_null(*mid, wrong);
  if (wrong) return Error{"bad_candidate", "\"candidate.sdpMid\" must be a string or null"};
  if (const json* index = field(*init, "sdpMLineIndex"); index != nullptr && !index->is_null()) {
    const auto n = integer(*init, "sdpMLineIndex", 0, 65535);
    if (!n) return Error{"bad_candidate", "\"candidate.sdpMLineIndex\" must be an integer 0 … 65535 or null"};
    out.sdp_mline_index = static_cast<int>(*n);
  }
  if (out.candidate && out.candidate->size() > 1024) return Error{"bad_candidate", "the candidate line is longer than 1024 bytes"};
  return out;
}

}  // namespace

WsMessage parse_ws_message(std::string_view text) {
  const json message = json::parse(text, nullptr, false);
  if (message.is_discarded()) return Error{"bad_json", "the message is not valid JSON (UTF-8)"};
  const json* type = message.is_object() ? field(message, "type") : nullptr;
  if (type == nullptr || !type->is_string()) return bad("a message must be a JSON object with a string \"type\"");
  const auto& name = type->get_ref<const std::string&>();
  if (name == "offer") {
    const json* sdp = field(message, "sdp");
    if (sdp == nullptr || !sdp->is_string()) return bad("an offer needs a string \"sdp\"");
    if (sdp->get_ref<const std::string&>().size() > kMaxSdpBytes) {
      return Error{"bad_sdp", "the offer's SDP is longer than " + std::to_string(kMaxSdpBytes) + " bytes"};
    }
    return Offer{sdp->get<std::string>()};
  }
  if (name == "candidate") return parse_candidate(message);
  if (name == "ping") {
    const auto t0 = number(message, "t0");
    if (!t0) return bad("a ping needs a finite number \"t0\"");
    return Ping{*t0};
  }
  if (name == "options") {
    const json* landmarks = field(message, "landmarks");
    if (landmarks == nullptr || !landmarks->is_boolean()) return bad("options needs a boolean \"landmarks\"");
    return Options{landmarks->get<bool>()};
  }
  return Error{"unknown_type", "unknown message type '" + clip(name, 64) + "'"};
}

ChannelMessage parse_channel_message(std::string_view text, const SequenceLimits& limits) {
  if (text.empty()) return Error{"bad_json", "an empty DataChannel text message"};
  const json message = json::parse(text, nullptr, false);
  if (message.is_discarded()) return Error{"bad_json", "a DataChannel text message is not valid JSON (UTF-8)"};
  const json* type = message.is_object() ? field(message, "type") : nullptr;
  if (type == nullptr || !type->is_string()) {
    return bad("a DataChannel message must be a JSON object with a string \"type\"");
  }
  const auto& name = type->get_ref<const std::string&>();
  if (name == "sequence-start") {
    SequenceStart out;
    const auto seq = integer(message, "seq", 0, UINT32_MAX);
    if (!seq) return bad("sequence-start needs \"seq\": an integer 0 … 4294967295");
    const auto frames = integer(message, "frames", 1, limits.max_frames);
    if (!frames) return bad("sequence-start needs \"frames\": an integer 1 … " + std::to_string(limits.max_frames));
    const auto fps = number(message, "fps");
    if (!fps || *fps <= 0 || *fps > limits.max_fps) {
      return bad("sequence-start needs \"fps\": a number above 0, at most " + std::to_string(static_cast<int>(limits.max_fps)));
    }
    const auto width = integer(message, "width", 1, limits.max_side);
    const auto height = integer(message, "height", 1, limits.max_side);
    if (!width || !height) {
      return bad("sequence-start needs \"width\" and \"height\": integers 1 … " + std::to_string(limits.max_side));
    }
    const auto t_start = number(message, "t_start");
    if (!t_start || *t_start <= 0) return bad("sequence-start needs \"t_start\": the page's clock in ms, a number above 0");
    if (const json* detail = field(message, "detail")) {
      if (!detail->is_boolean()) return bad("sequence-start's \"detail\" must be a boolean");
      out.detail = detail->get<bool>();
    }
    out.seq = static_cast<uint32_t>(*seq);
    out.frames = static_cast<uint32_t>(*frames);
    out.fps = *fps;
    out.width = static_cast<int>(*width);
    out.height = static_cast<int>(*height);
    out.t_start = *t_start;
    return out;
  }
  if (name == "sequence-end") {
    SequenceEnd out;
    const auto seq = integer(message, "seq", 0, UINT32_MAX);
    if (!seq) return bad("sequence-end needs \"seq\": an integer 0 … 4294967295");
    out.seq = static_cast<uint32_t>(*seq);
    if (field(message, "frames") != nullptr) {
      const auto frames = integer(message, "frames", 0, limits.max_frames);
      if (!frames) return bad("sequence-end's \"frames\" must be an integer 0 … " + std::to_string(limits.max_frames));
      out.frames = static_cast<uint32_t>(*frames);
    }
    if (field(message, "t_last_sent") != nullptr) {
      out.t_last_sent = number(message, "t_last_sent");
      if (!out.t_last_sent) return bad("sequence-end's \"t_last_sent\" must be a finite number");
    }
    return out;
  }
  return Error{"unknown_type", "unknown DataChannel message type '" + clip(name, 64) + "'"};
}

}  // namespace sueo::protocol
