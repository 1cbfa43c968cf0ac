// `sueo extract VIDEO... --out FILE.npz`: MediaPipe-Holistic landmarks of every frame of each video
// (GStreamer decoding, our landmarks pipeline), saved as the .npz layout of ../shared/data:
// X (videos, longest, 258) float32 zero-padded after each video's length, lengths (videos,) int32,
// files (videos,) the paths as given.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/commands.h"
#include "app/landmark_options.h"
#include "app/video_decode.h"
#include "config.h"
#include "landmarks/holistic.h"
#include "sign/npz.h"

namespace sueo::app {
namespace {

struct Extracted {
  std::vector<float> values;  // frames × 258
  int frames = 0, pose = 0, left = 0, right = 0;
};

Extracted extract_video(landmarks::HolisticRuntimes& runtimes, const std::string& video, int every) {
  landmarks::HolisticTrack track;  // a fresh track per video, on the thread's runtimes
  Extracted e;
  int64_t last_us = 0;
  decode_video(video, every, [&](const VideoFrame& f) {
    // Stamps must increase for the tracker's smoothing (and 0 is special to MediaPipe's filter):
    // repair a stream without usable PTS.
    const int64_t t_us = f.pts_us > last_us ? f.pts_us : last_us + 1;
    last_us = t_us;
    const auto lm = track.process_at(runtimes, f.rgb.data(), f.width, f.height, t_us);
    e.values.insert(e.values.end(), lm.values.begin(), lm.values.end());
    ++e.frames;
    e.pose += lm.pose;
    e.left += lm.left_hand;
    e.right += lm.right_hand;
  });
  return e;
}

// Runs extract_video on every video with `jobs` threads (videos are independent; the models are shared,
// each thread builds one runtime set for all its videos).
std::vector<Extracted> extract_all(const std::shared_ptr<const landmarks::HolisticModels>& models,
                                   const std::vector<std::string>& videos, int every, int jobs) {
  std::vector<Extracted> results(videos.size());
  std::vector<std::exception_ptr> errors(videos.size());
  std::atomic<size_t> next{0};
  std::mutex log;
  auto work = [&] {
    std::optional<landmarks::HolisticRuntimes> runtimes;  // built in the try: a failure is the video's error
    for (size_t i; (i = next.fetch_add(1)) < videos.size();) {
      try {
        if (!runtimes) runtimes.emplace(models);
        results[i] = extract_video(*runtimes, videos[i], every);
        const std::lock_guard lock(log);
        std::fprintf(stderr, "%s: %d frames, pose %d, left hand %d, right hand %d\n", videos[i].c_str(),
                     results[i].frames, results[i].pose, results[i].left, results[i].right);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < jobs; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return results;
}

}  // namespace

int run_extract(const std::vector<std::string>& args) {
  std::string out, models_dir = project_home() + "/models";
  int every = 1, jobs = 1;
  landmarks::HolisticOptions landmark_options;
  std::vector<Option> table = {
      {"--out", "", "", "the .npz file to write (required)", set_string(out)},
      {"--models", "SUEO_MODELS", models_dir, "folder of the .tflite models (models/fetch.sh)",
       set_string(models_dir)},
      {"--every", "", "1", "use every N-th frame (2: a 30 fps video at 15 fps)",
       set_int(every, 1, 1000, "--every")},
      {"--jobs", "", "1", "videos processed at once, one thread each", set_int(jobs, 1, 256, "--jobs")},
  };
  for (auto& row : landmark_option_rows(landmark_options)) table.push_back(std::move(row));
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested) {
    std::printf("%s", format_help("sueo extract VIDEO... --out FILE.npz [options]", table).c_str());
    return 0;
  }
  if (parsed.positional.empty()) throw ConfigError("no video given");
  if (out.empty()) throw ConfigError("--out is required");

  const auto models = landmarks::HolisticModels::load(models_dir, landmark_options);
  const auto results = extract_all(models, parsed.positional, every, jobs);
  size_t longest = 0;
  std::vector<int32_t> lengths;
  for (const auto& r : results) {
    lengths.push_back(r.frames);
    longest = std::max(longest, static_cast<size_t>(r.frames));
  }
  const size_t frame_values = landmarks::kFrameValues;
  std::vector<float> x(results.size() * longest * frame_values, 0.0f);
  for (size_t i = 0; i < results.size(); ++i) {
    std::copy(results[i].values.begin(), results[i].values.end(),
              x.begin() + static_cast<long>(i * longest * frame_values));
  }
  // Deflated like np.savez_compressed (../shared/data's sets): the zero padding shrinks to nothing.
  sign::write_npz(out, {{"X", sign::npy_float32({results.size(), longest, frame_values}, x)},
                        {"lengths", sign::npy_int32(lengths)},
                        {"files", sign::npy_strings(parsed.positional)}});
  std::fprintf(stderr, "wrote %s\n", out.c_str());
  return 0;
}

}  // namespace sueo::app
