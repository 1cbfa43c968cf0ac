// HolisticOptions::pose_every (issue 10): the pose landmark model on one frame in N, the pose held and
// the hands tracked from their own landmarks in between. These check the rule on real clips; the
// golden test measures what it costs in accuracy against MediaPipe (HolisticGolden.PoseEvery*).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "landmarks/holistic.h"
#include "model_files.h"

namespace sueo::landmarks {
namespace {

namespace fs = std::filesystem;

struct Frame {
  FrameLandmarks landmarks;
  StageTimes times;
};

constexpr int kWidth = 640, kHeight = 360;

// Every second frame of a committed clip (15 fps, as the page sends), through one tracker.
std::vector<Frame> run_clip(const std::string& clip, const HolisticOptions& options) {
  const auto rgb = testing::clip_frames_rgb(std::string(SUEO_SOURCE_DIR) + "/tests/data/clips/" + clip, 2);
  const size_t frame_bytes = static_cast<size_t>(kWidth) * kHeight * 3;
  HolisticTracker tracker(HolisticModels::load(std::string(SUEO_SOURCE_DIR) + "/models", options));
  std::vector<Frame> out;
  for (size_t i = 0; i < rgb.size() / frame_bytes; ++i) {
    Frame f;
    f.landmarks = tracker.process_at(rgb.data() + i * frame_bytes, kWidth, kHeight,
                                     66667 * static_cast<int64_t>(i + 1), &f.times);
    out.push_back(f);
  }
  return out;
}

bool pose_equal(const FrameLandmarks& a, const FrameLandmarks& b) {
  return std::equal(a.values.begin(), a.values.begin() + kLeftHandOffset, b.values.begin());
}

class PoseEvery : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (!testing::model_present("pose_landmark_full")) GTEST_SKIP() << testing::models_missing_message();
    if (!fs::exists("/usr/bin/ffmpeg")) GTEST_SKIP() << "ffmpeg missing (Debian package ffmpeg)";
  }
};

// On a held frame the pose is the last run's, bit for bit, no pose model ran, and every hand tracked
// from the frame before is still there (one lost makes the frame run the pose); the pose runs at
// least once in N frames, and is held on a good share of them (the clips keep their hands in view).
TEST_P(PoseEvery, HoldsThePoseAtMostNMinusOneFramesInARow) {
  const int every = GetParam();
  HolisticOptions options;
  options.track_hands = true;
  options.pose_every = every;
  for (const std::string clip : {"c04_bi_bim_rice_s11_82155dbd.mp4", "c07_me_s11_e109e858.mp4"}) {
    SCOPED_TRACE(clip);
    const auto frames = run_clip(clip, options);
    ASSERT_GT(frames.size(), 15u);
    EXPECT_FALSE(frames[0].times.pose_held);
    int held = 0, in_a_row = 0;
    for (size_t i = 1; i < frames.size(); ++i) {
      SCOPED_TRACE("frame " + std::to_string(i));
      const Frame& f = frames[i];
      const Frame& before = frames[i - 1];
      ASSERT_TRUE(f.landmarks.pose);
      if (!f.times.pose_held) {
        in_a_row = 0;
        continue;
      }
      ++held;
      ASSERT_LT(++in_a_row, every);
      EXPECT_TRUE(pose_equal(f.landmarks, before.landmarks));
      EXPECT_EQ(f.times.pose_landmarks_ms, 0.0);
      EXPECT_TRUE(!before.landmarks.left_hand || f.landmarks.left_hand);
      EXPECT_TRUE(!before.landmarks.right_hand || f.landmarks.right_hand);
      // Re-crops only for hands that were not tracked.
      EXPECT_LE(f.times.hand_recrops, int{!before.landmarks.left_hand} + int{!before.landmarks.right_hand});
    }
    EXPECT_GE(held, static_cast<int>(frames.size()) * (every - 1) / (2 * every))
        << held << " of " << frames.size();
  }
}

INSTANTIATE_TEST_SUITE_P(Holistic, PoseEvery, ::testing::Values(2, 3));

// pose_every = 1 is MediaPipe's graph: nothing is held, and the landmarks are those of the default.
TEST_F(PoseEvery, OneIsTheDefaultGraph) {
  HolisticOptions options;
  options.pose_every = 1;
  const auto a = run_clip("c07_me_s11_e109e858.mp4", options);
  const auto b = run_clip("c07_me_s11_e109e858.mp4", {});
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_FALSE(a[i].times.pose_held);
    EXPECT_EQ(a[i].landmarks.values, b[i].landmarks.values) << "frame " << i;
  }
}

// A new frame size (a rotated tablet) forgets the held pose with the rest of the track: where the
// clip holds the pose on two frames in a row, a tracker given the second one as a portrait frame (the
// same pixels, 360 × 640) runs the pose.
TEST_F(PoseEvery, ANewFrameSizeRunsThePose) {
  HolisticOptions options;
  options.track_hands = true;
  options.pose_every = 4;
  const std::string clip = "c04_bi_bim_rice_s11_82155dbd.mp4";
  const auto frames = run_clip(clip, options);
  size_t second = 1;
  while (second < frames.size() && !(frames[second - 1].times.pose_held && frames[second].times.pose_held))
    ++second;
  ASSERT_LT(second, frames.size()) << "no two held frames in a row";

  const auto rgb = testing::clip_frames_rgb(std::string(SUEO_SOURCE_DIR) + "/tests/data/clips/" + clip, 2);
  const size_t frame_bytes = static_cast<size_t>(kWidth) * kHeight * 3;
  HolisticTracker tracker(HolisticModels::load(std::string(SUEO_SOURCE_DIR) + "/models", options));
  for (size_t i = 0; i < second; ++i)
    tracker.process_at(rgb.data() + i * frame_bytes, kWidth, kHeight, 66667 * static_cast<int64_t>(i + 1));
  StageTimes times;
  tracker.process_at(rgb.data() + second * frame_bytes, kHeight, kWidth,
                     66667 * static_cast<int64_t>(second + 1), &times);
  EXPECT_FALSE(times.pose_held);
}

// The real binary takes --pose-every 1–4 (and SUEO_POSE_EVERY) and refuses anything else at startup.
TEST(PoseEveryOption, RefusesAnythingButOneToFour) {
  for (const std::string bad : {"0", "5", "2x", "-1"}) {
    const auto r =
        testing::run_command(std::string(SUEO_BINARY) + " bench landmarks --pose-every '" + bad + "'");
    EXPECT_NE(r.status, 0) << bad;
    EXPECT_NE(r.output.find("--pose-every must be 1, 2, 3 or 4, not '" + bad + "'"), std::string::npos)
        << r.output;
  }
  const auto env = testing::run_command("SUEO_POSE_EVERY=9 " + std::string(SUEO_BINARY) + " bench landmarks");
  EXPECT_NE(env.status, 0);
  EXPECT_NE(env.output.find("not '9'"), std::string::npos) << env.output;
  const auto help = testing::run_command(std::string(SUEO_BINARY) + " serve --help");
  EXPECT_NE(help.output.find("--pose-every"), std::string::npos) << help.output;
}

}  // namespace
}  // namespace sueo::landmarks
