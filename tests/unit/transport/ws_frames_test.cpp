// The WebSocket frame reader and writer against RFC 6455's rules and examples: masking, fragments,
// control frames between fragments, every protocol error, oversized messages (1009, then the peer's
// close frame is still read), UTF-8, and byte-at-a-time feeding.
#include <gtest/gtest.h>

#include <random>

#include "transport/ws_frames.h"

namespace sueo::transport::ws {
namespace {

// A client frame: masked with `mask`, FIN and opcode as given.
std::string client_frame(uint8_t first_byte, std::string_view payload, uint32_t mask = 0x37fa213d, bool masked = true) {
  std::string frame;
  frame.push_back(static_cast<char>(first_byte));
  const uint8_t mask_bit = masked ? 0x80 : 0;
  const uint64_t n = payload.size();
  if (n < 126) {
    frame.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xffff) {
    frame.push_back(static_cast<char>(mask_bit | 126));
    frame.push_back(static_cast<char>(n >> 8));
    frame.push_back(static_cast<char>(n & 0xff));
  } else {
    frame.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  const uint8_t key[4] = {static_cast<uint8_t>(mask >> 24), static_cast<uint8_t>(mask >> 16),
                          static_cast<uint8_t>(mask >> 8), static_cast<uint8_t>(mask)};
  if (masked) frame.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    frame.push_back(static_cast<char>(masked ? payload[i] ^ key[i % 4] : payload[i]));
  }
  return frame;
}

std::string text(std::string_view s, bool fin = true) { return client_frame((fin ? 0x80 : 0) | 0x1, s); }
std::string close_frame(uint16_t code, std::string_view reason = "") {
  std::string p{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  p.append(reason);
  return client_frame(0x88, p);
}

std::vector<Event> read_all(FrameReader& reader, const std::string& bytes, size_t step = 0) {
  std::vector<Event> out;
  if (step == 0) step = bytes.size();
  for (size_t at = 0; at < bytes.size(); at += step) {
    const auto part = std::string_view(bytes).substr(at, step);
    reader.feed({reinterpret_cast<const uint8_t*>(part.data()), part.size()}, out);
  }
  return out;
}

TEST(WsFrames, ReadsMaskedTextAndBinaryMessagesWhateverTheSplit) {
  const std::string big(70000, 'x');
  const std::string bytes = text("Hello") + client_frame(0x82, std::string("\0\1\2", 3)) + text(std::string(300, 'a')) + text(big);
  for (size_t step : {size_t{0}, size_t{1}, size_t{7}, size_t{4096}}) {
    FrameReader reader(1 << 20);
    const auto events = read_all(reader, bytes, step);
    ASSERT_EQ(events.size(), 4u) << "step " << step;
    EXPECT_EQ(events[0].kind, Event::Kind::kText);
    EXPECT_EQ(events[0].payload, "Hello");
    EXPECT_EQ(events[1].kind, Event::Kind::kBinary);
    EXPECT_EQ(events[1].payload, std::string("\0\1\2", 3));
    EXPECT_EQ(events[2].payload, std::string(300, 'a'));
    EXPECT_EQ(events[3].payload, big);
    EXPECT_FALSE(reader.failed());
  }
}

TEST(WsFrames, JoinsFragmentsWithControlFramesBetween) {
  // RFC 6455 §5.4: control frames may be injected between the fragments of a message.
  const std::string bytes = text("Hel", false) + client_frame(0x89, "hi") + client_frame(0x80, "lo");
  FrameReader reader(100);
  const auto events = read_all(reader, bytes, 1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::kPing);
  EXPECT_EQ(events[0].payload, "hi");
  EXPECT_EQ(events[1].kind, Event::Kind::kText);
  EXPECT_EQ(events[1].payload, "Hello");
}

TEST(WsFrames, CloseFramesCarryCodeAndReason) {
  FrameReader reader(100);
  auto events = read_all(reader, close_frame(1001, "bye") + text("after close is ignored"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::kClose);
  EXPECT_EQ(events[0].code, 1001);
  EXPECT_EQ(events[0].payload, "bye");
  FrameReader empty(100);
  events = read_all(empty, client_frame(0x88, ""));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].code, kCloseNoStatus);
}

TEST(WsFrames, ProtocolErrorsEndReading) {
  struct Case {
    std::string bytes;
    uint16_t code;
  } cases[] = {
      {client_frame(0x81, "x", 0, /*masked=*/false), kCloseProtocolError},
      {client_frame(0xC1, "x"), kCloseProtocolError},                      // RSV1 without an extension
      {client_frame(0x83, "x"), kCloseProtocolError},                      // opcode 3
      {client_frame(0x8B, "x"), kCloseProtocolError},                      // opcode 11
      {client_frame(0x09, "x"), kCloseProtocolError},                      // fragmented ping
      {client_frame(0x89, std::string(126, 'p')), kCloseProtocolError},    // control frame > 125
      {client_frame(0x80, "x"), kCloseProtocolError},                      // continuation of nothing
      {text("a", false) + text("b"), kCloseProtocolError},                 // new message mid-message
      {client_frame(0x88, "\x03"), kCloseProtocolError},                   // 1-byte close code
      {close_frame(1005), kCloseProtocolError},                            // reserved code
      {close_frame(999), kCloseProtocolError},
      {close_frame(1000, "\xff"), kCloseProtocolError},                    // reason not UTF-8
      {text("\xc0\xaf"), kCloseBadData},                                   // overlong '/'
      {text("\xed\xa0\x80"), kCloseBadData},                               // a surrogate
      {text("\xf4\x90\x80\x80"), kCloseBadData},                           // above U+10FFFF
      {text("ok\xe2\x82"), kCloseBadData},                                 // cut short
  };
  for (const auto& c : cases) {
    FrameReader reader(100);
    const auto events = read_all(reader, c.bytes + text("never"));
    ASSERT_EQ(events.size(), 1u) << testing::PrintToString(c.bytes);
    EXPECT_EQ(events[0].kind, Event::Kind::kError);
    EXPECT_EQ(events[0].code, c.code) << events[0].payload;
    EXPECT_TRUE(reader.failed());
  }
  // An announced length with the top bit set.
  std::string huge = {static_cast<char>(0x81), static_cast<char>(0xff)};
  huge.append(8, static_cast<char>(0xff));
  huge.append(4, '\0');
  FrameReader reader(100);
  const auto events = read_all(reader, huge);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].code, kCloseProtocolError);
}

TEST(WsFrames, OversizedMessageIsRefusedAtItsHeaderThenTheCloseFrameIsStillRead) {
  // 16 MB announced: the reader must not hold it, say 1009 at once, skip it and find the close frame.
  const std::string big = text(std::string(16 << 20, 'z'));
  FrameReader reader(64 * 1024);
  std::vector<Event> events;
  reader.feed({reinterpret_cast<const uint8_t*>(big.data()), 16}, events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].code, kCloseTooBig);
  events.clear();
  const std::string rest = big.substr(16) + text("ignored") + close_frame(1000);
  for (size_t at = 0; at < rest.size(); at += 65536) {
    const auto part = std::string_view(rest).substr(at, 65536);
    reader.feed({reinterpret_cast<const uint8_t*>(part.data()), part.size()}, events);
  }
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Event::Kind::kClose);
  EXPECT_EQ(events[0].code, 1000);
  // Fragments count together.
  FrameReader fragments(10);
  const auto split = read_all(fragments, text("123456", false) + client_frame(0x80, "789012"));
  ASSERT_EQ(split.size(), 1u);
  EXPECT_EQ(split[0].code, kCloseTooBig);
}

TEST(WsFrames, ServerFramesAreUnmaskedWithMinimalLengths) {
  EXPECT_EQ(encode_frame(Opcode::kText, "Hello"), std::string("\x81\x05Hello"));  // RFC 6455 §5.7
  const std::string mid = encode_frame(Opcode::kBinary, std::string(256, 'b'));
  EXPECT_EQ(mid.substr(0, 4), std::string("\x82\x7e\x01\x00", 4));
  const std::string large = encode_frame(Opcode::kText, std::string(65536, 'c'));
  EXPECT_EQ(large.substr(0, 10), std::string("\x81\x7f\0\0\0\0\0\x01\0\0", 10));
  const std::string close = encode_close(1013, "server busy");
  EXPECT_EQ(close, std::string("\x88\x0d\x03\xf5server busy", 15));
  // A long Korean reason is cut to fit 125 bytes without splitting a character.
  std::string korean;
  for (int i = 0; i < 60; ++i) korean += "바";
  const std::string cut = encode_close(1000, korean);
  EXPECT_LE(cut.size() - 2, 125u);
  EXPECT_TRUE(valid_utf8(cut.substr(4)));
}

TEST(WsFrames, Utf8Validation) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("수어 안녕하세요 😀"));
  EXPECT_FALSE(valid_utf8("\x80"));
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));  // overlong
  EXPECT_FALSE(valid_utf8("\xf8\x88\x80\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xe2\x82"));
}

TEST(WsFrames, RandomBytesNeverCrashAndStopAtTheFirstError) {
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(rng() % 300, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng());
    FrameReader reader(1000);
    const auto events = read_all(reader, bytes, 1 + rng() % 17);
    int errors = 0;
    for (const auto& e : events) errors += e.kind == Event::Kind::kError;
    EXPECT_LE(errors, 1);
  }
}

}  // namespace
}  // namespace sueo::transport::ws
