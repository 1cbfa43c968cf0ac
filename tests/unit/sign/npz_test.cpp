// .npz reading (sueo eval's input) on archives numpy wrote: the committed parity fixture and, where
// present, the real landmark sets.
#include "sign/npz.h"

#include <gtest/gtest.h>

#include <fstream>

#include "sign/landmark_set.h"
#include "test_paths.h"

namespace sueo::sign {
namespace {

TEST(Npz, ReadsDeflatedArraysNumpyWrote) {
  const auto arrays = read_npz(test::shipped_parity());
  const auto& raw = arrays.at("raw");
  EXPECT_EQ(raw.descr, "<f4");
  ASSERT_EQ(raw.shape.size(), 3u);
  EXPECT_EQ(raw.shape[2], kFrameValues);
  const auto lengths = arrays.at("raw_lengths").ints();
  EXPECT_EQ(lengths.size(), raw.shape[0]);
  EXPECT_EQ(arrays.at("frames").ints().at(0), 48);
  // The synthetic pose puts the left shoulder (landmark 11) at x = 0.60 ± noise.
  EXPECT_NEAR(raw.floats()[11 * 4], 0.60f, 0.02f);
}

TEST(Npz, SaysWhatIsWrongWithABrokenFile) {
  const std::string path = testing::TempDir() + "broken.npz";
  std::ofstream(path) << "PK not really a zip";
  try {
    read_npz(path);
    FAIL() << "no error";
  } catch (const NpzError& error) {
    EXPECT_NE(std::string(error.what()).find("broken.npz"), std::string::npos) << error.what();
  }
  EXPECT_THROW(read_npz(path + ".missing"), NpzError);
}

TEST(LandmarkSet, ReadsKeti6WithItsClassNames) {
  if (!test::exists(test::keti6())) GTEST_SKIP() << "../shared/data/ksl-keti6 is absent";
  const auto set = load_landmark_set(test::keti6());
  ASSERT_EQ(set.sequences.size(), 288u);
  EXPECT_EQ(set.classes.front(), "car_accident");
  EXPECT_EQ(set.sequences.front().size(), 153u);  // lengths[0]
}

TEST(LandmarkSet, DecodesKoreanClassNames) {
  if (!test::exists(test::emergency10())) GTEST_SKIP() << "../shared/data/ksl-emergency10 is absent";
  const auto set = load_landmark_set(test::emergency10());
  ASSERT_EQ(set.sequences.size(), 1999u);
  EXPECT_EQ(set.classes.back(), "심장마비");
}

}  // namespace
}  // namespace sueo::sign
