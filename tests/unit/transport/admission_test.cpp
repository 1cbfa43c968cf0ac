// Origin rules, client addresses behind proxies, the token bucket, and the protocol's message checks
// (every field of docs/protocol.md: type, range, required or optional).
#include <gtest/gtest.h>

#include "protocol/messages.h"
#include "transport/admission.h"

namespace sueo::transport {
namespace {

TEST(Admission, OriginDefaultsToTheServersOwn) {
  const std::vector<std::string> none;
  EXPECT_TRUE(origin_allowed("https://192.168.0.12:8443", "192.168.0.12:8443", none));
  EXPECT_TRUE(origin_allowed("HTTPS://LocalHost:8443/", "localhost:8443", none));
  EXPECT_TRUE(origin_allowed("https://sueo.example", "sueo.example", none));
  EXPECT_TRUE(origin_allowed("https://sueo.example:443", "sueo.example", none));
  EXPECT_TRUE(origin_allowed("", "anything", none)) << "non-browser clients send no Origin";
  EXPECT_FALSE(origin_allowed("https://evil.example", "192.168.0.12:8443", none));
  EXPECT_FALSE(origin_allowed("http://192.168.0.12:8443", "192.168.0.12:8443", none)) << "another scheme is another origin";
  EXPECT_FALSE(origin_allowed("https://192.168.0.12:9443", "192.168.0.12:8443", none));
  EXPECT_FALSE(origin_allowed("null", "null", none));
  EXPECT_FALSE(origin_allowed("https://x", "", none));
}

TEST(Admission, OriginListReplacesTheDefault) {
  const std::vector<std::string> list = {"https://app.example", "null"};
  EXPECT_TRUE(origin_allowed("https://app.example", "sueo.internal:8443", list));
  EXPECT_TRUE(origin_allowed("null", "sueo.internal:8443", list));
  EXPECT_FALSE(origin_allowed("https://sueo.internal:8443", "sueo.internal:8443", list));
  EXPECT_TRUE(origin_allowed("https://anything", "h", {"*"}));
}

TEST(Admission, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  const std::vector<std::string> proxies = {"10.0.0.2"};
  EXPECT_EQ(client_address("10.0.0.2", "203.0.113.7", proxies), "203.0.113.7");
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.1, 203.0.113.7 ", proxies), "203.0.113.7")
      << "the last entry is the one the trusted proxy added; earlier ones are the client's word";
  EXPECT_EQ(client_address("10.0.0.2", "", proxies), "10.0.0.2");
  EXPECT_EQ(client_address("192.168.0.5", "203.0.113.7", proxies), "192.168.0.5");
}

TEST(Admission, TokenBucketAllowsBurstThenRate) {
  TokenBucket bucket(10, 20);
  int taken = 0;
  for (int i = 0; i < 100; ++i) taken += bucket.take(1000.0);
  EXPECT_EQ(taken, 20);
  EXPECT_FALSE(bucket.take(1050.0));
  EXPECT_TRUE(bucket.take(1100.0));  // 100 ms at 10/s: one token
  EXPECT_FALSE(bucket.take(1100.0));
  taken = 0;
  for (int i = 0; i < 100; ++i) taken += bucket.take(60000.0);
  EXPECT_EQ(taken, 20) << "never more than the burst, however long the pause";
  EXPECT_FALSE(bucket.take(59000.0)) << "a clock step back adds nothing";
}

}  // namespace
}  // namespace sueo::transport

namespace sueo::protocol {
namespace {

template <typename T>
const T& as(const WsMessage& m) {
  EXPECT_TRUE(std::holds_alternative<T>(m));
  return std::get<T>(m);
}

std::string error_code(const WsMessage& m) {
  return std::holds_alternative<Error>(m) ? std::get<Error>(m).code : "";
}
std::string error_code(const ChannelMessage& m) {
  return std::holds_alternative<Error>(m) ? std::get<Error>(m).code : "";
}

TEST(Messages, WsMessages) {
  EXPECT_EQ(as<Offer>(parse_ws_message(R"({"type":"offer","sdp":"v=0\r\n"})")).sdp, "v=0\r\n");
  EXPECT_EQ(as<Ping>(parse_ws_message(R"({"type":"ping","t0":12.5})")).t0, 12.5);
  EXPECT_TRUE(as<Options>(parse_ws_message(R"({"type":"options","landmarks":true})")).landmarks);
  const auto c = as<Candidate>(parse_ws_message(
      R"({"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 1.2.3.4 9 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":null}})"));
  EXPECT_EQ(c.sdp_mid, "0");
  EXPECT_EQ(c.sdp_mline_index, 0);
  const auto end = as<Candidate>(parse_ws_message(R"({"type":"candidate","candidate":{"sdpMid":null,"sdpMLineIndex":null}})"));
  EXPECT_FALSE(end.candidate.has_value());
  EXPECT_FALSE(end.sdp_mid.has_value());

  EXPECT_EQ(error_code(parse_ws_message("")), "bad_json");
  EXPECT_EQ(error_code(parse_ws_message("{\"type\":\"ping\",\"t0\":\"\xff\"}")), "bad_json") << "not UTF-8";
  EXPECT_EQ(error_code(parse_ws_message("[]")), "bad_message");
  EXPECT_EQ(error_code(parse_ws_message(R"({"type":7})")), "bad_message");
  EXPECT_EQ(error_code(parse_ws_message(R"({"type":"ping"})")), "bad_message");
  EXPECT_EQ(error_code(parse_ws_message(R"({"type":"ping","t0":"1"})")), "bad_message");
  EXPECT_EQ(error_code(parse_ws_message(R"({"type":"offer","sdp":7})")), "bad_message");
  EXPECT_EQ(error_code(parse_ws_message(R"({"type":"options"})")), "bad_message");
  EXPECT_EQ(error_code(parse_ws_message(R"({"type":"candidate","candidate":"x"})")), "bad_candidate");
  EXPECT_EQ(error_code(parse_ws_message(R"({"type":"candidate","candidate":{"candidate":5}})")), "bad_candidate");
  EXPECT_EQ(error_code(parse_ws_message(R"({"type":"candidate","candidate":{"sdpMLineIndex":-1}})")), "bad_candidate");
  EXPECT_EQ(error_code(parse_ws_message(R"({"type":"candidate","candidate":{"sdpMid":3}})")), "bad_candidate");
  const auto unknown = parse_ws_message("{\"type\":\"" + std::string(63, 'a') + "\xea\xb0\x80\"}");
  ASSERT_EQ(error_code(unknown), "unknown_type");
  EXPECT_NO_THROW(nlohmann::json(std::get<Error>(unknown).message).dump()) << "the echoed type is cut at a character";
}

TEST(Messages, SequenceStartEveryFieldChecked) {
  const SequenceLimits limits;
  const std::string base = R"("type":"sequence-start","seq":7,"frames":150,"fps":15,"width":640,"height":480,"t_start":1764136000123.4)";
  const auto ok = parse_channel_message("{" + base + "}", limits);
  ASSERT_TRUE(std::holds_alternative<SequenceStart>(ok));
  const auto& s = std::get<SequenceStart>(ok);
  EXPECT_EQ(s.seq, 7u);
  EXPECT_EQ(s.frames, 150u);
  EXPECT_EQ(s.width, 640);
  EXPECT_FALSE(s.detail);
  EXPECT_TRUE(std::get<SequenceStart>(parse_channel_message("{" + base + R"(,"detail":true,"extra":1})", limits)).detail);
  EXPECT_EQ(std::get<SequenceStart>(parse_channel_message(R"({"type":"sequence-start","seq":4294967295,"frames":600,"fps":120,"width":4096,"height":1,"t_start":1})", limits)).seq,
            4294967295u);
  EXPECT_TRUE(std::holds_alternative<SequenceStart>(parse_channel_message(R"({"type":"sequence-start","seq":1.0,"frames":2,"fps":14.99,"width":640.0,"height":480,"t_start":5})", limits)));

  for (const char* bad : {R"("seq":-1)", R"("seq":4294967296)", R"("seq":1.5)", R"("seq":"1")", R"("frames":0)",
                          R"("frames":601)", R"("frames":1e12)", R"("fps":0)", R"("fps":1e9)", R"("fps":"15")",
                          R"("width":0)", R"("width":1e9)", R"("height":-5)", R"("width":640.5)", R"("t_start":"x")",
                          R"("t_start":0)", R"("t_start":-3)", R"("detail":"yes")"}) {
    std::string text = "{" + base;
    const std::string key = std::string(bad).substr(0, std::string(bad).find(':'));
    const size_t at = text.find(key);
    if (at == std::string::npos) {
      text += std::string(",") + bad;  // an optional field not in `base`
    } else {
      text.replace(at, text.find_first_of(",}", at) - at, bad);
    }
    EXPECT_EQ(error_code(parse_channel_message(text + "}", limits)), "bad_message") << text;
  }
  for (const char* field : {"seq", "frames", "fps", "width", "height", "t_start"}) {
    std::string text = "{" + base;
    const size_t at = text.find(std::string("\"") + field + "\"");
    const size_t stop = text.find(',', at);
    text.erase(at - 1, (stop == std::string::npos ? text.size() : stop) - at + 1);
    EXPECT_EQ(error_code(parse_channel_message(text + "}", limits)), "bad_message") << field << " is required: " << text;
  }
}

TEST(Messages, SequenceEndAndOthers) {
  const SequenceLimits limits;
  const auto end = std::get<SequenceEnd>(parse_channel_message(R"({"type":"sequence-end","seq":7,"frames":150,"t_last_sent":5.5})", limits));
  EXPECT_EQ(end.frames, 150u);
  EXPECT_EQ(end.t_last_sent, 5.5);
  const auto bare = std::get<SequenceEnd>(parse_channel_message(R"({"type":"sequence-end","seq":7})", limits));
  EXPECT_FALSE(bare.frames.has_value());
  EXPECT_EQ(error_code(parse_channel_message(R"({"type":"sequence-end"})", limits)), "bad_message");
  EXPECT_EQ(error_code(parse_channel_message(R"({"type":"sequence-end","seq":7,"frames":-1})", limits)), "bad_message");
  EXPECT_EQ(error_code(parse_channel_message(R"({"type":"sequence-end","seq":7,"t_last_sent":"x"})", limits)), "bad_message");
  EXPECT_EQ(error_code(parse_channel_message("", limits)), "bad_json");
  EXPECT_EQ(error_code(parse_channel_message("{", limits)), "bad_json");
  EXPECT_EQ(error_code(parse_channel_message(R"({"type":"sequence-middle"})", limits)), "unknown_type");
}

}  // namespace
}  // namespace sueo::protocol
