// An overloaded server thins its streams (Recognizer's shed_after_ms, `sueo serve --shed-after-ms`): a
// frame that waited too long for a worker is not landmarked, never two in a row, and the result says
// how many; frames on time are never shed, and with the setting off nothing is.
#include <gtest/gtest.h>

#include <chrono>

#include "frames/sequence_stats.h"
#include "frames/worker_pool.h"
#include "pipeline/recognizer.h"
#include "test_support.h"

namespace sueo {
namespace {

using namespace recognize_test;

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Feeds `frames` grey frames; those in [behind_from, behind_to) completed 500 ms before they reach the
// recognizer (they waited in the queue). Returns the window's result.
nlohmann::json run(double shed_after_ms, int frames, int behind_from, int behind_to) {
  auto models = std::make_shared<RecognitionModels>();
  models->landmarks = landmarks::HolisticModels::load(source("models").string());
  Recognizer recognizer(models, {}, 1, nullptr, shed_after_ms);
  frames::WorkerContext context;
  frames::Image image{160, 120, std::vector<uint8_t>(160 * 120 * 3, 90)};
  recognizer.on_sequence_start({1, static_cast<uint32_t>(frames), SequenceMode::kWindow});
  for (int i = 0; i < frames; ++i) {
    DecodedFrame frame;
    frame.seq = 1;
    frame.index = static_cast<uint32_t>(i);
    frame.capture_ms = 1000.0 + i * 66.7;
    const bool behind = i >= behind_from && i < behind_to;
    frame.complete_ms = now_ms() - (behind ? 500.0 : 0.0);
    frame.image = &image;
    recognizer.on_frame(frame, context);
  }
  frames::SequenceStats stats;
  stats.seq = 1;
  return recognizer.on_sequence_end(stats, {1, true}, context);
}

TEST(Shedding, AFrameBehindIsShedNeverTwoInARow) {
  if (!have_landmark_models()) GTEST_SKIP() << "models/ missing: run models/fetch.sh";
  // Frames 4..13 waited 500 ms: every second one of them is shed (5 of 10); the others are on time.
  const auto thinned = run(100, 20, 4, 14);
  EXPECT_EQ(thinned["frames"]["shed"], 5);
  EXPECT_EQ(thinned["frames"]["skipped"], 5);
  EXPECT_EQ(thinned["frames"]["used"], 15);
  // On time, nothing is shed; with the setting off, nothing is whatever the wait.
  EXPECT_EQ(run(100, 12, 0, 0)["frames"]["shed"], 0);
  const auto off = run(0, 12, 0, 12);
  EXPECT_EQ(off["frames"]["shed"], 0);
  EXPECT_EQ(off["frames"]["used"], 12);
}

}  // namespace
}  // namespace sueo
