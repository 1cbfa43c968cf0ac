#include "frames/chunk.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "test_util.h"

namespace sueo::frames {
namespace {

using test::build_message;
using test::RawHeader;

constexpr uint32_t kMax = 4u << 20;

std::vector<uint8_t> bytes(size_t n, uint8_t first = 1) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST(ParseChunk, ReadsEveryFieldBigEndian) {
  RawHeader h;
  h.seq = 0x01020304;
  h.frame_index = 0xA0B0C0D0;
  h.chunk_index = 0x0102;
  h.chunk_count = 0x0A0B;
  h.frame_bytes = 0x00123456;
  h.chunk_offset = 0x00012345;
  h.capture_time_ms = 1764136000123.4;
  const auto payload = bytes(100);
  const auto m = build_message(h, payload);
  ASSERT_EQ(m[4], 0x01);  // the writer is big-endian, as the page's DataView
  ASSERT_EQ(m[7], 0x04);
  ParseError error;
  const auto chunk = parse_chunk(m, kMax, error);
  ASSERT_TRUE(chunk) << error.message;
  EXPECT_EQ(chunk->header.seq, 0x01020304u);
  EXPECT_EQ(chunk->header.frame_index, 0xA0B0C0D0u);
  EXPECT_EQ(chunk->header.chunk_index, 0x0102);
  EXPECT_EQ(chunk->header.chunk_count, 0x0A0B);
  EXPECT_EQ(chunk->header.frame_bytes, 0x00123456u);
  EXPECT_EQ(chunk->header.chunk_offset, 0x00012345u);
  EXPECT_EQ(chunk->header.capture_time_ms, 1764136000123.4);
  ASSERT_EQ(chunk->payload.size(), payload.size());
  EXPECT_EQ(chunk->payload.data(), m.data() + 32);  // a view into the message, not a copy
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), chunk->payload.begin()));
}

TEST(ParseChunk, PayloadStartsAtHeaderBytes) {
  RawHeader h;
  h.header_bytes = 40;  // a later version's longer header: the 8 unknown bytes are skipped
  const auto payload = bytes(5, 200);
  const auto m = build_message(h, payload);
  ASSERT_EQ(m.size(), 45u);
  ParseError error;
  const auto chunk = parse_chunk(m, kMax, error);
  ASSERT_TRUE(chunk) << error.message;
  ASSERT_EQ(chunk->payload.size(), 5u);
  EXPECT_EQ(chunk->payload[0], 200);
}

TEST(ParseChunk, RefusesMessagesShorterThanTheHeader) {
  for (size_t size : {0, 1, 16, 31}) {
    const std::vector<uint8_t> m(size, 1);
    ParseError error;
    EXPECT_FALSE(parse_chunk(m, kMax, error)) << size;
    EXPECT_EQ(error.code, "bad_chunk");
    EXPECT_NE(error.message.find("header"), std::string::npos) << error.message;
  }
}

// One rule broken at a time; `field` must be named in the message.
struct BadCase {
  const char* name;
  std::function<std::vector<uint8_t>()> message;
  const char* code;
  const char* field;
};

std::vector<uint8_t> with(std::function<void(RawHeader&)> edit, size_t payload_size = 10) {
  RawHeader h;
  h.frame_bytes = 10;
  edit(h);
  return build_message(h, bytes(payload_size));
}

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class ParseChunkBad : public testing::TestWithParam<BadCase> {};

TEST_P(ParseChunkBad, IsRefusedNamingTheField) {
  const auto m = GetParam().message();
  ParseError error;
  EXPECT_FALSE(parse_chunk(m, 1000, error));
  EXPECT_EQ(error.code, GetParam().code);
  EXPECT_NE(error.message.find(GetParam().field), std::string::npos) << error.message;
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

INSTANTIATE_TEST_SUITE_P(
    Rules, ParseChunkBad,
    testing::Values(
        BadCase{"version0", [] { return with([](RawHeader& h) { h.version = 0; }); }, "bad_chunk", "version"},
        BadCase{"version2", [] { return with([](RawHeader& h) { h.version = 2; }); }, "bad_chunk", "version"},
        BadCase{"version255", [] { return with([](RawHeader& h) { h.version = 255; }); }, "bad_chunk", "version"},
        BadCase{"kind0", [] { return with([](RawHeader& h) { h.kind = 0; }); }, "bad_chunk", "kind"},
        BadCase{"kind2", [] { return with([](RawHeader& h) { h.kind = 2; }); }, "bad_chunk", "kind"},
        BadCase{"header_bytes0", [] { return with([](RawHeader& h) { h.header_bytes = 0; }); }, "bad_chunk",
                "header_bytes"},
        BadCase{"header_bytes31", [] { return with([](RawHeader& h) { h.header_bytes = 31; }); }, "bad_chunk",
                "header_bytes"},
        BadCase{"header_bytes_beyond_message",
                [] {
                  auto m = with([](RawHeader&) {});  // 42 bytes
                  m[2] = 0;
                  m[3] = 43;
                  return m;
                },
                "bad_chunk", "header_bytes"},
        BadCase{"header_bytes_65535",
                [] {
                  auto m = with([](RawHeader&) {});
                  m[2] = m[3] = 0xFF;
                  return m;
                },
                "bad_chunk", "header_bytes"},
        BadCase{"chunk_count0", [] { return with([](RawHeader& h) { h.chunk_count = 0; }); }, "bad_chunk",
                "chunk_count"},
        BadCase{"chunk_index_eq_count",
                [] {
                  return with([](RawHeader& h) {
                    h.chunk_count = 3;
                    h.chunk_index = 3;
                  });
                },
                "bad_chunk", "chunk_index"},
        BadCase{"chunk_index_max",
                [] {
                  return with([](RawHeader& h) {
                    h.chunk_count = 1;
                    h.chunk_index = 65535;
                  });
                },
                "bad_chunk", "chunk_index"},
        BadCase{"frame_bytes0", [] { return with([](RawHeader& h) { h.frame_bytes = 0; }, 1); }, "bad_chunk",
                "frame_bytes"},
        BadCase{"frame_bytes_over_max", [] { return with([](RawHeader& h) { h.frame_bytes = 1001; }); },
                "oversized", "frame_bytes"},
        BadCase{"frame_bytes_u32max", [] { return with([](RawHeader& h) { h.frame_bytes = UINT32_MAX; }); },
                "oversized", "frame_bytes"},
        BadCase{"payload_empty", [] { return with([](RawHeader&) {}, 0); }, "bad_chunk", "payload"},
        BadCase{"payload_empty_longer_header",
                [] {
                  auto m = with([](RawHeader&) {});
                  m[3] = static_cast<uint8_t>(m.size());  // header_bytes == message size
                  return m;
                },
                "bad_chunk", "payload"},
        BadCase{"more_chunks_than_bytes",
                [] {
                  return with([](RawHeader& h) {
                    h.frame_bytes = 10;
                    h.chunk_count = 11;
                  });
                },
                "bad_chunk", "chunk_count"},
        BadCase{"payload_beyond_frame", [] { return with([](RawHeader& h) { h.frame_bytes = 9; }); }, "bad_chunk",
                "chunk_offset"},
        BadCase{"offset_beyond_frame",
                [] {
                  return with([](RawHeader& h) {
                    h.frame_bytes = 100;
                    h.chunk_offset = 91;
                  });
                },
                "bad_chunk", "chunk_offset"},
        BadCase{"offset_wraps_32_bits",
                [] {
                  return with([](RawHeader& h) {
                    h.frame_bytes = 100;
                    h.chunk_offset = UINT32_MAX - 4;  // offset + payload overflows 32 bits
                  });
                },
                "bad_chunk", "chunk_offset"},
        BadCase{"capture_nan", [] { return with([](RawHeader& h) { h.capture_time_ms = kNaN; }); }, "bad_chunk",
                "capture_time"},
        BadCase{"capture_inf", [] { return with([](RawHeader& h) { h.capture_time_ms = kInf; }); }, "bad_chunk",
                "capture_time"},
        BadCase{"capture_minus_inf", [] { return with([](RawHeader& h) { h.capture_time_ms = -kInf; }); },
                "bad_chunk", "capture_time"}),
    [](const testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(ParseChunk, AcceptsBoundaryValues) {
  struct Good {
    const char* name;
    std::vector<uint8_t> message;
  };
  const std::vector<Good> good = {
      {"one byte frame", with([](RawHeader& h) { h.frame_bytes = 1; }, 1)},
      {"frame_bytes at the limit", with([](RawHeader& h) { h.frame_bytes = 1000; })},
      {"payload ends at frame_bytes",
       with([](RawHeader& h) {
         h.frame_bytes = 100;
         h.chunk_offset = 90;
       })},
      {"last index", with([](RawHeader& h) {
         h.chunk_count = 10;
         h.chunk_index = 9;
       })},
      {"as many chunks as bytes", with([](RawHeader& h) {
         h.frame_bytes = 10;
         h.chunk_count = 10;
       })},
      {"64-bit-clean seq and index", with([](RawHeader& h) {
         h.seq = UINT32_MAX;
         h.frame_index = UINT32_MAX;
       })},
      {"capture time 0", with([](RawHeader& h) { h.capture_time_ms = 0; })},
      {"negative capture time", with([](RawHeader& h) { h.capture_time_ms = -1.5; })},
      {"largest finite capture time",
       with([](RawHeader& h) { h.capture_time_ms = std::numeric_limits<double>::max(); })},
      {"header_bytes one below the size", [] {
         auto m = with([](RawHeader&) {});
         m[3] = static_cast<uint8_t>(m.size() - 1);
         return m;
       }()},
  };
  for (const auto& g : good) {
    ParseError error;
    EXPECT_TRUE(parse_chunk(g.message, 1000, error)) << g.name << ": " << error.message;
  }
}

TEST(MakeChunks, RoundTripsARealJpegAtManySizes) {
  const auto& jpeg = test::real_jpeg();
  ASSERT_GT(jpeg.size(), 10000u);
  for (size_t max_message : {33ul, 34ul, 100ul, 1000ul, 16384ul, 65536ul, jpeg.size() + 31, jpeg.size() + 32,
                             jpeg.size() + 1000}) {
    SCOPED_TRACE(max_message);
    const auto messages = make_chunks(9, 42, 1234.5, jpeg, max_message);
    const size_t per_chunk = max_message - 32;
    ASSERT_EQ(messages.size(), (jpeg.size() + per_chunk - 1) / per_chunk);
    std::vector<uint8_t> joined;
    for (size_t i = 0; i < messages.size(); ++i) {
      ASSERT_LE(messages[i].size(), max_message);
      ParseError error;
      const auto chunk = parse_chunk(messages[i], kMax, error);
      ASSERT_TRUE(chunk) << error.message;
      EXPECT_EQ(chunk->header.seq, 9u);
      EXPECT_EQ(chunk->header.frame_index, 42u);
      EXPECT_EQ(chunk->header.chunk_index, i);
      EXPECT_EQ(chunk->header.chunk_count, messages.size());
      EXPECT_EQ(chunk->header.frame_bytes, jpeg.size());
      EXPECT_EQ(chunk->header.chunk_offset, joined.size());
      EXPECT_EQ(chunk->header.capture_time_ms, 1234.5);
      if (i + 1 < messages.size()) {
        EXPECT_EQ(chunk->payload.size(), per_chunk) << "every chunk but the last is full";
      }
      joined.insert(joined.end(), chunk->payload.begin(), chunk->payload.end());
    }
    EXPECT_EQ(joined, jpeg);
  }
}

TEST(MakeChunks, MatchesTheIndependentWriter) {
  const auto payload = bytes(20);
  RawHeader h;
  h.seq = 0xDEADBEEF;
  h.frame_index = 3;
  h.capture_time_ms = -0.25;
  EXPECT_EQ(make_chunks(0xDEADBEEF, 3, -0.25, payload, 100).at(0), build_message(h, payload));
}

TEST(MakeChunks, RefusesImpossibleRequests) {
  const auto payload = bytes(100);
  EXPECT_THROW(make_chunks(1, 0, 0, payload, 32), std::invalid_argument);
  EXPECT_THROW(make_chunks(1, 0, 0, std::span<const uint8_t>(), 1000), std::invalid_argument);
  const std::vector<uint8_t> big(70000, 1);
  EXPECT_THROW(make_chunks(1, 0, 0, big, 33), std::invalid_argument);  // 70000 chunks > 65535
}

}  // namespace
}  // namespace sueo::frames
