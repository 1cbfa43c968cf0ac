// .npz reading and writing: archives numpy wrote (the committed parity fixture and, where present, the
// real landmark sets), our own archives read back, and the errors a broken file or array gives.
#include "sign/npz.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sign/landmark_set.h"
#include "test_paths.h"

namespace sueo::sign {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// What `sueo extract` writes, small: X float32 [2, 3, 4], lengths int32, files as '<U' strings.
std::vector<float> sample_x() {
  std::vector<float> x(24);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.25f - 1.0f;
  return x;
}
const std::vector<std::string> kFiles = {"a.mp4", "수어/심장마비.mp4", ""};

Npz sample() {
  return {{"X", npy_float32({2, 3, 4}, sample_x())},
          {"lengths", npy_int32({3, -1})},
          {"files", npy_strings(kFiles)}};
}

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

TEST(Npz, RoundTripsStoredAndDeflated) {
  const std::string path = testing::TempDir() + "roundtrip.npz";
  for (const NpzMethod method : {NpzMethod::kStored, NpzMethod::kDeflated}) {
    write_npz(path, sample(), method);
    const Npz back = read_npz(path);
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back.at("X").shape, (std::vector<size_t>{2, 3, 4}));
    EXPECT_EQ(back.at("X").floats(), sample_x());
    EXPECT_EQ(back.at("lengths").descr, "<i4");
    EXPECT_EQ(back.at("lengths").ints(), (std::vector<int64_t>{3, -1}));
    EXPECT_EQ(back.at("files").descr, "<U11");  // "수어/심장마비.mp4" is 11 characters
    EXPECT_EQ(back.at("files").strings(), kFiles);
  }
}

TEST(Npz, DeflatesWhenAsked) {
  // Zero padding, as in extract's X: ~400 kB stored, almost nothing deflated.
  const Npz zeros = {{"X", npy_float32({100, 1000}, std::vector<float>(100000, 0.0f))}};
  const std::string stored = testing::TempDir() + "stored.npz",
                    deflated = testing::TempDir() + "deflated.npz";
  write_npz(stored, zeros, NpzMethod::kStored);
  write_npz(deflated, zeros, NpzMethod::kDeflated);
  EXPECT_GT(fs::file_size(stored), 400000u);
  EXPECT_LT(fs::file_size(deflated), 10000u);
  EXPECT_EQ(read_npz(deflated).at("X").floats(), std::vector<float>(100000, 0.0f));
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

TEST(Npz, CatchesDamagedDataByItsCrc) {
  // A flipped value byte inside a stored member leaves every header intact: only the CRC can tell.
  const std::string path = testing::TempDir() + "flipped.npz";
  write_npz(path, sample(), NpzMethod::kStored);
  std::string bytes = slurp(path);
  const std::string x = sample().at("X").data;
  const size_t at = bytes.find(x);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 5] ^= 0x40;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  try {
    read_npz(path);
    FAIL() << "no error";
  } catch (const NpzError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("flipped.npz"), std::string::npos) << what;
    EXPECT_NE(what.find("X.npy"), std::string::npos) << what;
    EXPECT_NE(what.find("CRC"), std::string::npos) << what;
  }
}

TEST(Npz, WriterRefusesArraysThatDisagreeWithTheirShape) {
  EXPECT_THROW(npy_float32({2, 3}, std::vector<float>(5)), NpzError);
  const std::string path = testing::TempDir() + "bad_array.npz";
  try {
    write_npz(path, {{"X", NpyArray{"<f4", {3}, "abc"}}});
    FAIL() << "no error";
  } catch (const NpzError& error) {
    EXPECT_NE(std::string(error.what()).find("bad_array.npz: X.npy"), std::string::npos) << error.what();
  }
  EXPECT_THROW(write_npz(testing::TempDir() + "no/such/dir/x.npz", sample()), NpzError);
}

TEST(Npz, AccessorsRefuseTheWrongDtype) {
  const Npz arrays = sample();
  EXPECT_THROW(arrays.at("X").ints(), NpzError);
  EXPECT_THROW(arrays.at("lengths").strings(), NpzError);
  EXPECT_THROW(arrays.at("files").floats(), NpzError);
}

TEST(Npz, ReadsEverySharedLandmarkSet) {
  const fs::path root = test::shared_data();
  int seen = 0;
  for (const auto& dir : fs::exists(root) ? fs::directory_iterator(root) : fs::directory_iterator()) {
    if (!dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(dir)) {
      if (file.path().extension() != ".npz") continue;
      SCOPED_TRACE(file.path().string());
      const Npz arrays = read_npz(file.path().string());
      const NpyArray& x = arrays.at("X");
      ASSERT_EQ(x.shape.size(), 3u);
      // ksl-aihub8 also ships its published 225-value layout (pose without visibility), named *_225.npz.
      const bool published_225 = file.path().stem().string().ends_with("_225");
      EXPECT_EQ(x.shape[2], published_225 ? 225u : kFrameValues);
      EXPECT_EQ(x.floats().size(), x.count());
      for (const int64_t n : arrays.at("lengths").ints()) EXPECT_LE(static_cast<size_t>(n), x.shape[1]);
      if (arrays.count("classes")) {
        EXPECT_FALSE(arrays.at("classes").strings().front().empty());
      }
      ++seen;
    }
  }
  if (seen == 0) GTEST_SKIP() << "no ../shared/data/*/*.npz";
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
