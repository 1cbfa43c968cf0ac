// Golden test: our Holistic port against MediaPipe Holistic itself (tests/data/golden/*.json, made by
// tools/golden/golden.mjs from the committed clips). Both sides get the same frames (tools/golden/
// frames.sh: ffmpeg, every 2nd frame, raw RGB) in the same order with the same timestamps.
//
// Tolerances, per part over the frames where both sides find it. Issue 3 asks for x, y error median
// ≤ 0.005 and p95 ≤ 0.015 (normalised) and hand presence agreeing on ≥ 95 % of frames. The port
// matches MediaPipe to its 5-decimal rounding (x, y median < 1e-5, p95 ≤ 4e-5 and max ≤ 2.1e-4 on
// every clip and part; z and visibility alike), so we assert much tighter bounds: at the issue's
// bounds, changing the hand ROI scale 2.7 → 2.6 still passed (p95 0.011); at these it fails, as do a
// changed heatmap kernel, aux filter beta or crop sampling convention. The headroom (50× the worst
// measured p95) leaves room for XNNPACK's kernels on another CPU summing in another order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "landmarks/holistic.h"
#include "model_files.h"

namespace sueo::landmarks {
namespace {

namespace fs = std::filesystem;
const fs::path kRepo = SUEO_SOURCE_DIR;

constexpr double kXyMedian = 0.0005, kXyP95 = 0.002, kPresence = 0.95;
// z is relative depth (pose: to the hip centre; hands: to the wrist), scaled like x; it matches as
// closely as x, y (median ≤ 1e-5, p95 ≤ 3e-5), so the same bounds apply.
constexpr double kZMedian = 0.0005, kZP95 = 0.002;
// Pose visibility (a sigmoid, 0–1) follows the same crops; measured p95 ≤ 3e-5.
constexpr double kVisibilityP95 = 0.002;

struct Errors {
  std::vector<double> xy, z, visibility;
  int frames = 0, agree = 0, both = 0;
};

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

void compare(Errors& e, const nlohmann::json& golden, bool ours_present, const float* ours, int points,
             int stride) {
  const bool theirs_present = !golden.is_null();
  ++e.frames;
  e.agree += theirs_present == ours_present;
  if (!theirs_present || !ours_present) return;
  ++e.both;
  for (int i = 0; i < points; ++i) {
    e.xy.push_back(std::fabs(golden[i * stride].get<double>() - ours[i * stride]));
    e.xy.push_back(std::fabs(golden[i * stride + 1].get<double>() - ours[i * stride + 1]));
    e.z.push_back(std::fabs(golden[i * stride + 2].get<double>() - ours[i * stride + 2]));
    if (stride == 4)
      e.visibility.push_back(std::fabs(golden[i * stride + 3].get<double>() - ours[i * stride + 3]));
  }
}

std::string row(const std::string& name, const Errors& e) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(5) << std::left << std::setw(12) << name << std::right << std::setw(5)
    << e.both << "/" << std::setw(3) << e.frames << std::setw(9) << quantile(e.xy, 0.5) << std::setw(9)
    << quantile(e.xy, 0.95) << std::setw(9) << quantile(e.xy, 1.0) << std::setw(9) << quantile(e.z, 0.5)
    << std::setw(9) << quantile(e.z, 0.95) << std::setw(9) << quantile(e.visibility, 0.95) << std::setw(8)
    << std::setprecision(3) << (e.frames ? 100.0 * e.agree / e.frames : 0) << "%";
  return s.str();
}

// Our landmarks of every golden clip against MediaPipe's, per part over all clips; prints the table.
std::map<std::string, Errors> golden_errors(const HolisticOptions& options) {
  const fs::path models = kRepo / "models";
  std::vector<fs::path> files;
  // SUEO_GOLDEN_DIR: check other golden files (e.g. of more clips) made by tools/golden/golden.mjs.
  const char* dir = std::getenv("SUEO_GOLDEN_DIR");
  for (const auto& entry : fs::directory_iterator(dir ? fs::path(dir) : kRepo / "tests/data/golden")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  EXPECT_FALSE(files.empty());

  const auto loaded = HolisticModels::load(models.string(), options);
  std::map<std::string, Errors> total;
  std::ostringstream table;
  table << "part         both/frames  xy_med   xy_p95   xy_max    z_med    z_p95  vis_p95  presence\n";
  const char* dump = std::getenv("SUEO_GOLDEN_DUMP");  // a directory: write our landmarks there as JSON
  for (const auto& file : files) {
    std::ifstream in(file);
    const auto golden = nlohmann::json::parse(in);
    const int width = golden["width"], height = golden["height"], every = golden["every"];
    const auto crop = golden.value("crop", nlohmann::json());
    auto rgb =
        testing::clip_frames_rgb((kRepo / "tests/data/clips" / golden["clip"].get<std::string>()).string(),
                                 every, crop.is_string() ? crop.get<std::string>() : "");
    const size_t frame_bytes = static_cast<size_t>(width) * height * 3;
    // Files made with --blank K:N have N black frames before frame K: the pose is lost and found again.
    if (golden.value("blank", nlohmann::json()).is_string()) {
      const std::string blank = golden["blank"];
      const size_t at = std::stoul(blank), count = std::stoul(blank.substr(blank.find(':') + 1));
      rgb.insert(rgb.begin() + static_cast<std::ptrdiff_t>(at * frame_bytes), count * frame_bytes, 0);
    }
    EXPECT_EQ(rgb.size(), frame_bytes * golden["frames"].size()) << file;
    if (rgb.size() != frame_bytes * golden["frames"].size()) return {};

    HolisticTracker tracker(loaded);
    std::map<std::string, Errors> clip;
    nlohmann::json ours = nlohmann::json::array();
    for (size_t i = 0; i < golden["frames"].size(); ++i) {
      const auto& g = golden["frames"][i];
      const int64_t t_us = g["t_ms"].get<int64_t>() * 1000;
      // Files made with --reset 1 run MediaPipe's pose detector on every frame: so do we.
      if (golden.value("reset_every_frame", false)) tracker.reset();
      const FrameLandmarks f = tracker.process_at(rgb.data() + i * frame_bytes, width, height, t_us);
      compare(clip["pose"], g["pose"], f.pose, f.values.data(), 33, 4);
      compare(clip["left_hand"], g["left_hand"], f.left_hand, f.values.data() + kLeftHandOffset, 21, 3);
      compare(clip["right_hand"], g["right_hand"], f.right_hand, f.values.data() + kRightHandOffset, 21, 3);
      if (dump)
        ours.push_back(
            {{"values", f.values}, {"pose", f.pose}, {"left", f.left_hand}, {"right", f.right_hand}});
    }
    if (dump) std::ofstream(fs::path(dump) / file.filename()) << ours.dump();
    for (auto& [part, e] : clip) {
      table << row(part, e) << "  " << file.stem().string().substr(0, 12)
            << (golden.value("reset_every_frame", false) ? " (detect)" : "")
            << (golden.value("blank", nlohmann::json()).is_string() ? " (lost)" : "")
            << (crop.is_string() ? " (crop)" : "") << "\n";
      Errors& t = total[part];
      t.xy.insert(t.xy.end(), e.xy.begin(), e.xy.end());
      t.z.insert(t.z.end(), e.z.begin(), e.z.end());
      t.visibility.insert(t.visibility.end(), e.visibility.begin(), e.visibility.end());
      t.frames += e.frames;
      t.agree += e.agree;
      t.both += e.both;
    }
  }
  for (auto& [part, e] : total) table << row(part, e) << "  all clips\n";
  std::cout << table.str();
  return total;
}

bool golden_inputs_present() {
  return fs::exists(kRepo / "models/pose_landmark_full.tflite") && fs::exists("/usr/bin/ffmpeg");
}

TEST(HolisticGolden, MatchesMediaPipe) {
  if (!golden_inputs_present()) GTEST_SKIP() << "models/ (models/fetch.sh) or ffmpeg missing";
  for (auto& [part, e] : golden_errors({})) {
    SCOPED_TRACE(part);
    ASSERT_GT(e.both, 0);
    EXPECT_LE(quantile(e.xy, 0.5), kXyMedian);
    EXPECT_LE(quantile(e.xy, 0.95), kXyP95);
    EXPECT_LE(quantile(e.z, 0.5), kZMedian);
    EXPECT_LE(quantile(e.z, 0.95), kZP95);
    EXPECT_LE(quantile(e.visibility, 0.95), kVisibilityP95);
    EXPECT_GE(static_cast<double>(e.agree) / e.frames, kPresence);
  }
}

// The cheaper options (HolisticOptions) leave MediaPipe's graph or models, so parity is not expected:
// they must stay within issue 3's bounds (x, y median ≤ 0.005, p95 ≤ 0.015, presence ≥ 95 %) where a
// port is still a port. Skipping the hand re-crop while tracking keeps to them; the lite models are
// other networks, measured (SUEO_GOLDEN_LITE=1 prints their table) rather than bounded.
TEST(HolisticGolden, TrackedHandsStayWithinIssueBounds) {
  if (!golden_inputs_present()) GTEST_SKIP() << "models/ (models/fetch.sh) or ffmpeg missing";
  HolisticOptions options;
  options.track_hands = true;
  for (auto& [part, e] : golden_errors(options)) {
    SCOPED_TRACE(part);
    ASSERT_GT(e.both, 0);
    EXPECT_LE(quantile(e.xy, 0.5), 0.005);
    EXPECT_LE(quantile(e.xy, 0.95), 0.015);
    EXPECT_GE(static_cast<double>(e.agree) / e.frames, kPresence);
  }
}

TEST(HolisticGolden, LiteModelsMeasured) {
  if (!std::getenv("SUEO_GOLDEN_LITE")) GTEST_SKIP() << "set SUEO_GOLDEN_LITE=1 to print the lite models' errors";
  if (!fs::exists(kRepo / "models/pose_landmark_lite.tflite") || !fs::exists(kRepo / "models/hand_landmark_lite.tflite"))
    GTEST_SKIP() << "lite models missing: run models/fetch.sh";
  for (const auto& [pose, hands] : {std::pair{true, false}, {false, true}, {true, true}}) {
    HolisticOptions options;
    options.lite_pose = pose;
    options.lite_hands = hands;
    std::cout << "lite pose " << pose << ", lite hands " << hands << "\n";
    golden_errors(options);
  }
}

// The same for --landmark-precision bf16 (src/landmarks/HOLISTIC.md): the errors it adds to the port's.
TEST(HolisticGolden, Bf16Measured) {
  if (!std::getenv("SUEO_GOLDEN_BF16")) GTEST_SKIP() << "set SUEO_GOLDEN_BF16=1 to print bf16's errors";
  if (!sueo::landmarks::bf16_available()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  for (const bool tracked : {false, true}) {
    HolisticOptions options;
    options.landmark_precision = sueo::landmarks::Precision::kBf16;
    options.track_hands = tracked;
    std::cout << "bf16, tracked re-crop " << tracked << "\n";
    golden_errors(options);
  }
}

// --pose-every N (HolisticOptions::pose_every) on top of the tracked re-crop: SUEO_GOLDEN_POSE_EVERY=1
// prints the errors for N = 2 and 3, f32 and (where the CPU has it) bf16.
TEST(HolisticGolden, PoseEveryMeasured) {
  if (!std::getenv("SUEO_GOLDEN_POSE_EVERY"))
    GTEST_SKIP() << "set SUEO_GOLDEN_POSE_EVERY=1 to print --pose-every's errors";
  if (!golden_inputs_present()) GTEST_SKIP() << "models/ (models/fetch.sh) or ffmpeg missing";
  for (const bool bf16 : {false, true}) {
    if (bf16 && !sueo::landmarks::bf16_available()) continue;
    for (const int every : {2, 3}) {
      HolisticOptions options;
      options.track_hands = true;
      options.pose_every = every;
      if (bf16) options.landmark_precision = sueo::landmarks::Precision::kBf16;
      std::cout << "pose every " << every << ", tracked re-crop, " << (bf16 ? "bf16" : "f32") << "\n";
      golden_errors(options);
    }
  }
}

// The server runs one tracker per session on several worker threads, all sharing one HolisticModels:
// two streams at once must give bit for bit what each gives alone.
TEST(HolisticThreads, StreamsSharingModelsMatchOneAtATime) {
  const fs::path models = kRepo / "models";
  if (!fs::exists(models / "pose_landmark_full.tflite"))
    GTEST_SKIP() << "models/ missing: run models/fetch.sh";
  if (!fs::exists("/usr/bin/ffmpeg")) GTEST_SKIP() << "ffmpeg missing (Debian package ffmpeg)";
  const int width = 640, height = 360;
  const size_t frame_bytes = static_cast<size_t>(width) * height * 3;
  const auto rgb =
      testing::clip_frames_rgb((kRepo / "tests/data/clips/c09_face_s11_c6804109.mp4").string(), 2);
  const size_t frames = rgb.size() / frame_bytes;
  ASSERT_GT(frames, 10u);
  const auto loaded = HolisticModels::load(models.string());
  auto run_clip = [&](std::vector<FrameLandmarks>& out) {
    HolisticTracker tracker(loaded);
    for (size_t i = 0; i < frames; ++i) {
      out.push_back(tracker.process_at(rgb.data() + i * frame_bytes, width, height, 66667 * (i + 1)));
    }
  };
  std::vector<FrameLandmarks> alone, a, b;
  run_clip(alone);
  std::thread ta([&] { run_clip(a); }), tb([&] { run_clip(b); });
  ta.join();
  tb.join();
  ASSERT_EQ(a.size(), frames);
  ASSERT_EQ(b.size(), frames);
  int hands = 0;
  for (size_t i = 0; i < frames; ++i) {
    EXPECT_EQ(a[i].values, alone[i].values) << "frame " << i;
    EXPECT_EQ(b[i].values, alone[i].values) << "frame " << i;
    hands += alone[i].right_hand;
  }
  EXPECT_GT(hands, 0);  // the comparison covered the hand path too
}

// The server keeps one runtime set per worker thread and lends it to whichever session's frame the
// worker runs (pipeline/landmark_runtimes.h): two streams of different clips taking turns, frame by
// frame, on one HolisticRuntimes must each give bit for bit what they give on their own runtimes.
TEST(HolisticThreads, StreamsTakingTurnsOnOneRuntimeSetMatchEachAlone) {
  const fs::path models = kRepo / "models";
  if (!fs::exists(models / "pose_landmark_full.tflite"))
    GTEST_SKIP() << "models/ missing: run models/fetch.sh";
  if (!fs::exists("/usr/bin/ffmpeg")) GTEST_SKIP() << "ffmpeg missing (Debian package ffmpeg)";
  const int width = 640, height = 360;
  const size_t frame_bytes = static_cast<size_t>(width) * height * 3;
  const std::vector<std::vector<uint8_t>> clips = {
      testing::clip_frames_rgb((kRepo / "tests/data/clips/c09_face_s11_c6804109.mp4").string(), 2),
      testing::clip_frames_rgb((kRepo / "tests/data/clips/c01_hi_s11_f8e48f6c.mp4").string(), 2)};
  const size_t frames = std::min(clips[0].size(), clips[1].size()) / frame_bytes;
  ASSERT_GT(frames, 10u);
  const auto loaded = HolisticModels::load(models.string());
  auto frame = [&](size_t clip, size_t i) { return clips[clip].data() + i * frame_bytes; };
  auto stamp = [](size_t i) { return static_cast<int64_t>(66667 * (i + 1)); };

  std::vector<FrameLandmarks> alone[2], shared[2];
  for (size_t c = 0; c < 2; ++c) {
    HolisticTracker tracker(loaded);
    for (size_t i = 0; i < frames; ++i)
      alone[c].push_back(tracker.process_at(frame(c, i), width, height, stamp(i)));
  }
  HolisticRuntimes runtimes(loaded);
  HolisticTrack tracks[2];
  for (size_t i = 0; i < frames; ++i) {
    for (size_t c = 0; c < 2; ++c)
      shared[c].push_back(tracks[c].process_at(runtimes, frame(c, i), width, height, stamp(i)));
  }
  int hands = 0;
  for (size_t c = 0; c < 2; ++c) {
    for (size_t i = 0; i < frames; ++i) {
      EXPECT_EQ(shared[c][i].values, alone[c][i].values) << "clip " << c << " frame " << i;
      hands += alone[c][i].left_hand + alone[c][i].right_hand;
    }
  }
  EXPECT_GT(hands, 0);  // the comparison covered the hand path too
  EXPECT_NE(alone[0][frames / 2].values, alone[1][frames / 2].values);  // two different streams
}

}  // namespace
}  // namespace sueo::landmarks
