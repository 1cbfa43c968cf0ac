// `sueo calibrate`: the activation ranges of the int8 landmark models (quantization.h), from real
// crops of the tune signers' KSL-77 clips (never the test signers of models/splits.json), written to
// a small text file; with --measure, also the time of one model run float vs int8 on those crops and
// how far the int8 outputs are from the float ones.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/video_decode.h"
#include "config.h"
#include "landmarks/holistic.h"
#include "landmarks/quantization.h"
#include "landmarks/stage_times.h"

namespace sueo::app {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The clips of labels.csv whose signer is known and not a test signer.
std::vector<std::string> tune_clips(const std::string& labels_csv, const std::string& splits_json,
                                    std::set<std::string>& signers) {
  std::ifstream splits_in(splits_json);
  if (!splits_in) throw std::runtime_error(splits_json + ": cannot open");
  // Parsed into a named value first: a range-for over a member of a temporary would dangle.
  const auto splits = nlohmann::json::parse(splits_in);
  std::set<std::string> test_signers;
  for (const auto& s : splits.at("ksl77").at("test_signers")) test_signers.insert(s.get<std::string>());
  if (test_signers.empty()) throw std::runtime_error(splits_json + ": no ksl77 test signers");
  std::ifstream in(labels_csv);
  if (!in) throw std::runtime_error(labels_csv + ": cannot open");
  const std::string dir = labels_csv.substr(0, labels_csv.find_last_of('/') + 1);
  std::vector<std::string> clips;
  std::string line;
  std::getline(in, line);  // header: file,class_id,class_label_koala,koala_file_label,signer_id,...
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream row(line);
    for (std::string f; fields.size() < 5 && std::getline(row, f, ',');) fields.push_back(f);
    if (fields.size() < 5 || fields[4].empty() || test_signers.count(fields[4])) continue;
    clips.push_back(dir + fields[0]);
    signers.insert(fields[4]);
  }
  return clips;
}

// Real crops of one model, as the tracker made them.
struct Crops {
  size_t elements = 0;
  std::vector<std::vector<float>> kept;  // every `keep_every`-th, for --measure
};

struct Timing {
  double cpu_ms = 0, wall_ms = 0;
};

// Median time of one run over the crops, `passes` times each (after one warm-up pass); fills
// outputs 0 and 1 of each crop's last run.
Timing time_runs(landmarks::Runtime& rt, const Crops& crops, int passes, std::vector<std::vector<float>>& outputs,
                 std::vector<std::vector<float>>& presence) {
  std::vector<double> cpu, wall;
  outputs.assign(crops.kept.size(), {});
  presence.assign(crops.kept.size(), {});
  for (int pass = 0; pass <= passes; ++pass)
    for (size_t i = 0; i < crops.kept.size(); ++i) {
      std::copy(crops.kept[i].begin(), crops.kept[i].end(), rt.input(0));
      const double c0 = landmarks::thread_cpu_ms();
      const auto w0 = std::chrono::steady_clock::now();
      rt.run();
      const double c1 = landmarks::thread_cpu_ms();
      const auto w1 = std::chrono::steady_clock::now();
      if (pass == 0) continue;
      cpu.push_back(c1 - c0);
      wall.push_back(std::chrono::duration<double, std::milli>(w1 - w0).count());
      outputs[i].assign(rt.output(0), rt.output(0) + rt.output_size(0));
      presence[i].assign(rt.output(1), rt.output(1) + rt.output_size(1));
    }
  return {median(cpu), median(wall)};
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// Float vs int8 of one model on the kept crops: time of one run (thread CPU and wall, medians, the two
// alternated twice so load falls on both alike), and how far the int8 landmarks are from the float
// ones: x, y in crop pixels (output 0, `stride` values a landmark) on the crops where the float model
// finds the part (output 1 > 0.5), and how often the two agree on that.
void measure(const std::string& name, const std::shared_ptr<const landmarks::Model>& f32_model,
             const std::string& model_path, const std::vector<std::string>& outputs,
             const landmarks::ActivationRanges& ranges, const Crops& crops, int passes, int stride) {
  auto int8_model = landmarks::Model::load(model_path, outputs,
                                           std::make_shared<const landmarks::ActivationRanges>(ranges));
  landmarks::Runtime f32(f32_model), int8(int8_model);
  std::vector<std::vector<float>> out_f, out_q, present_f, present_q;
  Timing tf{}, tq{};
  const std::string load_before = load_average();
  for (int round = 0; round < 2; ++round) {
    const auto a = time_runs(f32, crops, passes, out_f, present_f);
    const auto b = time_runs(int8, crops, passes, out_q, present_q);
    tf.cpu_ms += a.cpu_ms / 2;
    tf.wall_ms += a.wall_ms / 2;
    tq.cpu_ms += b.cpu_ms / 2;
    tq.wall_ms += b.wall_ms / 2;
  }
  std::vector<double> err;
  size_t present = 0, agree = 0;
  for (size_t i = 0; i < out_f.size(); ++i) {
    const bool pf = present_f[i][0] > 0.5f, pq = present_q[i][0] > 0.5f;
    agree += pf == pq;
    if (!pf) continue;
    ++present;
    for (size_t k = 0; k + 1 < out_f[i].size(); k += static_cast<size_t>(stride))
      err.push_back(std::hypot(out_f[i][k] - out_q[i][k], out_f[i][k + 1] - out_q[i][k + 1]));
  }
  std::sort(err.begin(), err.end());
  const double p95 = err.empty() ? 0 : err[err.size() * 95 / 100];
  std::printf("%s: %zu crops (%zu with the part), load average %s -> %s\n", name.c_str(), crops.kept.size(), present,
              load_before.c_str(), load_average().c_str());
  std::printf("  one run, median: float %.2f ms CPU (%.2f wall), int8 %.2f ms CPU (%.2f wall): int8 %.2fx faster\n",
              tf.cpu_ms, tf.wall_ms, tq.cpu_ms, tq.wall_ms, tq.cpu_ms > 0 ? tf.cpu_ms / tq.cpu_ms : 0);
  std::printf("  int8 vs float landmarks (x, y, crop px): median %.2f, p95 %.2f; presence agrees on %.1f %%\n",
              median(err), p95, crops.kept.empty() ? 0.0 : 100.0 * static_cast<double>(agree) / static_cast<double>(crops.kept.size()));
}

}  // namespace

int run_calibrate(const std::vector<std::string>& args) {
  const std::string home = project_home();
  // The shared data: $SUEO_DATA (from a git worktree elsewhere), else ../shared/data beside the checkout.
  const char* data = std::getenv("SUEO_DATA");
  std::string labels = (data ? std::string(data) : home + "/../shared/data") + "/ksl77/labels.csv", splits = home + "/models/splits.json";
  std::string models_dir = home + "/models", out;
  int every = 2, keep_every = 8, passes = 3, max_clips = 1000;
  double quantile = 0;
  bool measure_int8 = false;
  std::vector<Option> table = {
      {"--labels", "", labels, "KSL-77 labels.csv (its clips sit beside it)", set_string(labels)},
      {"--splits", "", splits, "splits.json: its ksl77 test signers are never used", set_string(splits)},
      {"--models", "SUEO_MODELS", models_dir, "folder of the .tflite models", set_string(models_dir)},
      {"--out", "", "", "ranges file to write (empty: none)", set_string(out)},
      {"--every", "", "2", "use every N-th frame of a clip (2: ~15 fps, as the page sends)", set_int(every, 1, 100, "--every")},
      {"--max-clips", "", "1000", "at most this many tune clips (in labels.csv order)", set_int(max_clips, 1, 100000, "--max-clips")},
      {"--quantile", "", "0", "range = this quantile of per-crop minima, 1 - it of maxima (0: extremes)",
       set_double(quantile, 0, 0.5, "--quantile")},
      {"--measure", "", "", "also time one model run float vs int8 on the crops (every --keep-every-th)",
       [&measure_int8](std::string_view) { measure_int8 = true; }, true},
      {"--keep-every", "", "8", "crops kept for --measure: every N-th", set_int(keep_every, 1, 1000, "--keep-every")},
      {"--passes", "", "3", "timed passes over the kept crops (--measure)", set_int(passes, 1, 100, "--passes")},
  };
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested) {
    std::printf("%s", format_help("sueo calibrate [options]", table).c_str());
    return 0;
  }
  std::set<std::string> signers;
  auto clips = tune_clips(labels, splits, signers);
  std::string signer_list;
  for (const auto& s : signers) signer_list += (signer_list.empty() ? "" : " ") + s;
  if (clips.empty()) throw std::runtime_error(labels + ": no tune clips");
  if (clips.size() > static_cast<size_t>(max_clips)) clips.resize(static_cast<size_t>(max_clips));

  const auto models = landmarks::HolisticModels::load(models_dir);
  landmarks::HolisticRuntimes runtimes(models);
  landmarks::RangeRecorder hand_ranges(models->hand_landmark), pose_ranges(models->pose_landmark);
  Crops hand_crops, pose_crops;
  auto collect = [keep_every](landmarks::RangeRecorder& recorder, Crops& crops) {
    return [&recorder, &crops, keep_every](const landmarks::Runtime& rt) {
      crops.elements = rt.model().inputs()[0].elements();
      if (recorder.samples() % static_cast<size_t>(keep_every) == 0)
        crops.kept.emplace_back(rt.input(0), rt.input(0) + crops.elements);
      recorder.add(rt.input(0));
    };
  };
  runtimes.hand_landmark.set_run_hook(collect(hand_ranges, hand_crops));
  runtimes.pose_landmark.set_run_hook(collect(pose_ranges, pose_crops));
  for (const auto& clip : clips) {
    landmarks::HolisticTrack track;
    int64_t last_us = 0;
    decode_video(clip, every, [&](const VideoFrame& f) {
      const int64_t t_us = f.pts_us > last_us ? f.pts_us : last_us + 1;
      last_us = t_us;
      track.process_at(runtimes, f.rgb.data(), f.width, f.height, t_us);
    });
  }
  std::fprintf(stderr, "%zu tune clips (signers %s): %zu hand crops, %zu pose crops\n", clips.size(),
               signer_list.c_str(), hand_ranges.samples(), pose_ranges.samples());
  std::map<std::string, landmarks::ActivationRanges> ranges = {
      {"hand_landmark_full", hand_ranges.ranges(quantile)}, {"pose_landmark_full", pose_ranges.ranges(quantile)}};
  if (measure_int8) {
    measure("hand_landmark_full", models->hand_landmark, models_dir + "/hand_landmark_full.tflite",
            {"Identity", "Identity_1"}, ranges["hand_landmark_full"], hand_crops, passes, 3);
    measure("pose_landmark_full", models->pose_landmark, models_dir + "/pose_landmark_full.tflite",
            {"Identity", "Identity_1", "Identity_3"}, ranges["pose_landmark_full"], pose_crops, passes, 5);
  }
  if (!out.empty()) {
    std::ostringstream header;
    header << "Activation ranges of the int8 landmark models (src/landmarks/quantization.h).\n"
           << "Made by: sueo calibrate --every " << every << " --quantile " << quantile << " --max-clips " << max_clips
           << "\n"
           << "from " << clips.size() << " KSL-77 clips of the tune signers (test signers of models/splits.json "
           << "excluded; signers " << signer_list << "): " << hand_ranges.samples() << " hand crops, " << pose_ranges.samples() << " pose crops.";
    std::ofstream file(out);
    file << landmarks::format_ranges(ranges, header.str());
    if (!file) throw std::runtime_error(out + ": cannot write");
    std::fprintf(stderr, "wrote %s\n", out.c_str());
  }
  return 0;
}

}  // namespace sueo::app
