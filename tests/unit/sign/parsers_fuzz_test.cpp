// The byte parsers (ONNX protobuf walk, .npy/.zip) on damaged input: every truncation point and
// random byte flips of real files must end in a clean exception or a parse, never a crash (run under
// SUEO_SANITIZE=ON to catch out-of-bounds reads).
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "sign/npz.h"
#include "sign/onnx_info.h"
#include "test_paths.h"

namespace sueo::sign {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

void parse_or_throw(const std::string& bytes) {
  try {
    parse_onnx_info(bytes);
  } catch (const OnnxParseError&) {
  }
}

TEST(ParserFuzz, OnnxInfoSurvivesTruncationAndFlips) {
  const std::string model = slurp(test::test_model("dynamic_logits.onnx"));
  ASSERT_GT(model.size(), 1000u);
  for (size_t cut = 0; cut < model.size(); ++cut) parse_or_throw(model.substr(0, cut));
  std::mt19937 rng(1);
  for (int round = 0; round < 3000; ++round) {
    std::string damaged = model;
    for (int k = 0; k < 4; ++k) damaged[rng() % damaged.size()] = static_cast<char>(rng());
    parse_or_throw(damaged);
  }
  EXPECT_NO_THROW(parse_onnx_info(model));
}

TEST(ParserFuzz, NpyHeaderSurvivesTruncationAndFlips) {
  // A small .npy built by hand: int32 [3].
  std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
  header.resize(118, ' ');
  header += '\n';
  std::string npy = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header +
                    std::string("\x01\0\0\0\x02\0\0\0\x03\0\0\0", 12);
  EXPECT_EQ(parse_npy(npy, "ok").ints(), (std::vector<int64_t>{1, 2, 3}));
  std::mt19937 rng(2);
  for (size_t cut = 0; cut < npy.size(); ++cut) {
    try {
      parse_npy(npy.substr(0, cut), "cut").ints();
    } catch (const std::exception&) {
    }
  }
  for (int round = 0; round < 3000; ++round) {
    std::string damaged = npy;
    damaged[rng() % damaged.size()] = static_cast<char>(rng());
    try {
      parse_npy(damaged, "flipped").ints();
    } catch (const std::exception&) {
    }
  }
}

TEST(ParserFuzz, NpzSurvivesTruncationAndFlips) {
  const std::string zip = slurp(test::shipped_parity());
  const std::string path = testing::TempDir() + "damaged.npz";
  const auto attempt = [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    try {
      read_npz(path);
    } catch (const std::exception&) {
    }
  };
  std::mt19937 rng(3);
  for (int round = 0; round < 60; ++round) attempt(zip.substr(0, rng() % zip.size()));
  // Flips in the central directory and the last member, where sizes and offsets live.
  for (int round = 0; round < 120; ++round) {
    std::string damaged = zip;
    damaged[damaged.size() - 1 - rng() % 2000] = static_cast<char>(rng());
    attempt(damaged);
  }
  EXPECT_NO_THROW(read_npz(test::shipped_parity()));
}

}  // namespace
}  // namespace sueo::sign
