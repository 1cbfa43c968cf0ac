// The WebSocket wire format (RFC 6455 §5) on the server side: reading a client's frames into messages
// and writing the server's frames. Pure byte code, no GLib and no I/O, so it can be unit-tested and
// fuzzed (tools/fuzz).
//
// Why our own and not libsoup's SoupWebsocketConnection: libsoup 3.2.3 cannot send close code 1013
// ("try again later": it turns any code it does not know into 1002), drops a connection that announces
// an oversized message without the 1009 close frame (the client sees a reset), and queues outgoing
// messages without bound and without telling how much is queued (a client that never reads makes the
// server buffer every reply). The HTTP upgrade itself stays libsoup's.
//
// Thread: any (plain values; one reader per connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sueo::transport::ws {

enum class Opcode : uint8_t { kContinuation = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

// Close codes (RFC 6455 §7.4.1 and the IANA registry).
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseNoStatus = 1005;    // never sent: "the close frame had no code"
inline constexpr uint16_t kCloseAbnormal = 1006;    // never sent: "no close frame at all"
inline constexpr uint16_t kCloseBadData = 1007;     // a text message that is not UTF-8
inline constexpr uint16_t kClosePolicy = 1008;
inline constexpr uint16_t kCloseTooBig = 1009;
inline constexpr uint16_t kCloseServerError = 1011;
inline constexpr uint16_t kCloseTryAgainLater = 1013;

// What the reader found: a whole message, a control frame, or the error that ends reading.
struct Event {
  enum class Kind { kText, kBinary, kPing, kPong, kClose, kError };
  Kind kind = Kind::kText;
  std::string payload;        // message bytes; ping/pong data; close reason; error description
  uint16_t code = 0;          // kClose: the peer's code (kCloseNoStatus when it sent none); kError: ours
};

class FrameReader {
 public:
  // Messages (all fragments together) above `max_message` bytes are an error (kCloseTooBig).
  explicit FrameReader(uint64_t max_message);

  // Parses `bytes` and appends what they complete to `out`. After a kError the reader takes no more
  // messages; for kCloseTooBig it still skips the oversized frame's payload and reads the frames after
  // it (the client's close frame), for the other errors it ignores the rest of the input.
  void feed(std::span<const uint8_t> bytes, std::vector<Event>& out);

  bool failed() const { return failed_; }

 private:
  enum class Stage { kHeader, kPayload, kSkip, kDead };
  bool parse_header(std::vector<Event>& out);  // false: need more bytes (or failed)
  void finish_frame(std::vector<Event>& out);
  void fail(uint16_t code, std::string why, std::vector<Event>& out);

  uint64_t max_message_;
  Stage stage_ = Stage::kHeader;
  std::vector<uint8_t> header_;   // bytes of the current frame header so far (≤ 14)
  // The frame being read.
  bool fin_ = false;
  Opcode opcode_ = Opcode::kContinuation;
  uint64_t remaining_ = 0;        // payload bytes still to come (or to skip)
  uint8_t mask_[4] = {0, 0, 0, 0};
  uint64_t mask_offset_ = 0;
  std::string frame_payload_;     // control frame payload, or the current data frame's part
  // The message being assembled from data frames.
  bool in_message_ = false;
  Opcode message_opcode_ = Opcode::kText;
  std::string message_;
  bool failed_ = false;
};

// A server frame (unmasked, FIN set) carrying `payload`.
std::string encode_frame(Opcode opcode, std::string_view payload);
// A close frame with `code` and a reason cut to fit a control frame (123 bytes, at a UTF-8 boundary).
std::string encode_close(uint16_t code, std::string_view reason);

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool valid_utf8(std::string_view text);
// Whether a peer may send `code` in a close frame (RFC 6455 §7.4).
bool valid_close_code(uint16_t code);

}  // namespace sueo::transport::ws
