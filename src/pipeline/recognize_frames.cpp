#include "pipeline/recognize_frames.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "pipeline/stream.h"

namespace sueo {
namespace {

namespace fs = std::filesystem;

// The sequence id of the one sequence a run has (any value: a session's first sequence).
constexpr uint32_t kSeq = 1;

double wall_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double ms_since(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
}

// Passes every call to the Recognizer unchanged and adds up the time of its on_frame (the landmarks),
// which the result gives only as median and p90.
class TimedConsumer : public FrameConsumer {
 public:
  TimedConsumer(std::unique_ptr<FrameConsumer> inner, double& total_ms) : inner_(std::move(inner)), total_ms_(total_ms) {}

  void on_sequence_start(const SequenceStart& start) override { inner_->on_sequence_start(start); }
  void on_frame(const DecodedFrame& frame, frames::WorkerContext& context) override {
    const auto begin = std::chrono::steady_clock::now();
    inner_->on_frame(frame, context);
    total_ms_ += ms_since(begin);
  }
  nlohmann::json on_sequence_end(const frames::SequenceStats& stats, const SequenceEnd& end,
                                 frames::WorkerContext& context) override {
    return inner_->on_sequence_end(stats, end, context);
  }

 private:
  std::unique_ptr<FrameConsumer> inner_;
  double& total_ms_;
};

bool is_jpeg_name(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg";
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot be read");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path.string() + ": read error");
  return bytes;
}

// The number at a path of keys, as it is (integers stay integers); 0 where the path is missing.
nlohmann::json number_at(const nlohmann::json& j, std::initializer_list<const char*> keys) {
  const nlohmann::json* at = &j;
  for (const char* key : keys) {
    if (!at->is_object() || !at->contains(key)) return 0;
    at = &(*at)[key];
  }
  return at->is_number() ? *at : nlohmann::json(0);
}

}  // namespace

FramesOutcome recognize_jpeg_frames(std::shared_ptr<const RecognitionModels> models, std::vector<JpegFrame> frames,
                                    frames::WorkerContext& context, int landmark_every,
                                    std::shared_ptr<const TeachingHooks> teaching) {
  if (frames.empty()) throw std::invalid_argument("no frames to recognise");
  FramesOutcome out;
  out.sent = static_cast<uint32_t>(frames.size());
  // A session's stream with the server's consumer: FrameStream decodes, the Recognizer does the rest.
  FrameStream stream(std::make_unique<TimedConsumer>(std::make_unique<Recognizer>(std::move(models), RecognizerSinks{}, landmark_every, std::move(teaching)),
                                                     out.landmarks_total_ms));
  const auto begin = std::chrono::steady_clock::now();
  stream.start({kSeq, out.sent, SequenceMode::kWindow});
  std::string error;
  for (uint32_t i = 0; i < out.sent; ++i) {
    // The frame as the assembler would hand it over: complete the moment it arrives.
    const double now = wall_ms();
    frames::AssembledFrame frame{kSeq, i, frames[i].capture_ms, now, now, std::move(frames[i].jpeg)};
    stream.add_frame(std::move(frame), context, error);  // a frame that does not decode is counted there
  }
  FrameStream::Outcome finished = stream.finish({kSeq, true}, out.sent, frames::DropCounts{}, 0, wall_ms(), false, context);
  out.total_ms = ms_since(begin);
  out.receipt = std::move(finished.receipt);
  out.result = std::move(finished.result);
  return out;
}

nlohmann::json recognition_json(const FramesOutcome& outcome) {
  const nlohmann::json& r = outcome.result;
  nlohmann::json line = nlohmann::json::object();
  if (r.is_object() && r.contains("word") && r["word"].is_string()) {
    line["word"] = r["word"];
    line["gloss"] = r.value("gloss", "");
    line["score"] = r["score"];
    line["top"] = r.value("top", nlohmann::json::array());
    if (r.value("taught", false)) line["taught"] = true;
  } else {
    line["word"] = nullptr;
    line["gloss"] = nullptr;
    line["score"] = nullptr;
    line["top"] = nlohmann::json::array();
    line["reason"] = r.is_object() ? r.value("reason", "no_result") : "no_result";
    line["message"] = r.is_object() ? r.value("message", "") : "";
  }
  nlohmann::json words = nlohmann::json::array();
  for (const auto& w : r.is_object() ? r.value("words", nlohmann::json::array()) : nlohmann::json::array()) {
    words.push_back(w.value("word", ""));
  }
  line["words"] = words;
  const nlohmann::json& receipt = outcome.receipt;
  line["frames"] = {{"sent", outcome.sent},
                    {"decoded", number_at(receipt, {"frames", "decoded"})},
                    {"used", number_at(r, {"frames", "used"})},
                    {"with_pose", number_at(r, {"frames", "with_pose"})},
                    {"with_hands", number_at(r, {"frames", "with_hands"})},
                    {"dropped", number_at(r, {"frames", "dropped"})}};
  line["width"] = number_at(receipt, {"width"});
  line["height"] = number_at(receipt, {"height"});
  line["model"] = r.is_object() ? r.value("model", "") : "";
  line["ms"] = {{"jpeg_decode_median", number_at(r, {"stages_ms", "decode", "median"})},
                {"landmarks_median", number_at(r, {"stages_ms", "landmarks", "median"})},
                {"landmarks_p90", number_at(r, {"stages_ms", "landmarks", "p90"})},
                {"landmarks_total", outcome.landmarks_total_ms},
                {"classifier", number_at(r, {"stages_ms", "classifier"})},
                {"pipeline_total", outcome.total_ms}};
  return line;
}

bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = std::isdigit(static_cast<unsigned char>(a[i])), db = std::isdigit(static_cast<unsigned char>(b[j]));
    if (da && db) {
      size_t ei = i, ej = j;
      while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei]))) ++ei;
      while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej]))) ++ej;
      // Compare the numbers without leading zeros: first by length, then digit by digit.
      size_t si = i, sj = j;
      while (si + 1 < ei && a[si] == '0') ++si;
      while (sj + 1 < ej && b[sj] == '0') ++sj;
      if (ei - si != ej - sj) return ei - si < ej - sj;
      const int c = a.compare(si, ei - si, b, sj, ej - sj);
      if (c != 0) return c < 0;
      if (ei - i != ej - j) return ei - i < ej - j;  // "01" after "1": fewer leading zeros first
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

std::vector<JpegFrame> read_jpeg_folder(const std::string& folder, double fps) {
  if (!(fps > 0)) throw std::invalid_argument("fps must be positive");
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw std::runtime_error(folder + ": not a folder");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file(ec) && is_jpeg_name(entry.path())) names.push_back(entry.path().filename().string());
  }
  if (ec) throw std::runtime_error(folder + ": " + ec.message());
  if (names.empty()) throw std::runtime_error(folder + ": no .jpg or .jpeg files");
  std::sort(names.begin(), names.end(), natural_less);
  std::vector<JpegFrame> frames;
  frames.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    frames.push_back({read_bytes(fs::path(folder) / names[i]), static_cast<double>(i) * 1000.0 / fps});
  }
  return frames;
}

}  // namespace sueo
