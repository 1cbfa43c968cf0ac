// `sueo streams`: the spotting evaluation's two steps (tools/eval/streams.py drives them).
//   sueo streams render SPEC.json --out S.npz   realistic streams from real clips, through the page's
//                                                JPEG path and the server's landmarks (slow, cached)
//   sueo streams read S.npz [options]           the server's SignReader over those landmarks: one JSON
//                                                line per stream with every sign found and its answer
#include <cstdio>
#include <fstream>

#include "app/commands.h"
#include "app/landmark_options.h"
#include "app/sign_options.h"
#include "app/stream_render.h"
#include "config.h"
#include "pipeline/recognizer.h"

namespace sueo::app {
namespace {

int render(const std::vector<std::string>& args, const std::string& home) {
  std::string out, models_dir;
  int jobs = 1;
  landmarks::HolisticOptions landmark_options;
  std::vector<Option> table = {
      {"--out", "", "", "the .npz to write (and OUT.json with the truth)", set_string(out)},
      {"--models-dir", "SUEO_MODELS_DIR", home + "/models", "folder of the MediaPipe landmark models", set_string(models_dir)},
      {"--jobs", "", "1", "streams rendered at once, one thread each", set_int(jobs, 1, 64, "--jobs")},
  };
  for (auto& row : landmark_option_rows(landmark_options)) table.push_back(std::move(row));
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested || parsed.positional.size() != 1 || out.empty()) {
    std::printf("%s", format_help("usage: sueo streams render SPEC.json --out STREAMS.npz [options]", table).c_str());
    return parsed.help_requested ? 0 : 2;
  }
  std::ifstream spec_file(parsed.positional[0]);
  if (!spec_file) throw ConfigError(parsed.positional[0] + ": cannot read");
  const auto spec = nlohmann::json::parse(spec_file);
  const auto streams = render_streams(spec, landmarks::HolisticModels::load(models_dir, landmark_options), jobs);
  write_streams(out, streams);
  std::printf("%zu streams written to %s\n", streams.size(), out.c_str());
  return 0;
}

// `every` N > 1: only every N-th frame (frame i with i % N == 0), as `sueo serve --landmark-every N`;
// then only the frames the spotter wants (--rest-fps), as the server. The landmarks were found on every
// frame, so the tracker's state differs a little from the server's, which sees the wanted frames only.
nlohmann::json read_one(const RenderedStream& stream, const RecognitionModels& models, bool trace, int every) {
  SignReader reader(models.classifier, models.spotter, models.decision);
  nlohmann::json answers = nlohmann::json::array();
  nlohmann::json speeds = nlohmann::json::array(), signing = nlohmann::json::array();
  auto keep = [&](const SignAnswer& a) {
    if (a.continuation) return;  // as the server: not reported
    nlohmann::json j = a.to_json();
    j["first"] = a.first.index;
    j["last"] = a.last.index;
    j["decided_ms"] = a.segment.decided_ms;
    j["cut"] = a.segment.cut;
    j["travel"] = a.segment.travel;
    j["classifier_ms"] = a.classifier_ms;
    answers.push_back(j);
  };
  sign::Frame frame;
  nlohmann::json landmarked = nlohmann::json::array();  // frame indices (the evaluation's CPU estimate)
  for (size_t i = 0; i < stream.t_ms.size(); i += static_cast<size_t>(every)) {
    if (!reader.spotter().wants(stream.t_ms[i])) continue;  // --rest-fps: as the server, never landmarked
    landmarked.push_back(i);
    std::copy_n(stream.values.begin() + static_cast<long>(i * sign::kFrameValues), sign::kFrameValues, frame.begin());
    if (auto a = reader.add(frame, {0, static_cast<uint32_t>(i)}, stream.t_ms[i], stream.aspect)) keep(*a);
    if (trace) {
      speeds.push_back(std::round(reader.spotter().last().speed * 100) / 100);
      signing.push_back(reader.spotter().signing() ? 1 : 0);
    }
  }
  if (auto a = reader.finish()) keep(*a);
  nlohmann::json line = {{"name", stream.name},
                         {"frames", stream.t_ms.size()},
                         {"landmarked", landmarked},
                         {"person_frames", reader.frames_with_person()},
                         {"answers", answers}};
  if (trace) line["trace"] = {{"speed", speeds}, {"signing", signing}};
  return line;
}

int read(const std::vector<std::string>& args, const std::string& home) {
  std::string model;
  bool trace = false;
  int every = 1;
  SpotterSettings spotter;
  DecisionSettings decision;
  std::vector<Option> table = {
      {"--model", "SUEO_MODEL", home + "/models/sueo-ksl.onnx", "sign classifier (ONNX)", set_string(model)},
      {"--trace", "", "", "add each frame's hand speed and signing state", set_bool(trace, "--trace"), true},
      {"--landmark-every", "", "1", "read every N-th frame only, as sueo serve --landmark-every N", set_int(every, 1, 10, "--landmark-every")},
  };
  table = with_options(with_options(table, spotter_options(spotter)), decision_options(decision));
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested || parsed.positional.empty()) {
    std::printf("%s", format_help("usage: sueo streams read STREAMS.npz... [options]", table).c_str());
    return parsed.help_requested ? 0 : 2;
  }
  RecognitionModels models;
  models.classifier = sign::ClassifierModel::load(model);
  models.spotter = spotter;
  models.decision = decision;
  for (const auto& path : parsed.positional) {
    for (const auto& stream : read_streams(path).streams) {
      std::printf("%s\n", read_one(stream, models, trace, every).dump().c_str());
    }
  }
  return 0;
}

}  // namespace

int run_streams(const std::vector<std::string>& args) {
  const std::string home = project_home();
  if (!args.empty() && args[0] == "render") return render({args.begin() + 1, args.end()}, home);
  if (!args.empty() && args[0] == "read") return read({args.begin() + 1, args.end()}, home);
  std::printf("usage: sueo streams render SPEC.json --out STREAMS.npz | sueo streams read STREAMS.npz [options]\n");
  return 2;
}

}  // namespace sueo::app
