#include "frames/jpeg.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "test_util.h"

namespace sueo::frames {
namespace {

using test::real_jpeg;

// Where the entropy-coded data of the (single-scan, baseline) test JPEG lies: after the SOS segment,
// up to the EOI marker.
struct Scan {
  size_t begin = 0, end = 0;
};
Scan find_scan(const std::vector<uint8_t>& jpeg) {
  for (size_t i = 2; i + 3 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) {
      const size_t length = (size_t{jpeg[i + 2]} << 8) | jpeg[i + 3];
      return {i + 2 + length, jpeg.size() - 2};
    }
  throw std::runtime_error("no SOS marker");
}

size_t find_marker(const std::vector<uint8_t>& jpeg, uint8_t marker) {
  for (size_t i = 2; i + 1 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == marker) return i;
  throw std::runtime_error("marker not found");
}

TEST(JpegDecoder, DecodesARealFrameLikeOpenCv) {
  JpegDecoder decoder;
  Image image;
  std::string error;
  ASSERT_TRUE(decoder.decode(real_jpeg(), image, error)) << error;
  EXPECT_EQ(image.width, 640);
  EXPECT_EQ(image.height, 360);
  ASSERT_EQ(image.rgb.size(), 640u * 360 * 3);

  // OpenCV's imgcodecs drives libjpeg through its own code (libjpeg API, its own colour order): the
  // same pixels, so channel order, stride and row order of ours are right.
  const cv::Mat bgr = cv::imdecode(cv::Mat(1, static_cast<int>(real_jpeg().size()), CV_8UC1,
                                           const_cast<uint8_t*>(real_jpeg().data())),
                                   cv::IMREAD_COLOR);
  ASSERT_EQ(bgr.cols, 640);
  ASSERT_EQ(bgr.rows, 360);
  int max_diff = 0;
  for (int y = 0; y < 360; ++y)
    for (int x = 0; x < 640; ++x)
      for (int c = 0; c < 3; ++c) {
        const int ours = image.rgb[(static_cast<size_t>(y) * 640 + x) * 3 + c];
        const int theirs = bgr.at<cv::Vec3b>(y, x)[2 - c];
        max_diff = std::max(max_diff, std::abs(ours - theirs));
      }
  EXPECT_LE(max_diff, 1);
}

TEST(JpegDecoder, MatchesFfmpegBlockMeans) {
  // Means of 40x40 blocks as decoded by ffmpeg's own mjpeg decoder (no libjpeg), made by the command
  // in tests/data/frames/README.md. Decoders differ in IDCT rounding and chroma upsampling, which
  // moves a block's mean by well under the tolerance; a wrong channel order or a shifted image moves
  // many blocks by tens of levels.
  std::ifstream in(test::source_path("tests/data/frames/c01_hi_s11_f030.ffmpeg_means.json"));
  ASSERT_TRUE(in);
  const auto golden = nlohmann::json::parse(in);
  const int block = golden.at("block");
  JpegDecoder decoder;
  Image image;
  std::string error;
  ASSERT_TRUE(decoder.decode(real_jpeg(), image, error)) << error;
  ASSERT_EQ(image.width, golden.at("width").get<int>());
  ASSERT_EQ(image.height, golden.at("height").get<int>());
  const auto& rows = golden.at("block_mean_rgb");
  ASSERT_EQ(rows.size(), static_cast<size_t>(image.height / block));
  double worst = 0, total = 0;
  int n = 0;
  for (size_t by = 0; by < rows.size(); ++by)
    for (size_t bx = 0; bx < rows[by].size(); ++bx)
      for (int c = 0; c < 3; ++c) {
        double sum = 0;
        for (int y = 0; y < block; ++y)
          for (int x = 0; x < block; ++x)
            sum += image.rgb[((by * block + y) * static_cast<size_t>(image.width) + bx * block + x) * 3 + c];
        const double diff = std::abs(sum / (block * block) - rows[by][bx][c].get<double>());
        worst = std::max(worst, diff);
        total += diff;
        ++n;
      }
  // Measured: worst 1.82, mean 0.63 levels. Swapping R and B alone moves the mean by ~24.
  EXPECT_LT(worst, 3.0) << "largest block-mean difference from ffmpeg";
  EXPECT_LT(total / n, 1.0) << "mean block-mean difference from ffmpeg";
}

TEST(JpegDecoder, RefusesEmptyAndNonJpegData) {
  JpegDecoder decoder;
  Image image;
  std::string error;
  EXPECT_FALSE(decoder.decode({}, image, error));
  EXPECT_NE(error.find("empty"), std::string::npos);
  const std::string text = "this is not a JPEG, it is a sentence";
  const std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  std::vector<uint8_t> noise(4096);
  std::mt19937 rng(1);
  for (auto& b : noise) b = static_cast<uint8_t>(rng());
  const std::vector<uint8_t> just_markers = {0xFF, 0xD8, 0xFF, 0xD9};
  for (const auto& data : {std::vector<uint8_t>(text.begin(), text.end()), png, noise, just_markers,
                           std::vector<uint8_t>{0xFF}, std::vector<uint8_t>{0xFF, 0xD8}}) {
    error.clear();
    EXPECT_FALSE(decoder.decode(data, image, error)) << data.size();
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(image.width, 0);
    EXPECT_TRUE(image.rgb.empty());
  }
}

TEST(JpegDecoder, RefusesTruncatedData) {
  const auto& jpeg = real_jpeg();
  const Scan scan = find_scan(jpeg);
  JpegDecoder decoder;
  Image image;
  std::string error;
  const std::vector<size_t> cuts = {2,  100, scan.begin - 1, scan.begin, scan.begin + 10,
                                    scan.begin + (scan.end - scan.begin) / 4, scan.begin + (scan.end - scan.begin) / 2,
                                    scan.end - 100, jpeg.size() - 2 /* no EOI */};
  for (size_t cut : cuts) {
    const std::vector<uint8_t> part(jpeg.begin(), jpeg.begin() + static_cast<long>(cut));
    EXPECT_FALSE(decoder.decode(part, image, error)) << "cut at " << cut << " of " << jpeg.size();
    EXPECT_TRUE(image.rgb.empty());
  }
}

TEST(JpegDecoder, RefusesCorruptEntropyCodedData) {
  const auto& jpeg = real_jpeg();
  const Scan scan = find_scan(jpeg);
  JpegDecoder decoder;
  Image image;
  std::string error;
  // A marker inside the scan: libjpeg warns ("Corrupt JPEG data: premature end of data segment"), which
  // STOPONWARNING makes an error. (A bad Huffman code is not a reliable test: libjpeg-turbo's fast
  // Huffman path decodes it as 0 without a warning.)
  for (uint8_t marker : {0xD9, 0xD0, 0xD8, 0xC4, 0x12}) {  // EOI, RST0, SOI, DHT, a reserved code
    for (double where : {0.1, 0.5, 0.9}) {
      auto bad = jpeg;
      const auto at = scan.begin + static_cast<size_t>(where * static_cast<double>(scan.end - scan.begin));
      bad[at] = 0xFF;
      bad[at + 1] = marker;
      EXPECT_FALSE(decoder.decode(bad, image, error)) << "marker " << int{marker} << " at " << where;
      EXPECT_TRUE(image.rgb.empty());
    }
  }
  // Random bytes: Huffman data has no checksum, so libjpeg cannot catch every change (a random run can
  // decode as other valid codes). Measured with this seed and libjpeg-turbo 2.1.5: 14 of 20 are caught.
  // The rest must at least decode to other pixels, never crash or read out of bounds.
  ASSERT_TRUE(decoder.decode(jpeg, image, error));
  const auto original = image.rgb;
  std::mt19937 rng(2024);
  int caught = 0;
  for (int trial = 0; trial < 20; ++trial) {
    auto bad = jpeg;
    const size_t at = scan.begin + rng() % ((scan.end - scan.begin) / 2);
    for (size_t i = at; i < at + 64; ++i) bad[i] = static_cast<uint8_t>(rng());
    if (!decoder.decode(bad, image, error))
      ++caught;
    else
      EXPECT_NE(image.rgb, original) << "trial " << trial;
  }
  RecordProperty("caught", caught);
  EXPECT_GE(caught, 10);
}

TEST(JpegDecoder, RecoversAfterAHeaderError) {
  // libjpeg-turbo 2.1.5 leaves a TurboJPEG handle unusable after some header errors (see jpeg.cpp).
  const auto& jpeg = real_jpeg();
  const size_t sof = find_marker(jpeg, 0xC0);
  auto empty_image = jpeg;
  empty_image[sof + 5] = empty_image[sof + 6] = 0;  // height 0: "Empty JPEG image"
  const std::vector<uint8_t> cut(jpeg.begin(), jpeg.begin() + 200);
  const std::vector<uint8_t> junk = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x01};
  JpegDecoder decoder;
  Image image;
  std::string error;
  const std::vector<const std::vector<uint8_t>*> bads = {&empty_image, &cut, &junk};
  for (const auto* bad : bads) {
    EXPECT_FALSE(decoder.decode(*bad, image, error));
    EXPECT_TRUE(decoder.decode(jpeg, image, error)) << "after " << bad->size() << " bytes of bad data: " << error;
    EXPECT_EQ(image.width, 640);
  }
}

TEST(JpegDecoder, RefusesBadHeaderSizes) {
  const auto& jpeg = real_jpeg();
  const size_t sof = find_marker(jpeg, 0xC0);  // SOF0: FF C0, length(2), precision(1), height(2), width(2)
  JpegDecoder decoder;
  Image image;
  std::string error;
  for (auto [height, width] : {std::pair{0, 640}, std::pair{360, 0}, std::pair{0, 0}}) {
    auto bad = jpeg;
    bad[sof + 5] = static_cast<uint8_t>(height >> 8);
    bad[sof + 6] = static_cast<uint8_t>(height);
    bad[sof + 7] = static_cast<uint8_t>(width >> 8);
    bad[sof + 8] = static_cast<uint8_t>(width);
    EXPECT_FALSE(decoder.decode(bad, image, error)) << height << "x" << width;
  }
  // The pixel limit: exactly the image's pixels passes, one fewer fails.
  EXPECT_TRUE(decoder.decode(jpeg, image, error, 640 * 360)) << error;
  EXPECT_FALSE(decoder.decode(jpeg, image, error, 640 * 360 - 1));
  EXPECT_NE(error.find("640x360"), std::string::npos) << error;
}

TEST(JpegDecoder, ReusesTheImageAcrossFailures) {
  JpegDecoder decoder;
  Image image;
  std::string error;
  ASSERT_TRUE(decoder.decode(real_jpeg(), image, error));
  const auto first = image.rgb;
  const std::vector<uint8_t> half(real_jpeg().begin(), real_jpeg().begin() + 10000);
  EXPECT_FALSE(decoder.decode(half, image, error));
  EXPECT_EQ(image.width, 0);
  ASSERT_TRUE(decoder.decode(real_jpeg(), image, error)) << "the handle still works after an error";
  EXPECT_EQ(image.rgb, first);
}

TEST(EncodeJpeg, RoundTripsAGradient) {
  Image src;
  src.width = 96;
  src.height = 64;
  src.rgb.resize(96 * 64 * 3);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 96; ++x) {
      uint8_t* p = &src.rgb[(static_cast<size_t>(y) * 96 + x) * 3];
      p[0] = static_cast<uint8_t>(x * 2);
      p[1] = static_cast<uint8_t>(y * 3);
      p[2] = 200;
    }
  const auto jpeg = encode_jpeg(src, 95);
  ASSERT_GT(jpeg.size(), 100u);
  EXPECT_EQ(jpeg[0], 0xFF);
  EXPECT_EQ(jpeg[1], 0xD8);
  JpegDecoder decoder;
  Image back;
  std::string error;
  ASSERT_TRUE(decoder.decode(jpeg, back, error)) << error;
  ASSERT_EQ(back.width, 96);
  ASSERT_EQ(back.height, 64);
  double total = 0;
  for (size_t i = 0; i < src.rgb.size(); ++i) total += std::abs(int{src.rgb[i]} - int{back.rgb[i]});
  EXPECT_LT(total / static_cast<double>(src.rgb.size()), 2.0);
}

TEST(EncodeJpeg, RefusesBadInput) {
  Image empty;
  EXPECT_THROW(encode_jpeg(empty, 90), std::runtime_error);
  Image wrong;
  wrong.width = 4;
  wrong.height = 4;
  wrong.rgb.resize(4 * 4 * 3 - 1);
  EXPECT_THROW(encode_jpeg(wrong, 90), std::runtime_error);
  wrong.rgb.resize(4 * 4 * 3);
  EXPECT_THROW(encode_jpeg(wrong, 0), std::runtime_error);
  EXPECT_THROW(encode_jpeg(wrong, 101), std::runtime_error);
  EXPECT_NO_THROW(encode_jpeg(wrong, 1));
}

}  // namespace
}  // namespace sueo::frames
