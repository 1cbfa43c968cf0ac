// What the page does to a camera image (web/capture.js), on real inputs: the box fit, picking frames
// by time, and scaling + JPEG encoding read back by the server's decoder.
#include "pipeline/page_capture.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "frames/jpeg.h"
#include "test_support.h"

namespace sueo {
namespace {

TEST(FitSize, KeepsAspectNeverEnlargesAndRoundsToEven) {
  auto expect = [](int w, int h, int bw, int bh, int ew, int eh) {
    const FrameSize s = fit_size(w, h, bw, bh);
    EXPECT_EQ(s.width, ew) << w << "x" << h << " in " << bw << "x" << bh;
    EXPECT_EQ(s.height, eh) << w << "x" << h << " in " << bw << "x" << bh;
  };
  expect(640, 360, 640, 480, 640, 360);     // the committed clips stay as they are
  expect(1280, 720, 640, 480, 640, 360);    // a 16:9 webcam
  expect(1920, 1080, 640, 480, 640, 360);
  expect(640, 480, 640, 480, 640, 480);
  expect(480, 640, 640, 480, 360, 480);     // portrait: height-bound (docs/protocol.md: 360×480)
  expect(320, 240, 640, 480, 320, 240);     // smaller than the box: not enlarged
  expect(101, 75, 640, 480, 102, 76);       // Math.round(v / 2) * 2 rounds halves up
  expect(1, 1, 640, 480, 2, 2);             // at least 2
  EXPECT_THROW(fit_size(0, 480, 640, 480), std::invalid_argument);
}

TEST(FramePicker, TakesTheFirstFrameAtOrAfterEachTick) {
  // The clips' rate, 179/6 fps: every second frame at 15 fps.
  FramePicker picker(15);
  std::string taken;
  for (int n = 0; n < 75; ++n) taken += picker.take(std::llround(n * 6e6 / 179)) ? 'x' : '.';
  std::string every_second;
  for (int n = 0; n < 75; ++n) every_second += n % 2 == 0 ? 'x' : '.';
  EXPECT_EQ(taken, every_second);

  FramePicker slow(15);  // a 10 fps video: every frame
  for (int n = 0; n < 20; ++n) EXPECT_TRUE(slow.take(n * 100000)) << n;

  FramePicker fast(15);  // 60 fps: every fourth frame
  int count = 0;
  for (int n = 0; n < 60; ++n) count += fast.take(std::llround(n * 1e6 / 60)) ? 1 : 0;
  EXPECT_EQ(count, 15);

  // A video at exactly the page's rate keeps every frame, though its stamps are rounded down to
  // whole microseconds (or to a 90 kHz time base) and so fall a hair before each tick.
  for (const double base : {1e6, 90000.0}) {
    FramePicker same(15);
    int kept = 0;
    for (int n = 0; n < 150; ++n) {
      const auto ticks = static_cast<int64_t>(std::floor(n * base / 15));
      kept += same.take(static_cast<int64_t>(std::floor(ticks * 1e6 / base))) ? 1 : 0;
    }
    EXPECT_EQ(kept, 150) << "time base " << base;
  }

  FramePicker gap(15);  // a gap serves the missed ticks once, then the rhythm goes on
  EXPECT_TRUE(gap.take(5000000));   // the first frame sets time zero, whatever its timestamp
  EXPECT_FALSE(gap.take(5030000));
  EXPECT_TRUE(gap.take(6010000));   // 15 ticks missed: one frame
  EXPECT_FALSE(gap.take(6033000));
  EXPECT_TRUE(gap.take(6067000));   // the tick at 1.0667 s
}

TEST(PageJpeg, ScalesIntoTheBoxAndDecodesToThePicture) {
  const auto bytes = [] {
    std::FILE* f = std::fopen(recognize_test::source("tests/data/frames/c01_hi_s11_f030.jpg").c_str(), "rb");
    std::vector<uint8_t> out;
    if (f == nullptr) return out;
    int c;
    while ((c = std::fgetc(f)) != EOF) out.push_back(static_cast<uint8_t>(c));
    std::fclose(f);
    return out;
  }();
  ASSERT_FALSE(bytes.empty());
  frames::JpegDecoder decoder;
  frames::Image source, scratch, back;
  std::string error;
  ASSERT_TRUE(decoder.decode(bytes, source, error)) << error;
  ASSERT_EQ(source.width, 640);

  // Same size: the picture survives a quality-70 round trip (mean absolute error of a few levels).
  const auto same = page_jpeg(source.rgb.data(), source.width, source.height, {640, 360}, 70, scratch);
  ASSERT_TRUE(decoder.decode(same, back, error)) << error;
  ASSERT_EQ(back.width, 640);
  ASSERT_EQ(back.height, 360);
  double diff = 0;
  for (size_t i = 0; i < back.rgb.size(); ++i) diff += std::abs(int(back.rgb[i]) - int(source.rgb[i]));
  EXPECT_LT(diff / back.rgb.size(), 4.0);

  // Half size: each pixel is close to the mean of its 2×2 block of the source.
  const auto half = page_jpeg(source.rgb.data(), source.width, source.height, {320, 180}, 90, scratch);
  ASSERT_TRUE(decoder.decode(half, back, error)) << error;
  ASSERT_EQ(back.width, 320);
  ASSERT_EQ(back.height, 180);
  diff = 0;
  for (int y = 0; y < 180; ++y) {
    for (int x = 0; x < 320; ++x) {
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int sy, int sx) { return int(source.rgb[(size_t(sy) * 640 + sx) * 3 + c]); };
        const double mean = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4.0;
        diff += std::abs(back.rgb[(size_t(y) * 320 + x) * 3 + c] - mean);
      }
    }
  }
  EXPECT_LT(diff / (320 * 180 * 3), 4.0);
  EXPECT_THROW(page_jpeg(source.rgb.data(), 640, 360, {640, 360}, 0, scratch), std::runtime_error);
}

}  // namespace
}  // namespace sueo
