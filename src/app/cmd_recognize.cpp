// `sueo recognize [--model M] FILE...`: the word signed in each video (or folder of JPEG frames), one
// JSON line per input, through exactly the server's pipeline. A video is turned into what the page
// would send (frames picked at --fps, scaled into the --width × --height box, JPEG at --jpeg-quality);
// then, as for a folder, the JPEG bytes go through FrameStream + Recognizer (recognize_frames.h):
// JPEG decode → landmarks → preprocessing → classifier, the code a server session runs.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/landmark_options.h"
#include "app/video_decode.h"
#include "config.h"
#include "frames/worker_pool.h"
#include "pipeline/page_capture.h"
#include "pipeline/recognize_frames.h"

namespace sueo::app {
namespace {

struct RecognizeOptions {
  std::string model;
  std::string models_dir;
  double fps = 15;
  int width = 640;
  int height = 480;
  double jpeg_quality = 0.7;
  int jobs = 1;
  bool pretty = false;
  int landmark_every = 1;
  landmarks::HolisticOptions landmarks;
};

std::vector<Option> recognize_options(RecognizeOptions& o, const std::string& home) {
  std::vector<Option> table = {
      {"--model", "SUEO_MODEL", home + "/models/sueo-ksl.onnx", "sign classifier (ONNX, docs/model.md)", set_string(o.model)},
      {"--models-dir", "SUEO_MODELS_DIR", home + "/models", "folder of the MediaPipe landmark models (models/fetch.sh)", set_string(o.models_dir)},
      {"--fps", "SUEO_FPS", "15", "frames per second taken from a video (the page captures 15); a folder's frames are all used, stamped at this rate", set_double(o.fps, 1, 120, "--fps")},
      {"--width", "SUEO_WIDTH", "640", "video frames are scaled to fit this width, aspect kept, never enlarged (as the page does)", set_int(o.width, 64, 3840, "--width")},
      {"--height", "SUEO_HEIGHT", "480", "… and this height", set_int(o.height, 64, 2160, "--height")},
      {"--jpeg-quality", "SUEO_JPEG_QUALITY", "0.7", "JPEG quality of video frames, as the page's canvas.toBlob (0–1)", set_double(o.jpeg_quality, 0.05, 1.0, "--jpeg-quality")},
      {"--jobs", "SUEO_JOBS", "1", "inputs processed at once (output stays in input order)", set_int(o.jobs, 1, 64, "--jobs")},
      {"--pretty", "", "", "indented JSON instead of one line per input", set_bool(o.pretty, "--pretty"), true},
      {"--landmark-every", "SUEO_LANDMARK_EVERY", "1", "landmarks on every N-th frame, as the server's --landmark-every", set_int(o.landmark_every, 1, 10, "--landmark-every")},
  };
  for (auto& row : landmark_option_rows(o.landmarks)) table.push_back(std::move(row));
  return table;
}

double ms_since(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
}

struct PageFrames {
  std::vector<JpegFrame> frames;
  double decode_ms = 0;  // GStreamer: demux, decode, colour conversion of every frame of the video
  double encode_ms = 0;  // the page's part: scale into the box + JPEG encode, frames taken only
};

// The JPEGs the page would send for this video: a frame per tick of --fps, scaled, encoded.
PageFrames page_frames_of_video(const std::string& path, const RecognizeOptions& o) {
  PageFrames out;
  FramePicker picker(o.fps);
  frames::Image scratch;
  const int quality = static_cast<int>(o.jpeg_quality * 100 + 0.5);
  std::optional<int64_t> first_pts;
  const auto begin = std::chrono::steady_clock::now();
  decode_video(path, 1, [&](const VideoFrame& f) {
    if (!picker.take(f.pts_us)) return;
    const auto encode_begin = std::chrono::steady_clock::now();
    if (!first_pts) first_pts = f.pts_us;
    const FrameSize size = fit_size(f.width, f.height, o.width, o.height);
    out.frames.push_back({page_jpeg(f.rgb.data(), f.width, f.height, size, quality, scratch),
                          static_cast<double>(f.pts_us - *first_pts) / 1000.0});
    out.encode_ms += ms_since(encode_begin);
  });
  out.decode_ms = ms_since(begin) - out.encode_ms;
  if (out.frames.empty()) throw std::runtime_error(path + ": no video frames");
  return out;
}

// One input → its line. Never throws: a failure becomes {"file", "error"}.
nlohmann::ordered_json recognize_input(const std::string& input, const RecognizeOptions& o,
                                       const std::shared_ptr<const RecognitionModels>& models,
                                       frames::WorkerContext& context) {
  nlohmann::ordered_json line;
  line["file"] = input;
  const auto begin = std::chrono::steady_clock::now();
  try {
    PageFrames page;
    std::error_code ec;
    if (std::filesystem::is_directory(input, ec)) {
      page.frames = read_jpeg_folder(input, o.fps);
    } else {
      if (!std::filesystem::exists(input, ec)) throw std::runtime_error(input + ": no such file");
      page = page_frames_of_video(input, o);
    }
    const FramesOutcome outcome = recognize_jpeg_frames(models, std::move(page.frames), context, o.landmark_every);
    const nlohmann::json result = recognition_json(outcome);
    for (const char* key : {"word", "gloss", "score", "top", "reason", "frames", "width", "height", "model"}) {
      if (result.contains(key)) line[key] = result[key];
    }
    nlohmann::ordered_json top = nlohmann::ordered_json::array();  // each entry as word, gloss, score
    for (const auto& entry : result["top"]) top.push_back({{"word", entry["word"]}, {"gloss", entry["gloss"]}, {"score", entry["score"]}});
    line["top"] = top;
    // The stages in pipeline order.
    nlohmann::ordered_json ms;
    ms["video_decode"] = page.decode_ms;
    ms["jpeg_encode"] = page.encode_ms;
    for (const char* key : {"jpeg_decode_median", "landmarks_median", "landmarks_p90", "landmarks_total", "classifier",
                            "pipeline_total"}) {
      ms[key] = result["ms"][key];
    }
    ms["total"] = ms_since(begin);
    line["ms"] = ms;
    if (result["frames"]["decoded"].get<int>() == 0) {
      line["error"] = input + ": none of the " + std::to_string(outcome.sent) + " JPEG frames decodes";
    }
  } catch (const std::exception& error) {
    line["error"] = error.what();
  } catch (...) {  // the main thread waits for this line: nothing may escape without one
    line["error"] = input + ": unknown error";
  }
  return line;
}

// Results of the inputs, handed from the workers to the main thread, which prints them in input order.
class ResultSlots {
 public:
  explicit ResultSlots(size_t count) : lines_(count) {}
  void put(size_t i, nlohmann::ordered_json line) {
    std::lock_guard lock(mutex_);
    lines_[i] = std::move(line);
    ready_.notify_all();
  }
  nlohmann::ordered_json take(size_t i) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return lines_[i].has_value(); });
    return std::move(*lines_[i]);
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::optional<nlohmann::ordered_json>> lines_;
};

}  // namespace

int run_recognize(const std::vector<std::string>& args) {
  RecognizeOptions options;
  const auto table = recognize_options(options, project_home());
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested) {
    std::printf("%s", format_help("sueo recognize [--model M] VIDEO|FOLDER...", table).c_str());
    return 0;
  }
  if (parsed.positional.empty()) throw ConfigError("no video or folder given (see --help)");
  if (options.model.empty()) throw ConfigError("--model is empty: recognition needs a sign model");

  auto models = RecognitionModels::load(options.models_dir, options.model, options.landmarks);
  models->warm_up();  // as the server does at start, so the first input's timings are not first-call costs
  const auto& inputs = parsed.positional;
  ResultSlots slots(inputs.size());
  int failed = 0;
  {
    frames::WorkerPool pool(std::min<int>(options.jobs, static_cast<int>(inputs.size())), inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      pool.submit(i, [&, i](frames::WorkerContext& context) {
        slots.put(i, recognize_input(inputs[i], options, models, context));
      });
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      const nlohmann::ordered_json line = slots.take(i);
      failed += line.contains("error") ? 1 : 0;
      std::printf("%s\n", line.dump(options.pretty ? 2 : -1).c_str());
      std::fflush(stdout);
    }
  }
  return failed > 0 ? 1 : 0;
}

}  // namespace sueo::app
