// The oneDNN engine (dnnl_builder.h) on the real pose and hand landmark models and the real crops the
// holistic pipeline makes on a committed clip: in f32 it computes what XNNPACK computes (the mapping
// of every operator and layout is right), in bf16 it stays within a few crop pixels; and the
// --landmark-precision option of the real binary takes f32|bf16 only and refuses bf16 without
// native bf16 (DNNL_MAX_CPU_ISA hides AVX512_BF16 from oneDNN).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "landmarks/dnnl_builder.h"
#include "landmarks/holistic.h"
#include "landmarks/model.h"
#include "model_files.h"

namespace sueo::landmarks {
namespace {

using testing::clip_frame_rgb;
using testing::models_missing_message;
using Crops = std::vector<std::vector<float>>;

constexpr int kW = 640, kH = 360;
constexpr int kFrames = 20;  // every 2nd frame: 20 pose and 40 hand crops, ~5 s in all

struct Layout {  // where output 0 keeps the landmarks' x, y
  int stride, count;
};
constexpr Layout kHand{3, 21}, kPose{5, 33};

struct Diff {
  double median_px = 0, p95_px = 0, max_px = 0;
  int present = 0, disagree = 0;
};

// Landmark x, y distance (crop pixels) between two engines on crops where the reference finds the part
// with at least `min_presence` (output 1; below 0.5 the landmarks are noise), and presence (> 0.5)
// disagreements on all crops.
template <class Ref, class Other>
Diff compare(Ref& ref, Other& other, const Crops& crops, Layout layout, float min_presence = 0.5f) {
  Diff d;
  std::vector<double> px;
  for (const auto& crop : crops) {
    std::copy(crop.begin(), crop.end(), ref.input(0));
    std::copy(crop.begin(), crop.end(), other.input(0));
    ref.run();
    other.run();
    d.disagree += (ref.output(1)[0] > 0.5f) != (other.output(1)[0] > 0.5f);
    if (ref.output(1)[0] <= min_presence) continue;
    ++d.present;
    for (int k = 0; k < layout.count; ++k) {
      const int i = layout.stride * k;
      px.push_back(std::hypot(ref.output(0)[i] - other.output(0)[i], ref.output(0)[i + 1] - other.output(0)[i + 1]));
    }
  }
  if (px.empty()) return d;
  std::sort(px.begin(), px.end());
  d.median_px = px[px.size() / 2];
  d.p95_px = px[px.size() * 95 / 100];
  d.max_px = px.back();
  return d;
}

void print(const char* what, const Diff& d, size_t crops) {
  std::printf("%s: %zu crops, %d with the part, median %.3f px, p95 %.3f, max %.3f, presence differs on %d\n", what,
              crops, d.present, d.median_px, d.p95_px, d.max_px, d.disagree);
}

class Bf16Landmarks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::model_present("pose_landmark_full") || !testing::model_present("hand_landmark_full")) return;
    models_ = HolisticModels::load(std::string(SUEO_SOURCE_DIR) + "/models");
    HolisticRuntimes runtimes(models_);
    auto collect = [](Crops& out) {
      return [&out](const Runtime& rt) { out.emplace_back(rt.input(0), rt.input(0) + rt.model().inputs()[0].elements()); };
    };
    runtimes.hand_landmark.set_run_hook(collect(hand_));
    runtimes.pose_landmark.set_run_hook(collect(pose_));
    HolisticTrack track;
    for (int i = 0; i < kFrames; ++i) {
      const auto rgb = clip_frame_rgb("c04_bi_bim_rice_s11_82155dbd.mp4", kW, kH, 2 * i);
      track.process_at(runtimes, rgb.data(), kW, kH, (2 * i + 1) * 33333);
    }
  }
  static void TearDownTestSuite() { models_.reset(); }
  void SetUp() override {
    if (!models_) GTEST_SKIP() << models_missing_message();
    ASSERT_GE(hand_.size(), 8u);
    ASSERT_GE(pose_.size(), 8u);
  }
  static void require_bf16() {
    if (!detail::cpu_has_native_bf16()) GTEST_SKIP() << "this CPU has no AVX512_BF16: the bf16 engine is refused here";
  }
  static inline std::shared_ptr<const HolisticModels> models_;
  static inline Crops hand_, pose_;
};

// oneDNN in f32 computes the same function as XNNPACK: any wrong layout, padding, fused add or head
// would move landmarks by pixels, far above float rounding (measured ~1e-3 px).
TEST_F(Bf16Landmarks, F32MappingMatchesXnnpack) {
  for (const auto& [model, crops, layout] :
       {std::tuple{models_->hand_landmark, &hand_, kHand}, std::tuple{models_->pose_landmark, &pose_, kPose}}) {
    Runtime xnn(model);
    detail::DnnlNet f32(model->graph(), false);
    const Diff d = compare(xnn, f32, *crops, layout);
    print(model->path().c_str(), d, crops->size());
    EXPECT_LE(d.max_px, 0.05) << model->path();
    EXPECT_EQ(d.disagree, 0) << model->path();
  }
}

// bf16 against XNNPACK f32 on the same crops (40 hand, 20 pose). Bounds from the spike
// (tools/bench/dnnl_spike, 40-60 crops of another clip: hand median 0.64 px, p95 4.0 px of a 224-px
// crop where a hand spans ~100 px, 2/40 presence flips; pose median 0.99, p95 2.3 px of 256) and from
// these crops (hand median 0.31, p95 6.6; pose median 0.78, p95 2.2, max 3.3): where the hand model is
// sure (presence >= 0.95) bf16 moves no landmark more than ~2 px, but on the few unsure crops (presence
// 0.68-0.91: a hand entering, blurred) single landmarks move 13-38 px, which sets the all-crops p95.
// A broken engine (a wrong layout, a lost post-op) moves landmarks by tens of pixels on every crop.
TEST_F(Bf16Landmarks, HandAndPoseStayNearF32) {
  require_bf16();
  auto hand = Model::load(testing::model_path("hand_landmark_full"), {"Identity", "Identity_1"}, nullptr,
                          Precision::kBf16);
  Runtime hand_f32(models_->hand_landmark), hand_bf16(hand);
  const Diff h = compare(hand_f32, hand_bf16, hand_, kHand);
  print("hand bf16 vs f32", h, hand_.size());
  ASSERT_GE(h.present, 20) << "the f32 model should find the hands on most crops";
  EXPECT_LE(h.median_px, 1.0);
  EXPECT_LE(h.p95_px, 9.0);
  EXPECT_LE(h.disagree * 10, static_cast<int>(hand_.size())) << "presence agrees on >= 90 % of the crops";
  const Diff sure = compare(hand_f32, hand_bf16, hand_, kHand, 0.95f);
  print("hand bf16 vs f32, presence >= 0.95", sure, hand_.size());
  ASSERT_GE(sure.present, 15);
  EXPECT_LE(sure.p95_px, 2.0);
  EXPECT_LE(sure.max_px, 4.0);

  auto pose = Model::load(testing::model_path("pose_landmark_full"), {"Identity", "Identity_1", "Identity_3"},
                          nullptr, Precision::kBf16);
  Runtime pose_f32(models_->pose_landmark), pose_bf16(pose);
  const Diff p = compare(pose_f32, pose_bf16, pose_, kPose);
  print("pose bf16 vs f32", p, pose_.size());
  ASSERT_GE(p.present, 5);
  EXPECT_LE(p.median_px, 1.5);
  EXPECT_LE(p.p95_px, 4.0);
  EXPECT_LE(p.max_px, 6.0);
  EXPECT_EQ(p.disagree, 0);
}

// The Holistic option loads exactly the two landmark models in bf16 and keeps the others on XNNPACK f32.
TEST_F(Bf16Landmarks, OptionSwitchesOnlyTheLandmarkModels) {
  require_bf16();
  HolisticOptions o;
  o.landmark_precision = Precision::kBf16;
  const auto m = HolisticModels::load(std::string(SUEO_SOURCE_DIR) + "/models", o);
  EXPECT_EQ(m->pose_landmark->precision(), Precision::kBf16);
  EXPECT_EQ(m->hand_landmark->precision(), Precision::kBf16);
  EXPECT_EQ(m->pose_detection->precision(), Precision::kF32);
  EXPECT_EQ(m->hand_recrop->precision(), Precision::kF32);
}

size_t process_threads() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                           std::filesystem::directory_iterator{}));
}

// A run stays on the calling thread even when the caller's OpenMP setting asks for more (the server's
// workers each run their own models): oneDNN's OpenMP starts no thread, and the caller's setting is
// left as it was.
TEST_F(Bf16Landmarks, RunsOnTheCallingThreadOnly) {
  require_bf16();
  const int before = omp_get_max_threads();
  omp_set_num_threads(4);
  const size_t threads = process_threads();
  Runtime hand(HolisticModels::load(std::string(SUEO_SOURCE_DIR) + "/models", [] {
                 HolisticOptions o;
                 o.landmark_precision = Precision::kBf16;
                 return o;
               }())->hand_landmark);
  std::copy(hand_[0].begin(), hand_[0].end(), hand.input(0));
  hand.run();
  EXPECT_EQ(process_threads(), threads) << "an OpenMP team was started";
  EXPECT_EQ(omp_get_max_threads(), 4);
  omp_set_num_threads(before);
}

TEST(LandmarkPrecisionOption, RejectsValuesOtherThanF32AndBf16) {
  const testing::CommandResult r =
      testing::run_command(std::string(SUEO_BINARY) + " bench landmarks --landmark-precision fp16");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("--landmark-precision must be f32 or bf16, not 'fp16'"), std::string::npos) << r.output;
  const testing::CommandResult env =
      testing::run_command("SUEO_LANDMARK_PRECISION=int8 " + std::string(SUEO_BINARY) + " bench landmarks");
  EXPECT_NE(env.status, 0);
  EXPECT_NE(env.output.find("not 'int8'"), std::string::npos) << env.output;
}

// Without native bf16 (here: oneDNN told to stop at AVX-512 core) bf16 is refused at startup, never emulated.
TEST(LandmarkPrecisionOption, RefusesBf16WithoutNativeBf16) {
  const testing::CommandResult r =
      testing::run_command("DNNL_MAX_CPU_ISA=AVX512_CORE " + std::string(SUEO_BINARY) +
                           " bench landmarks --landmark-precision bf16");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("needs a CPU with AVX512_BF16"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace sueo::landmarks
