#include "frames/sequence_stats.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "test_util.h"

namespace sueo::frames {
namespace {

TEST(Percentile, InterpolatesBetweenClosestRanks) {
  EXPECT_EQ(percentile({}, 50), 0);
  EXPECT_EQ(percentile({7}, 0), 7);
  EXPECT_EQ(percentile({7}, 95), 7);
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 50), 2.5);  // unsorted input
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 95), 3.85);  // rank 0.95 * 3 = 2.85
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 25), 1.75);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 0), 1);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 100), 4);
  EXPECT_DOUBLE_EQ(percentile({10, 20, 30}, 50), 20);
  EXPECT_DOUBLE_EQ(percentile({10, 20}, 10), 11);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3}, -5), 1);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3}, 150), 3);
}

SequenceStats example() {
  SequenceStats s;
  s.seq = 7;
  s.expected = 150;
  s.received = 148;
  s.decoded = 147;
  s.bytes = 4718592;
  s.width = 640;
  s.height = 480;
  s.t_first_chunk_ms = 1764136000125.0;
  s.t_receive_ms = 1764136010124.1;
  s.drops.add(DropReason::kIncomplete, 2);
  s.drops.add(DropReason::kBadJpeg);
  s.decode_ms = {1.0, 3.0, 2.0};
  s.assembly_ms = {0.1, 0.2, 0.3, 0.4, 1.4};
  s.complete_ms = {1.0, 2.0};
  return s;
}

TEST(SequenceStats, WritesTheReceiptFields) {
  const auto j = example().to_json(false);
  EXPECT_EQ(j.at("seq"), 7);
  EXPECT_EQ(j.at("frames").at("expected"), 150);
  EXPECT_EQ(j.at("frames").at("received"), 148);
  EXPECT_EQ(j.at("frames").at("decoded"), 147);
  const auto& dropped = j.at("frames").at("dropped");
  EXPECT_EQ(dropped.at("incomplete"), 2);
  EXPECT_EQ(dropped.at("bad_jpeg"), 1);
  EXPECT_EQ(dropped.at("duplicate"), 0);
  EXPECT_EQ(dropped.at("oversized"), 0);
  EXPECT_EQ(dropped.at("out_of_range"), 0);
  EXPECT_EQ(dropped.at("overloaded"), 0);
  EXPECT_EQ(j.at("bytes"), 4718592);
  EXPECT_EQ(j.at("width"), 640);
  EXPECT_EQ(j.at("height"), 480);
  EXPECT_DOUBLE_EQ(j.at("t_first_chunk").get<double>(), 1764136000125.0);
  EXPECT_DOUBLE_EQ(j.at("t_receive").get<double>(), 1764136010124.1);
  EXPECT_DOUBLE_EQ(j.at("decode_ms").at("median").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j.at("decode_ms").at("max").get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(j.at("assembly_ms").at("p50").get<double>(), 0.3);
  EXPECT_DOUBLE_EQ(j.at("assembly_ms").at("p95").get<double>(), 0.4 + 0.8 * 1.0);  // rank 3.8
  EXPECT_FALSE(j.contains("detail"));
}

TEST(SequenceStats, DetailAddsPerFrameArrays) {
  const auto j = example().to_json(true);
  ASSERT_TRUE(j.contains("detail"));
  EXPECT_EQ(j["detail"]["decode_ms"], nlohmann::json({1.0, 3.0, 2.0}));
  EXPECT_EQ(j["detail"]["assembly_ms"].size(), 5u);
  EXPECT_EQ(j["detail"]["complete_ms"], nlohmann::json({1.0, 2.0}));
}

TEST(SequenceStats, EmptySequenceHasZeros) {
  const auto j = SequenceStats{}.to_json(false);
  EXPECT_EQ(j["decode_ms"]["median"], 0);
  EXPECT_EQ(j["decode_ms"]["max"], 0);
  EXPECT_EQ(j["assembly_ms"]["p95"], 0);
}

// The keys (recursively) of a JSON object, as "a.b.c" paths.
void key_paths(const nlohmann::json& j, const std::string& prefix, std::set<std::string>& out) {
  for (const auto& [key, value] : j.items()) {
    out.insert(prefix + key);
    if (value.is_object()) key_paths(value, prefix + key + ".", out);
  }
}

TEST(SequenceStats, HasExactlyTheKeysOfTheProtocolExample) {
  // The receipt example of docs/protocol.md §3 is the contract with the page: same keys, none missing,
  // none extra, except the two the sender adds ("type", "t_receipt").
  std::ifstream in(test::source_path("docs/protocol.md"));
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const size_t section = doc.find("## 3. Receipt");
  ASSERT_NE(section, std::string::npos);
  const size_t begin = doc.find("```json", section);
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 7);
  const auto example_json = nlohmann::json::parse(doc.substr(begin + 7, end - begin - 7));
  std::set<std::string> want, got;
  key_paths(example_json, "", want);
  want.erase("type");
  want.erase("t_receipt");
  key_paths(example().to_json(false), "", got);
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace sueo::frames
