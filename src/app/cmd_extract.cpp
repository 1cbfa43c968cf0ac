// `sueo extract VIDEO... --out FILE.npz`: MediaPipe-Holistic landmarks of every frame of each video
// (GStreamer decoding, our landmarks pipeline), saved as the .npz layout of ../shared/data:
// X (videos, longest, 258) float32 zero-padded after each video's length, lengths (videos,) int32,
// files (videos,) the paths as given.
#include <cstdio>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/npz.h"
#include "app/video_decode.h"
#include "config.h"
#include "landmarks/holistic.h"

namespace sueo::app {

int run_extract(const std::vector<std::string>& args) {
  std::string out, models_dir = project_home() + "/models";
  int every = 1;
  const std::vector<Option> table = {
      {"--out", "", "", "the .npz file to write (required)", set_string(out)},
      {"--models", "SUEO_MODELS", models_dir, "folder of the .tflite models (models/fetch.sh)",
       set_string(models_dir)},
      {"--every", "", "1", "use every N-th frame (2: a 30 fps video at 15 fps)",
       set_int(every, 1, 1000, "--every")},
  };
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested) {
    std::printf("%s", format_help("sueo extract VIDEO... --out FILE.npz [options]", table).c_str());
    return 0;
  }
  if (parsed.positional.empty()) throw ConfigError("no video given");
  if (out.empty()) throw ConfigError("--out is required");

  const auto models = landmarks::HolisticModels::load(models_dir);
  std::vector<std::vector<float>> sequences;
  std::vector<int32_t> lengths;
  for (const auto& video : parsed.positional) {
    landmarks::HolisticTracker tracker(models);  // a fresh track per video
    std::vector<float> values;
    int frames = 0, pose = 0, left = 0, right = 0;
    int64_t last_us = -1;
    decode_video(video, every, [&](const VideoFrame& f) {
      // Timestamps must increase for the tracker's smoothing; repair a stream without usable PTS.
      const int64_t t_us = f.pts_us > last_us ? f.pts_us : last_us + 1;
      last_us = t_us;
      const auto lm = tracker.process_at(f.rgb.data(), f.width, f.height, t_us);
      values.insert(values.end(), lm.values.begin(), lm.values.end());
      ++frames;
      pose += lm.pose;
      left += lm.left_hand;
      right += lm.right_hand;
    });
    std::fprintf(stderr, "%s: %d frames, pose %d, left hand %d, right hand %d\n", video.c_str(), frames, pose,
                 left, right);
    sequences.push_back(std::move(values));
    lengths.push_back(frames);
  }
  int64_t longest = 0;
  for (int32_t n : lengths) longest = std::max<int64_t>(longest, n);
  std::vector<float> x(sequences.size() * longest * landmarks::kFrameValues, 0.0f);
  for (size_t i = 0; i < sequences.size(); ++i) {
    std::copy(sequences[i].begin(), sequences[i].end(), x.begin() + i * longest * landmarks::kFrameValues);
  }
  write_npz(out,
            {npy_float32("X", {static_cast<int64_t>(sequences.size()), longest, landmarks::kFrameValues}, x),
             npy_int32("lengths", lengths), npy_strings("files", parsed.positional)});
  std::fprintf(stderr, "wrote %s\n", out.c_str());
  return 0;
}

}  // namespace sueo::app
