#include "transport/ws_frames.h"

#include <algorithm>

namespace sueo::transport::ws {
namespace {

constexpr size_t kMaxControlPayload = 125;

bool is_control(Opcode opcode) { return static_cast<uint8_t>(opcode) >= 8; }

bool known_opcode(uint8_t value) { return value <= 2 || (value >= 8 && value <= 10); }

}  // namespace

FrameReader::FrameReader(uint64_t max_message) : max_message_(max_message) {}

void FrameReader::fail(uint16_t code, std::string why, std::vector<Event>& out) {
  failed_ = true;
  if (stage_ != Stage::kSkip) stage_ = Stage::kDead;
  out.push_back({Event::Kind::kError, std::move(why), code});
}

void FrameReader::feed(std::span<const uint8_t> bytes, std::vector<Event>& out) {
  size_t at = 0;
  while (at < bytes.size() && stage_ != Stage::kDead) {
    if (stage_ == Stage::kHeader) {
      header_.push_back(bytes[at++]);
      if (parse_header(out) && remaining_ == 0) finish_frame(out);
      continue;
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size() - at));
    if (stage_ == Stage::kPayload) {
      std::string& into = is_control(opcode_) ? frame_payload_ : message_;
      const size_t start = into.size();
      into.append(reinterpret_cast<const char*>(bytes.data() + at), take);
      for (size_t i = start; i < into.size(); ++i) into[i] = static_cast<char>(into[i] ^ mask_[mask_offset_++ & 3]);
    }
    at += take;
    remaining_ -= take;
    if (remaining_ > 0) continue;
    if (stage_ == Stage::kSkip) {
      stage_ = Stage::kHeader;  // the oversized frame is behind us: the peer's close frame may follow
    } else {
      finish_frame(out);
    }
  }
}

// Called with each new header byte; true once the whole header is in and checked.
bool FrameReader::parse_header(std::vector<Event>& out) {
  const size_t have = header_.size();
  if (have < 2) return false;
  const uint8_t b0 = header_[0], b1 = header_[1];
  const uint8_t length7 = b1 & 0x7f;
  const size_t extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
  const size_t needed = 2 + extended + ((b1 & 0x80) ? 4 : 0);
  if (have < needed) return false;

  fin_ = (b0 & 0x80) != 0;
  const uint8_t opcode = b0 & 0x0f;
  uint64_t length = extended == 0 ? length7 : 0;
  for (size_t i = 0; i < extended; ++i) length = (length << 8) | header_[2 + i];
  const bool masked = (b1 & 0x80) != 0;
  if (masked) std::copy(header_.begin() + static_cast<long>(2 + extended), header_.begin() + static_cast<long>(needed), mask_);
  mask_offset_ = 0;
  remaining_ = length;
  header_.clear();
  if (failed_) {  // after a 1009: only the peer's close frame matters; everything else is skipped
    if (opcode != static_cast<uint8_t>(Opcode::kClose) || length > kMaxControlPayload) {
      stage_ = length > 0 ? Stage::kSkip : Stage::kHeader;
      return false;
    }
  }
  if ((b0 & 0x70) != 0) return fail(kCloseProtocolError, "reserved bits set (no extension was negotiated)", out), false;
  if (!known_opcode(opcode)) return fail(kCloseProtocolError, "unknown opcode " + std::to_string(opcode), out), false;
  if (!masked) return fail(kCloseProtocolError, "a client frame must be masked", out), false;
  if (extended == 8 && (length >> 63) != 0) return fail(kCloseProtocolError, "frame length above 2^63", out), false;
  opcode_ = static_cast<Opcode>(opcode);
  if (is_control(opcode_)) {
    if (!fin_) return fail(kCloseProtocolError, "a control frame may not be fragmented", out), false;
    if (length > kMaxControlPayload) return fail(kCloseProtocolError, "a control frame carries at most 125 bytes", out), false;
    frame_payload_.clear();
  } else if (opcode_ == Opcode::kContinuation) {
    if (!in_message_) return fail(kCloseProtocolError, "a continuation frame with no message to continue", out), false;
  } else {
    if (in_message_) return fail(kCloseProtocolError, "a new message began before the last one ended", out), false;
    in_message_ = true;
    message_opcode_ = opcode_;
    message_.clear();
  }
  if (!is_control(opcode_) && length > max_message_ - std::min<uint64_t>(max_message_, message_.size())) {
    fail(kCloseTooBig, "the message is larger than " + std::to_string(max_message_) + " bytes", out);
    in_message_ = false;
    message_.clear();
    message_.shrink_to_fit();
    stage_ = length > 0 ? Stage::kSkip : Stage::kHeader;
    return false;
  }
  stage_ = Stage::kPayload;
  return true;
}

void FrameReader::finish_frame(std::vector<Event>& out) {
  stage_ = Stage::kHeader;
  if (is_control(opcode_)) {
    if (opcode_ == Opcode::kPing) out.push_back({Event::Kind::kPing, std::move(frame_payload_), 0});
    if (opcode_ == Opcode::kPong) out.push_back({Event::Kind::kPong, std::move(frame_payload_), 0});
    if (opcode_ == Opcode::kClose) {
      const std::string& p = frame_payload_;
      if (p.size() == 1) return fail(kCloseProtocolError, "a close frame with a 1-byte code", out);
      const uint16_t code = p.empty() ? kCloseNoStatus
                                      : static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
      std::string reason = p.size() > 2 ? p.substr(2) : std::string();
      if (!p.empty() && !valid_close_code(code)) return fail(kCloseProtocolError, "close code " + std::to_string(code) + " is not allowed", out);
      if (!valid_utf8(reason)) return fail(kCloseProtocolError, "the close reason is not UTF-8", out);
      out.push_back({Event::Kind::kClose, std::move(reason), code});
      stage_ = Stage::kDead;  // nothing may follow a close frame
    }
    frame_payload_.clear();
    return;
  }
  if (!fin_) return;
  in_message_ = false;
  if (message_opcode_ == Opcode::kText && !valid_utf8(message_)) {
    return fail(kCloseBadData, "a text message that is not UTF-8", out);
  }
  out.push_back({message_opcode_ == Opcode::kText ? Event::Kind::kText : Event::Kind::kBinary, std::move(message_), 0});
  message_.clear();
}

std::string encode_frame(Opcode opcode, std::string_view payload) {
  std::string frame;
  frame.reserve(payload.size() + 10);
  frame.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(opcode)));
  const uint64_t n = payload.size();
  if (n < 126) {
    frame.push_back(static_cast<char>(n));
  } else if (n <= 0xffff) {
    frame.push_back(static_cast<char>(126));
    frame.push_back(static_cast<char>(n >> 8));
    frame.push_back(static_cast<char>(n & 0xff));
  } else {
    frame.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  frame.append(payload);
  return frame;
}

std::string encode_close(uint16_t code, std::string_view reason) {
  size_t cut = std::min(reason.size(), kMaxControlPayload - 2);
  while (cut > 0 && cut < reason.size() && (static_cast<uint8_t>(reason[cut]) & 0xc0) == 0x80) --cut;
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  payload.append(reason.substr(0, cut));
  return encode_frame(Opcode::kClose, payload);
}

bool valid_close_code(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  switch (code) {
    case 1000: case 1001: case 1002: case 1003: case 1007: case 1008: case 1009: case 1010: case 1011:
    case 1012: case 1013: case 1014:
      return true;
    default:
      return false;
  }
}

bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    uint32_t point = 0, min = 0;
    if ((c & 0xe0) == 0xc0) { extra = 1; point = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { extra = 2; point = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { extra = 3; point = c & 0x07; min = 0x10000; }
    else return false;
    if (i + extra >= text.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<uint8_t>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      point = (point << 6) | (next & 0x3f);
    }
    if (point < min || point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace sueo::transport::ws
