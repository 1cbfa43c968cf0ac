// `sueo vocab list|add|remove|rename|export|import`: the taught words in the store (--store PATH /
// SUEO_STORE), from the command line. The server, `sueo recognize` and `sueo spot` read the same file.
//
//   sueo vocab add --word 우유 --gloss milk take1.mp4 take2.mp4 take3.mp4   # one take per video
//   sueo vocab add --word 우유 takes.npz                                     # every sequence an example
//   sueo vocab list [--json] · remove --word W · rename --word W --to W2 [--gloss G]
//   sueo vocab export --out taught.npz (+ taught.json) · import taught.npz [--replace]
//
// A video is one take, and the example is the sign found in it, not the whole video: the video goes
// through the server's own path as the Teach view's take does (frames at 15 fps scaled into the page's
// 640 × 480 box and JPEG-encoded, then FrameStream → Recognizer → SignReader with the spotter), and the
// example is the take's `sign` (the spotter's segment, the longest when it finds several), the frames
// the page would save. A video in which no sign is found is refused, and nothing is taught.
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/sign_options.h"
#include "app/video_decode.h"
#include "config.h"
#include "frames/worker_pool.h"
#include "pipeline/page_capture.h"
#include "pipeline/recognize_frames.h"
#include "sign/landmark_set.h"
#include "store/exchange.h"
#include "store/vocab_store.h"

namespace sueo::app {
namespace {

// What the page sends while the Teach view records a take (web/teach.js, web/capture.js).
constexpr double kTeachFps = 15;
constexpr int kPageWidth = 640, kPageHeight = 480;
constexpr int kPageJpegQuality = 70;

struct VocabOptions {
  std::string store;
  std::string model;
  std::string models_dir;
  std::string word, to, gloss, out, session;
  bool replace = false, json = false;
  int landmark_every = 1;
  SpotterSettings spotter;
};

std::vector<Option> vocab_options(VocabOptions& o, const std::string& home) {
  std::vector<Option> table = {
      {"--store", "SUEO_STORE", store::default_store_path(), "the taught-words file (SQLite; created on first use)",
       set_string(o.store)},
      {"--word", "", "", "the Korean word (add, remove, rename)", set_string(o.word)},
      {"--gloss", "", "", "English gloss (add, rename)", set_string(o.gloss)},
      {"--to", "", "", "new word (rename)", set_string(o.to)},
      {"--out", "", "", "export: the .npz to write (its .json goes beside it)", set_string(o.out)},
      {"--session", "", "cli", "recorded as who taught the examples", set_string(o.session)},
      {"--replace", "", "", "add/import: replace a word that is already taught", set_bool(o.replace, "--replace"), true},
      {"--json", "", "", "list: JSON instead of a table", set_bool(o.json, "--json"), true},
      {"--models-dir", "SUEO_MODELS_DIR", home + "/models", "MediaPipe landmark models (add from videos)",
       set_string(o.models_dir)},
      {"--model", "SUEO_MODEL", home + "/models/sueo-ksl.onnx",
       "sign classifier the takes are read with (add from videos: the spotter's segments are classified as the server does)",
       set_string(o.model)},
      {"--landmark-every", "SUEO_LANDMARK_EVERY", "1",
       "add from videos: landmarks on every N-th frame, as the server's --landmark-every (keep the two the same)",
       set_int(o.landmark_every, 1, 10, "--landmark-every")},
  };
  return with_options(std::move(table), spotter_options(o.spotter));
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The JPEGs the page would send for this video while recording a take.
std::vector<JpegFrame> page_frames(const std::string& path) {
  std::vector<JpegFrame> out;
  FramePicker picker(kTeachFps);
  frames::Image scratch;
  int64_t first_us = 0;
  decode_video(path, 1, [&](const VideoFrame& f) {
    if (!picker.take(f.pts_us)) return;
    if (out.empty()) first_us = f.pts_us;
    const FrameSize size = fit_size(f.width, f.height, kPageWidth, kPageHeight);
    out.push_back({page_jpeg(f.rgb.data(), f.width, f.height, size, kPageJpegQuality, scratch),
                   static_cast<double>(f.pts_us - first_us) / 1000.0});
  });
  if (out.empty()) throw store::InvalidInput(path + ": no video frames");
  return out;
}

// One take: the sign the server finds in the video, as the Teach view's `sign` (the same frames, the
// same rounding). Throws store::InvalidInput when the spotter finds no sign in it.
sign::Sequence take_of_video(const std::shared_ptr<const RecognitionModels>& models, const std::string& path,
                             int landmark_every, frames::WorkerContext& context) {
  auto hooks = std::make_shared<TeachingHooks>();
  hooks->teach_takes = [] { return true; };
  auto frames = page_frames(path);
  const size_t sent = frames.size();
  const FramesOutcome outcome = recognize_jpeg_frames(models, std::move(frames), context, landmark_every, hooks);
  const nlohmann::json sign = outcome.result.value("sign", nlohmann::json());
  if (!sign.is_object() || !sign.contains("frames") || sign["frames"].empty()) {
    throw store::InvalidInput(path + ": no sign found in the video (" +
                              outcome.result.value("message", std::string("no sign")) + ")");
  }
  sign::Sequence take;
  for (const auto& f : sign["frames"]) take.push_back(f.get<sign::Frame>());  // 258 values each
  const nlohmann::json signs = outcome.result.value("signs", nlohmann::json::array());
  std::string found;
  for (const auto& a : signs) {
    if (!found.empty()) found += ", ";
    found += a["word"].is_string() ? a["word"].get<std::string>() : a.value("reason", std::string("?"));
  }
  std::fprintf(stderr, "%s: %zu frames at %g fps, %zu with landmarks; %zu sign(s) found (%s), the take: %zu frames\n",
               path.c_str(), sent, kTeachFps, static_cast<size_t>(sign.value("of", 0)), signs.size(),
               found.c_str(), take.size());
  return take;
}

std::vector<sign::Sequence> examples_from(const std::vector<std::string>& files, const VocabOptions& o) {
  std::vector<sign::Sequence> out;
  std::shared_ptr<RecognitionModels> models;
  frames::WorkerContext context;
  for (const auto& f : files) {
    if (ends_with(f, ".npz")) {
      for (auto& s : sign::load_landmark_set(f).sequences) out.push_back(std::move(s));
      continue;
    }
    if (!models) {
      models = RecognitionModels::load(o.models_dir, o.model);
      models->spotter = o.spotter;
    }
    out.push_back(take_of_video(models, f, o.landmark_every, context));
  }
  return out;
}

std::string local_time(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

int list(const store::VocabStore& s, bool json) {
  const auto words = s.list(false);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& w : words) {
      out.push_back({{"word", w.word}, {"gloss", w.gloss}, {"examples", w.example_count},
                     {"taught_at_ms", w.taught_at_ms}, {"session", w.session}, {"landmark_bytes", w.landmark_bytes}});
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%s: %zu taught words, %lld bytes on disk\n", s.path().c_str(), words.size(),
              static_cast<long long>(s.file_bytes()));
  for (const auto& w : words) {
    std::printf("  %-16s %-20s %2d examples  %s  (%s)\n", w.word.c_str(), w.gloss.c_str(), w.example_count,
                local_time(w.taught_at_ms).c_str(), w.session.c_str());
  }
  return 0;
}

}  // namespace

int run_vocab(const std::vector<std::string>& args) {
  VocabOptions o;
  const auto table = vocab_options(o, project_home());
  const auto parsed = parse_options(table, args);
  const std::string usage = "sueo vocab list|add|remove|rename|export|import [options] [FILE...]";
  if (parsed.help_requested || parsed.positional.empty()) {
    std::printf("%s", format_help(usage, table).c_str());
    return parsed.help_requested ? 0 : 2;
  }
  const std::string action = parsed.positional[0];
  const std::vector<std::string> files(parsed.positional.begin() + 1, parsed.positional.end());
  store::VocabStore s(o.store);
  try {
    if (action == "list") return list(s, o.json);
    if (action == "add") {
      if (o.word.empty()) throw ConfigError("add needs --word WORD");
      if (files.empty()) throw ConfigError("add needs the takes: videos (one take each) or landmark .npz files");
      const auto examples = examples_from(files, o);
      s.add_word(o.word, o.gloss, examples, o.session, o.replace);
      std::printf("taught %s (%zu examples) in %s\n", o.word.c_str(), examples.size(), s.path().c_str());
      return 0;
    }
    if (action == "remove") {
      if (o.word.empty()) throw ConfigError("remove needs --word WORD");
      if (!s.remove_word(o.word)) {
        std::fprintf(stderr, "sueo vocab: '%s' is not taught\n", o.word.c_str());
        return 1;
      }
      std::printf("removed %s\n", o.word.c_str());
      return 0;
    }
    if (action == "rename") {
      if (o.word.empty() || o.to.empty()) throw ConfigError("rename needs --word WORD --to NEW");
      if (!s.rename_word(o.word, o.to, o.gloss)) {
        std::fprintf(stderr, "sueo vocab: '%s' is not taught\n", o.word.c_str());
        return 1;
      }
      return 0;
    }
    if (action == "export") {
      if (o.out.empty()) throw ConfigError("export needs --out FILE.npz");
      const size_t n = store::export_words(s, o.out);
      std::printf("wrote %s and %s: %zu words\n", o.out.c_str(), store::sidecar_json(o.out).c_str(), n);
      return 0;
    }
    if (action == "import") {
      if (files.size() != 1) throw ConfigError("import takes one FILE.npz");
      const auto r = store::import_words(s, files[0], o.replace, o.session);
      std::printf("imported %zu words", r.added.size());
      for (const auto& w : r.skipped) std::printf("; skipped %s (already taught: --replace)", w.c_str());
      std::printf("\n");
      return 0;
    }
  } catch (const store::InvalidInput& error) {
    std::fprintf(stderr, "sueo vocab %s: %s\n", action.c_str(), error.what());
    return 1;
  }
  throw ConfigError("unknown action '" + action + "' (list, add, remove, rename, export, import)");
}

}  // namespace sueo::app
