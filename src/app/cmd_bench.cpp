// `sueo bench landmarks`: per-stage latency of the holistic pipeline on a real clip (warm-up pass,
// then repeated passes, each from a fresh track), next to the reference in the same run: MediaPipe
// Holistic itself timed by tools/golden/golden.mjs (headless Chromium, `await holistic.send()`).
// The last line with --json: {"frame_ms_median", "frame_ms_p90", "reference_ms_median", "ratio", ...}.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/landmark_options.h"
#include "app/video_decode.h"
#include "config.h"
#include "landmarks/holistic.h"

namespace sueo::app {
namespace {

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

// Runs the golden tool on the clip and returns its summary line (null when it cannot run).
nlohmann::json reference_times(const std::string& home, const std::string& clip, int every) {
  const std::string cmd = "node '" + home + "/tools/golden/golden.mjs' --clip '" + clip + "' --every " +
                          std::to_string(every) + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return nullptr;
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0) output.append(buf, n);
  const auto last = output.find_last_of('{');
  if (last == std::string::npos) return nullptr;
  return nlohmann::json::parse(output.substr(last), nullptr, false);
}

int bench_landmarks(const std::vector<std::string>& args) {
  const std::string home = project_home();
  std::string clip = home + "/tests/data/clips/c04_bi_bim_rice_s11_82155dbd.mp4";
  std::string models_dir = home + "/models";
  int runs = 5, every = 2, threads = 1;
  bool json = false, reference = true;
  landmarks::HolisticOptions landmark_options;
  std::vector<Option> table = {
      {"--clip", "", clip, "video to run on", set_string(clip)},
      {"--models", "SUEO_MODELS", models_dir, "folder of the .tflite models", set_string(models_dir)},
      {"--runs", "", "5", "timed passes over the clip (after one warm-up pass)",
       set_int(runs, 1, 1000, "--runs")},
      {"--threads", "", "1", "XNNPACK threads per model run", set_int(threads, 1, 64, "--threads")},
      {"--every", "", "2", "use every N-th frame (2: ~15 fps, as the page sends)",
       set_int(every, 1, 100, "--every")},
      {"--reference", "", "1", "also time MediaPipe Holistic in Chromium (tools/golden)",
       set_bool(reference, "--reference")},
      {"--json", "", "", "print a JSON summary as the last line", [&json](std::string_view) { json = true; },
       true},
  };
  for (auto& row : landmark_option_rows(landmark_options)) table.push_back(std::move(row));
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested) {
    std::printf("%s", format_help("sueo bench landmarks [options]", table).c_str());
    return 0;
  }
  std::vector<VideoFrame> frames;
  decode_video(clip, every, [&](const VideoFrame& f) { frames.push_back(f); });
  if (frames.empty()) throw std::runtime_error(clip + ": no frames");
  const auto models = landmarks::HolisticModels::load(models_dir, landmark_options);
  landmarks::HolisticTracker tracker(models, threads);

  std::vector<landmarks::StageTimes> times;
  for (int pass = 0; pass <= runs; ++pass) {
    tracker.reset();
    for (size_t i = 0; i < frames.size(); ++i) {
      landmarks::StageTimes t;
      // Each pass restarts the clip's clock; reset() cleared the filters that depend on it.
      tracker.process_at(frames[i].rgb.data(), frames[i].width, frames[i].height, frames[i].pts_us, &t);
      if (pass > 0) times.push_back(t);  // pass 0 warms up caches and XNNPACK
    }
  }
  auto column = [&](auto field, bool only_detect = false) {
    std::vector<double> v;
    for (const auto& t : times) {
      if (!only_detect || t.pose_detected) v.push_back(field(t));
    }
    return v;
  };
  const auto total = column([](const auto& t) { return t.total_ms; });
  struct Row {
    const char* name;
    std::vector<double> v;
  };
  const std::vector<Row> rows = {
      {"pose detection (frames that ran it)",
       column([](const auto& t) { return t.pose_detection_ms; }, true)},
      {"pose landmarks", column([](const auto& t) { return t.pose_landmarks_ms; })},
      {"hand recrop (both hands)", column([](const auto& t) { return t.hand_recrop_ms; })},
      {"hand landmarks (both hands)", column([](const auto& t) { return t.hand_landmarks_ms; })},
      {"frame total", total},
      {"frame total, thread CPU time", column([](const auto& t) { return t.total_cpu_ms; })},
  };
  const char* precision = landmark_options.landmark_precision == landmarks::Precision::kBf16 ? "bf16" : "f32";
  std::printf(
      "clip %s: %zu frames × %d runs, %d thread(s); pose %s, hands %s, hand re-crop %s, precision %s, pose "
      "every %d\n",
      clip.c_str(), frames.size(), runs, threads, landmark_options.lite_pose ? "lite" : "full",
      landmark_options.lite_hands ? "lite" : "full", landmark_options.track_hands ? "tracked" : "always",
      precision, landmark_options.pose_every);
  double recrops = 0;
  for (const auto& t : times) recrops += t.hand_recrops;
  const double recrops_per_frame = times.empty() ? 0 : recrops / static_cast<double>(times.size());
  std::printf("hand re-crop model runs per frame: %.2f\n", recrops_per_frame);
  // With --pose-every N the frames alternate between two costs: their mean is what a stream costs.
  double held = 0, cpu_sum = 0;
  for (const auto& t : times) {
    held += t.pose_held ? 1 : 0;
    cpu_sum += t.total_cpu_ms;
  }
  const double n_frames = std::max<double>(1.0, static_cast<double>(times.size()));
  std::printf("pose held (not run) on %.0f %% of frames; thread CPU a frame, mean: %.2f ms\n",
              100 * held / n_frames, cpu_sum / n_frames);
  std::printf("%-38s %8s %8s %6s\n", "stage", "median", "p90", "n");
  for (const auto& r : rows)
    std::printf("%-38s %8.2f %8.2f %6zu\n", r.name, quantile(r.v, 0.5), quantile(r.v, 0.9), r.v.size());

  nlohmann::json ref = reference ? reference_times(home, clip, every) : nlohmann::json(nullptr);
  double ref_median = 0;
  if (ref.is_object() && ref.contains("send_ms_median")) {
    ref_median = ref["send_ms_median"].get<double>();
    std::printf("%-38s %8.2f %8.2f %6d\n", "reference: MediaPipe holistic.send()", ref_median,
                ref["send_ms_p90"].get<double>(), ref["frames"].get<int>() - 1);
  } else if (reference) {
    std::printf("reference: not run (needs node, npm ci, chromium)\n");
  }
  if (json) {
    nlohmann::json summary = {
        {"frames", total.size()},
        {"frame_ms_median", quantile(total, 0.5)},
        {"frame_ms_p90", quantile(total, 0.9)},
        {"frame_cpu_ms_median", quantile(rows[5].v, 0.5)},
        {"pose_detection_ms_median", quantile(rows[0].v, 0.5)},
        {"pose_landmarks_ms_median", quantile(rows[1].v, 0.5)},
        {"hand_recrop_ms_median", quantile(rows[2].v, 0.5)},
        {"hand_landmarks_ms_median", quantile(rows[3].v, 0.5)},
        {"hand_recrops_per_frame", recrops_per_frame},
        {"pose_held_fraction", held / n_frames},
        {"frame_cpu_ms_mean", cpu_sum / n_frames},
        // Flat, so the line stays one object without nesting (readers take the text from the last '{').
        {"pose_model", landmark_options.lite_pose ? "lite" : "full"},
        {"hand_model", landmark_options.lite_hands ? "lite" : "full"},
        {"hand_recrop", landmark_options.track_hands ? "tracked" : "always"},
        {"landmark_precision", precision},
        {"pose_every", landmark_options.pose_every},
        {"reference_ms_median", ref_median > 0 ? nlohmann::json(ref_median) : nlohmann::json(nullptr)},
        {"ratio",
         ref_median > 0 ? nlohmann::json(quantile(total, 0.5) / ref_median) : nlohmann::json(nullptr)}};
    std::printf("%s\n", summary.dump().c_str());
  }
  return 0;
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  if (args.empty() || args.front() != "landmarks") {
    std::fprintf(stderr, "usage: sueo bench landmarks [options]   (sueo bench landmarks --help)\n");
    return 2;
  }
  return bench_landmarks({args.begin() + 1, args.end()});
}

}  // namespace sueo::app
