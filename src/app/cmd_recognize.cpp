// `sueo recognize [--model M] FILE...`: the word signed in each video (or folder of JPEG frames), one
// JSON line per input, through exactly the server's pipeline (window mode: the signs are spotted,
// `word` is the best one). `sueo spot VIDEO...`: every sign in each video with its times, as JSON lines
// or WebVTT captions (captioning recorded KSL video); the same pipeline. A video is turned into what the page
// would send (frames picked at --fps, scaled into the --width × --height box, JPEG at --jpeg-quality);
// then, as for a folder, the JPEG bytes go through FrameStream + Recognizer (recognize_frames.h):
// JPEG decode → landmarks → preprocessing → classifier, the code a server session runs.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/sign_options.h"
#include "app/landmark_options.h"
#include "app/video_decode.h"
#include "config.h"
#include "frames/worker_pool.h"
#include "pipeline/page_capture.h"
#include "pipeline/recognize_frames.h"
#include "store/taught_words.h"

namespace sueo::app {
namespace {

// 0.5 → "0.5", 120 → "120": seconds as a person writes them.
std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", seconds);
  return text;
}

struct RecognizeOptions {
  std::string store;
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
  double max_seconds = 0;  // 0: any length
  bool vtt = false;        // spot: WebVTT instead of JSON
  std::string out_dir;     // spot --vtt with several videos: one .vtt each, here
  SpotterSettings spotter;
  DecisionSettings decision;
};

// A video longer than --max-seconds: refused before its landmarks are computed.
struct TooLong : std::runtime_error {
  using std::runtime_error::runtime_error;
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
      {"--max-seconds", "SUEO_MAX_SECONDS", "0", "refuse videos longer than this (0: any length)", set_double(o.max_seconds, 0, 86400, "--max-seconds")},
      {"--store", "SUEO_STORE", store::default_store_path(), "taught words (sueo vocab; none when the file is absent)", set_string(o.store)},
      {"--landmark-every", "SUEO_LANDMARK_EVERY", "1", "landmarks on every N-th frame, as the server's --landmark-every", set_int(o.landmark_every, 1, 10, "--landmark-every")},
  };
  for (auto& row : landmark_option_rows(o.landmarks)) table.push_back(std::move(row));
  return table;
}

std::vector<Option> spot_options(RecognizeOptions& o, const std::string& home) {
  auto table = recognize_options(o, home);
  table.push_back({"--vtt", "", "", "WebVTT captions instead of JSON (stdout for one video; with several, --out-dir)", set_bool(o.vtt, "--vtt"), true});
  table.push_back({"--out-dir", "", "", "with --vtt: write VIDEO_NAME.vtt for each video into this folder", set_string(o.out_dir)});
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
    if (o.max_seconds > 0 && static_cast<double>(f.pts_us - *first_pts) / 1e6 > o.max_seconds) {
      throw TooLong(path + ": the video is longer than " + format_seconds(o.max_seconds) + " s");
    }
    const FrameSize size = fit_size(f.width, f.height, o.width, o.height);
    out.frames.push_back({page_jpeg(f.rgb.data(), f.width, f.height, size, quality, scratch),
                          static_cast<double>(f.pts_us - *first_pts) / 1000.0});
    out.encode_ms += ms_since(encode_begin);
  });
  out.decode_ms = ms_since(begin) - out.encode_ms;
  if (out.frames.empty()) throw std::runtime_error(path + ": no video frames");
  return out;
}

// A sign of the result as `sueo spot` prints it: times in seconds from the video's first frame.
nlohmann::ordered_json spot_sign(const nlohmann::json& a, double first_ms) {
  nlohmann::ordered_json out;
  out["word"] = a.value("word", nlohmann::json());
  if (a["word"].is_string()) {
    out["gloss"] = a.value("gloss", "");
    out["score"] = a["score"];
  } else {
    out["reason"] = a.value("reason", "");
    if (a.contains("guess")) out["guess"] = a["guess"];
  }
  out["start_s"] = std::round((a["start_ms"].get<double>() - first_ms) / 10) / 100;
  out["end_s"] = std::round((a["end_ms"].get<double>() - first_ms) / 10) / 100;
  return out;
}

// `sueo spot`'s line: every named word with its times, every sign found, the best word (or why none).
void fill_spot(nlohmann::ordered_json& line, const FramesOutcome& outcome, double first_ms, double last_ms) {
  const nlohmann::json& r = outcome.result;
  nlohmann::ordered_json words = nlohmann::ordered_json::array(), signs = nlohmann::ordered_json::array();
  for (const auto& a : r.value("signs", nlohmann::json::array())) {
    signs.push_back(spot_sign(a, first_ms));
    if (a["word"].is_string()) words.push_back(signs.back());
  }
  line["words"] = words;
  line["signs"] = signs;
  line["word"] = r.value("word", nlohmann::json());
  if (!r["word"].is_string()) {
    line["reason"] = r.value("reason", "");
    line["message"] = r.value("message", "");
  }
  line["duration_s"] = std::round(last_ms - first_ms) / 1000;
}

// The store's taught words for the decision, as the server has them (none when the file is absent).
std::shared_ptr<const TeachingHooks> taught_words(const RecognizeOptions& o,
                                                  const std::shared_ptr<const RecognitionModels>& models) {
  auto hooks = std::make_shared<TeachingHooks>();
  std::shared_ptr<const sign::TaughtSet> set = std::make_shared<sign::TaughtSet>();
  if (!o.store.empty() && std::filesystem::exists(o.store)) {
    store::TaughtWords taught(std::make_shared<store::VocabStore>(o.store));
    sign::Classifier classifier(models->classifier, 1);
    taught.refresh(classifier);
    set = taught.current();
  }
  hooks->taught = [set] { return set; };
  return hooks;
}

// One input → its line. Never throws: a failure becomes {"file", "error"}.
nlohmann::ordered_json recognize_input(const std::string& input, const RecognizeOptions& o,
                                       const std::shared_ptr<const RecognitionModels>& models,
                                       const std::shared_ptr<const TeachingHooks>& teaching,
                                       frames::WorkerContext& context, bool spot) {
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
    const double first_ms = page.frames.front().capture_ms, last_ms = page.frames.back().capture_ms;
    const FramesOutcome outcome = recognize_jpeg_frames(models, std::move(page.frames), context, o.landmark_every, teaching);
    const nlohmann::json result = recognition_json(outcome);
    if (spot) {
      fill_spot(line, outcome, first_ms, last_ms);
    } else {
      for (const char* key : {"word", "gloss", "score", "taught", "top", "reason", "message", "words"}) {
        if (result.contains(key)) line[key] = result[key];
      }
      nlohmann::ordered_json top = nlohmann::ordered_json::array();  // each entry as word, gloss, score
      for (const auto& entry : result["top"]) top.push_back({{"word", entry["word"]}, {"gloss", entry["gloss"]}, {"score", entry["score"]}});
      line["top"] = top;
    }
    for (const char* key : {"frames", "width", "height", "model"}) {
      if (result.contains(key)) line[key] = result[key];
    }
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
  } catch (const TooLong& error) {
    line["error"] = error.what();
    line["error_code"] = "too_long";
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

// "00:01:02.345"
std::string vtt_time(double seconds) {
  const auto ms = static_cast<long long>(std::llround(std::max(0.0, seconds) * 1000));
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
  return text;
}

// WebVTT captions of a `sueo spot` line: one cue per named word, Korean word and English gloss.
std::string to_vtt(const nlohmann::ordered_json& line) {
  std::string out = "WEBVTT\n\nNOTE " + line["file"].get<std::string>() + ": signs found by sueo\n";
  int cue = 0;
  for (const auto& w : line.value("words", nlohmann::ordered_json::array())) {
    // A cue stays at least a second on screen, so a short sign can be read.
    const double start = w["start_s"].get<double>();
    const double end = std::max(w["end_s"].get<double>(), start + 1.0);
    out += "\n" + std::to_string(++cue) + "\n" + vtt_time(start) + " --> " + vtt_time(end) + "\n" +
           w["word"].get<std::string>() + " (" + w.value("gloss", "") + ")\n";
  }
  return out;
}

// Both commands: load once, run the inputs on --jobs threads, print in input order.
int run_inputs(const std::vector<std::string>& inputs, const RecognizeOptions& options, bool spot) {
  if (inputs.empty()) throw ConfigError("no video or folder given (see --help)");
  if (options.model.empty()) throw ConfigError("--model is empty: recognition needs a sign model");
  if (options.vtt && inputs.size() > 1 && options.out_dir.empty()) {
    throw ConfigError("--vtt with several videos needs --out-dir (one .vtt file each)");
  }
  auto models = RecognitionModels::load(options.models_dir, options.model, options.landmarks);
  models->spotter = options.spotter;
  models->decision = options.decision;
  models->warm_up();  // as the server does at start, so the first input's timings are not first-call costs
  const auto teaching = taught_words(options, models);
  ResultSlots slots(inputs.size());
  int failed = 0;
  {
    frames::WorkerPool pool(std::min<int>(options.jobs, static_cast<int>(inputs.size())), inputs.size());
    std::shared_ptr<const RecognitionModels> shared = models;
    for (size_t i = 0; i < inputs.size(); ++i) {
      pool.submit(i, [&, i](frames::WorkerContext& context) {
        slots.put(i, recognize_input(inputs[i], options, shared, teaching, context, spot));
      });
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      const nlohmann::ordered_json line = slots.take(i);
      failed += line.contains("error") ? 1 : 0;
      if (options.vtt && !line.contains("error")) {
        if (options.out_dir.empty()) {
          std::printf("%s", to_vtt(line).c_str());
        } else {
          const auto path = std::filesystem::path(options.out_dir) / (std::filesystem::path(inputs[i]).stem().string() + ".vtt");
          std::ofstream(path) << to_vtt(line);
        }
      } else {
        std::printf("%s\n", line.dump(options.pretty ? 2 : -1).c_str());
      }
      std::fflush(stdout);
    }
  }
  return failed > 0 ? 1 : 0;
}

}  // namespace

int run_recognize(const std::vector<std::string>& args) {
  RecognizeOptions options;
  const auto table = with_options(with_options(recognize_options(options, project_home()), spotter_options(options.spotter)),
                                  decision_options(options.decision));
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested) {
    std::printf("%s", format_help("sueo recognize [--model M] VIDEO|FOLDER...", table).c_str());
    return 0;
  }
  return run_inputs(parsed.positional, options, false);
}

int run_spot(const std::vector<std::string>& args) {
  RecognizeOptions options;
  const auto table = with_options(with_options(spot_options(options, project_home()), spotter_options(options.spotter)),
                                  decision_options(options.decision));
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested) {
    std::printf("%s", format_help("sueo spot VIDEO... [--vtt] [options]\n"
                                  "every sign in each video: one JSON line per video {file, words: [{word, gloss, score, "
                                  "start_s, end_s}], signs, word, duration_s, ...}, or WebVTT captions", table).c_str());
    return 0;
  }
  return run_inputs(parsed.positional, options, true);
}

}  // namespace sueo::app
