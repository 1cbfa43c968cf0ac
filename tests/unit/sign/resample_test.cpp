// Resampling: the algorithm's rules on hand-made sequences, and parity with tools/train/sueo_prep.py
// on fixtures the Python side wrote.
#include "sign/resample.h"

#include <gtest/gtest.h>

#include <cmath>

#include "parity_fixture.h"
#include "test_paths.h"

namespace sueo::sign {
namespace {

Frame frame_with(float pose, float left, float right) {
  Frame f{};
  for (size_t k = kPose.begin; k < kPose.end; ++k) f[k] = pose;
  for (size_t k = kLeftHand.begin; k < kLeftHand.end; ++k) f[k] = left;
  for (size_t k = kRightHand.begin; k < kRightHand.end; ++k) f[k] = right;
  return f;
}

TEST(Trim, KeepsTheHandSpanWithItsMargin) {
  Sequence seq;
  for (int i = 0; i < 20; ++i) seq.push_back(frame_with(1.0f + i, (i >= 8 && i <= 11) ? 0.5f : 0.0f, 0.0f));
  const Sequence trimmed = trim_to_hands(seq, 3);
  ASSERT_EQ(trimmed.size(), 10u);  // frames 5 .. 14
  EXPECT_EQ(trimmed.front()[0], 6.0f);
  EXPECT_EQ(trimmed.back()[0], 15.0f);
  EXPECT_EQ(trim_to_hands(seq, 100).size(), 20u);  // clamped at both ends
}

TEST(Trim, KeepsASequenceWithoutHandsWhole) {
  const Sequence seq(7, frame_with(0.3f, 0.0f, 0.0f));
  EXPECT_EQ(trim_to_hands(seq, 4).size(), 7u);
}

TEST(Resample, InterpolatesLinearlyAndKeepsTheEnds) {
  Sequence seq;
  for (int i = 0; i < 5; ++i) seq.push_back(frame_with(1.0f + i, 2.0f + i, 3.0f));
  const Sequence out = resample(seq, 9);  // positions 0, 0.5, 1, ... 4
  ASSERT_EQ(out.size(), 9u);
  EXPECT_FLOAT_EQ(out[0][0], 1.0f);
  EXPECT_FLOAT_EQ(out[1][0], 1.5f);
  EXPECT_FLOAT_EQ(out[3][kLeftHand.begin], 3.5f);
  EXPECT_FLOAT_EQ(out[3][kRightHand.end - 1], 3.0f);
  EXPECT_FLOAT_EQ(out[8][0], 5.0f);
  EXPECT_EQ(resample(seq, 5)[2], seq[2]);
}

TEST(Resample, NeverFadesAHandIntoAbsence) {
  const Sequence seq = {frame_with(1, 0.8f, 0), frame_with(1, 0, 0)};
  const Sequence out = resample(seq, 5);           // positions 0, .25, .5, .75, 1
  EXPECT_FLOAT_EQ(out[1][kLeftHand.begin], 0.8f);  // nearer the frame with the hand: copied
  EXPECT_FLOAT_EQ(out[2][kLeftHand.begin], 0.0f);  // w = 0.5 takes the later frame
  EXPECT_FLOAT_EQ(out[3][kLeftHand.begin], 0.0f);
  EXPECT_FLOAT_EQ(out[1][0], 1.0f);
}

TEST(Resample, RejectsEmptyInput) {
  EXPECT_THROW(resample({}, 48), std::invalid_argument);
  EXPECT_THROW(resample(Sequence(3, Frame{}), 0), std::invalid_argument);
}

void expect_same_frames(const test::ParityFixture& fixture) {
  ASSERT_FALSE(fixture.raw.empty());
  for (size_t i = 0; i < fixture.raw.size(); ++i) {
    const Sequence ours = fit_to_model(fixture.raw[i], fixture.frames, fixture.trim_margin);
    ASSERT_EQ(ours.size(), fixture.fitted[i].size()) << "sequence " << i;
    float worst = 0;
    for (size_t f = 0; f < ours.size(); ++f) {
      for (size_t k = 0; k < kFrameValues; ++k)
        worst = std::max(worst, std::fabs(ours[f][k] - fixture.fitted[i][f][k]));
    }
    EXPECT_LE(worst, 1e-6f) << "sequence " << i << " (" << fixture.raw[i].size() << " raw frames)";
  }
}

TEST(ResampleParity, MatchesPythonOnTheCommittedFixture) {
  expect_same_frames(test::load_parity(test::shipped_parity()));
}

// Registered by CMake after a CTest step runs tools/train/parity_fixture.py with the current Python
// code (T = 40, margin 3: not the defaults, so a hard-coded constant on either side shows).
TEST(LiveResampleParity, MatchesPythonNow) {
  const std::string path = test::env("SUEO_RESAMPLE_FIXTURE");
  if (path.empty())
    GTEST_SKIP() << "run through CTest (sign.resample_parity_live) to get a fresh Python fixture";
  const auto fixture = test::load_parity(path);
  EXPECT_EQ(fixture.frames, 40);
  expect_same_frames(fixture);
}

}  // namespace
}  // namespace sueo::sign
