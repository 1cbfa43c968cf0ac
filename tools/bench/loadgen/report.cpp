#include "report.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace sueo::loadgen {
namespace {

nlohmann::json rounded(double v, int digits = 2) {
  if (!std::isfinite(v)) return nullptr;
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

double get(const nlohmann::json& object, std::initializer_list<const char*> path) {
  const nlohmann::json* at = &object;
  for (const char* key : path) {
    if (!at->is_object()) return NAN;
    auto it = at->find(key);
    if (it == at->end()) return NAN;
    at = &*it;
  }
  return at->is_number() ? at->get<double>() : NAN;
}

std::string text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_number_float()) {
    std::ostringstream out;
    out << v.get<double>();
    return out.str();
  }
  return v.is_string() ? v.get<std::string>() : v.dump();
}

struct Samples {
  std::vector<double> server_ms, overhead_ms, complete_ms;
  std::vector<double> decode, landmarks, queue_wait, classifier, after_last;
};

// Latencies of one counted sequence into `s`.
void collect(const SequenceRecord& r, double offset, Samples& s) {
  s.server_ms.push_back(get(r.result, {"t_inference"}) - get(r.result, {"t_receive"}));
  if (r.t_result > 0) s.overhead_ms.push_back(r.t_result - r.t_last_sent);
  else if (r.t_receipt > 0 && r.result.is_null()) s.overhead_ms.push_back(r.t_receipt - r.t_last_sent);
  s.decode.push_back(get(r.result, {"stages_ms", "decode", "median"}));
  s.landmarks.push_back(get(r.result, {"stages_ms", "landmarks", "median"}));
  s.queue_wait.push_back(get(r.result, {"stages_ms", "queue_wait", "median"}));
  s.classifier.push_back(get(r.result, {"stages_ms", "classifier"}));
  s.after_last.push_back(get(r.result, {"stages_ms", "after_last_frame"}));
  const auto detail = r.receipt.is_object() ? r.receipt.value("detail", nlohmann::json()) : nlohmann::json();
  if (!detail.is_object()) return;
  const auto index = detail.value("frame_index", nlohmann::json::array());
  const auto complete = detail.value("complete_ms", nlohmann::json::array());
  for (size_t i = 0; i < std::min(index.size(), complete.size()); ++i) {
    const auto frame = index[i].get<size_t>();
    if (frame < r.last_chunk_ms.size() && r.last_chunk_ms[frame] > 0) {
      s.complete_ms.push_back(complete[i].get<double>() - offset - r.last_chunk_ms[frame]);
    }
  }
}

}  // namespace

double percentile(std::vector<double> values, double p) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }), values.end());
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (rank - static_cast<double>(lo));
}

nlohmann::json summarize(const RunOutcome& run, const RunSettings& settings, bool check_words) {
  Samples s;
  std::vector<double> open_ms;
  nlohmann::json errors = nlohmann::json::object(), problems = nlohmann::json::array(), failures = nlohmann::json::array();
  int sequences = 0, counted = 0, sent = 0, received = 0, dropped = 0, skipped = 0, words_checked = 0, words_right = 0;
  int shed = 0;  // frames the server did not landmark because it was behind (--shed-after-ms)
  int with_problems = 0;
  bool has_model = false;
  for (const auto& stream : run.streams) {
    if (!stream->failure().empty()) failures.push_back("stream " + std::to_string(stream->index()) + ": " + stream->failure());
    if (stream->offer_to_open_ms() > 0) open_ms.push_back(stream->offer_to_open_ms());
    has_model = has_model || stream->welcome().value("model", nlohmann::json()).is_object();
    for (const auto& [code, n] : stream->errors()) errors[code] = errors.value(code, 0) + n;
    for (const auto& r : stream->sequences()) {
      ++sequences;
      sent += r.sent;
      skipped += r.skipped;
      received += static_cast<int>(get(r.receipt, {"frames", "received"}) >= 0 ? get(r.receipt, {"frames", "received"}) : 0);
      const double lost = r.sent - (r.receipt.is_object() ? get(r.receipt, {"frames", "decoded"}) : 0);
      dropped += std::isfinite(lost) ? static_cast<int>(lost) : r.sent;
      if (const double n = get(r.result, {"frames", "shed"}); std::isfinite(n)) shed += static_cast<int>(n);
      if (!r.result.is_null() && !stream->sequences().empty()) {
        ++words_checked;
        words_right += r.correct_word ? 1 : 0;
      }
      if (!r.problems.empty()) {
        ++with_problems;
        if (problems.size() < 10) problems.push_back("stream " + std::to_string(stream->index()) + " seq " +
                                                     std::to_string(r.seq) + ": " + r.problems.front());
      }
      const bool in_window = settings.sequences > 0 ||
                             (r.t_start >= run.window_start_ms - 1 && std::max(r.t_result, r.t_receipt) <= run.window_end_ms);
      if (in_window && r.problems.empty()) {
        ++counted;
        collect(r, stream->clock_offset_ms(), s);
      }
    }
  }
  const double window_s = (run.window_end_ms - run.window_start_ms) / 1000.0;
  const int n = run.opened;
  const double self_cpu = run.self_end.cpu_s - run.self_start.cpu_s;
  const double server_cpu = run.server_end.cpu_s - run.server_start.cpu_s;
  const bool server = settings.server_pid > 0 && run.server_end.wall_ms > 0;
  const bool words_ok = !check_words || !has_model || words_right == words_checked;
  const bool ok = n == settings.streams && failures.empty() && with_problems == 0 && errors.empty() && words_ok &&
                  sequences > 0;
  auto per_stream = [&](double cpu) { return window_s > 0 && n > 0 ? rounded(cpu / window_s / n, 4) : nlohmann::json(); };
  return {
      {"bench", "loadgen"},
      {"ok", ok},
      {"streams", n},
      {"streams_planned", settings.streams},
      {"model", has_model},
      {"window_s", rounded(window_s, 1)},
      {"sequences", sequences},
      {"sequences_counted", counted},
      {"sequences_with_problems", with_problems},
      {"frames_sent", sent},
      {"frames_received", received},
      {"frames_dropped", dropped},
      {"page_skipped_frames", skipped},
      {"server_shed_frames", shed},
      {"words_checked", words_checked},
      {"words_right", words_right},
      {"server_ms_p50", rounded(percentile(s.server_ms, 50))},
      {"server_ms_p95", rounded(percentile(s.server_ms, 95))},
      {"overhead_ms_p50", rounded(percentile(s.overhead_ms, 50))},
      {"overhead_ms_p95", rounded(percentile(s.overhead_ms, 95))},
      {"frame_complete_ms_p50", rounded(percentile(s.complete_ms, 50))},
      {"frame_complete_ms_p95", rounded(percentile(s.complete_ms, 95))},
      {"offer_to_open_ms_p50", rounded(percentile(open_ms, 50), 1)},
      {"offer_to_open_ms_p95", rounded(percentile(open_ms, 95), 1)},
      {"offer_to_open_ms_max", rounded(percentile(open_ms, 100), 1)},
      {"stages_ms",
       {{"decode", rounded(percentile(s.decode, 50))},
        {"landmarks", rounded(percentile(s.landmarks, 50))},
        {"queue_wait", rounded(percentile(s.queue_wait, 50))},
        {"classifier", rounded(percentile(s.classifier, 50))},
        {"after_last_frame", rounded(percentile(s.after_last, 50))}}},
      {"loadgen_cpu_pct", window_s > 0 ? rounded(100 * self_cpu / window_s, 1) : nlohmann::json()},
      {"loadgen_cpu_per_stream", per_stream(self_cpu)},
      {"server_cpu_pct", server && window_s > 0 ? rounded(100 * server_cpu / window_s, 1) : nlohmann::json()},
      {"server_cpu_per_stream", server ? per_stream(server_cpu) : nlohmann::json()},
      {"server_rss_mb",
       server ? nlohmann::json{{"before", rounded(run.server_before.rss_mb, 1)},
                               {"idle", rounded(run.server_idle.rss_mb, 1)},
                               {"streaming", rounded(run.server_end.rss_mb, 1)},
                               {"after", rounded(run.server_after.rss_mb, 1)}}
              : nlohmann::json()},
      {"loadgen_rss_mb", rounded(run.self_end.rss_mb, 1)},
      {"errors", errors},
      {"failures", failures},
      {"problems", problems},
  };
}

std::string format_table(const nlohmann::json& j) {
  std::ostringstream out;
  auto row = [&out](const std::string& label, const std::string& value) {
    out << label << std::string(label.size() < 52 ? 52 - label.size() : 1, ' ') << value << "\n";
  };
  auto pair = [](const nlohmann::json& a, const nlohmann::json& b) { return text(a) + " / " + text(b); };
  row("streams open / planned", pair(j["streams"], j["streams_planned"]));
  row("offer → open ms p50 / p95 / max", pair(j["offer_to_open_ms_p50"], j["offer_to_open_ms_p95"]) + " / " +
                                                  text(j["offer_to_open_ms_max"]));
  row("steady window s", text(j["window_s"]));
  row("sequences: all / in window / with problems",
      pair(j["sequences"], j["sequences_counted"]) + " / " + text(j["sequences_with_problems"]));
  row("frames sent / received / dropped / page-skipped", pair(j["frames_sent"], j["frames_received"]) + " / " +
                                                              pair(j["frames_dropped"], j["page_skipped_frames"]));
  if (j["model"].get<bool>()) {
    row("words right", pair(j["words_right"], j["words_checked"]));
    row("server ms p50 / p95 (T_inference − T_receive)", pair(j["server_ms_p50"], j["server_ms_p95"]));
  }
  row("overhead ms p50 / p95 (answer − last frame sent)", pair(j["overhead_ms_p50"], j["overhead_ms_p95"]));
  row("frame complete ms p50 / p95 (last chunk → complete)", pair(j["frame_complete_ms_p50"], j["frame_complete_ms_p95"]));
  if (j["model"].get<bool>()) {
    const auto& st = j["stages_ms"];
    row("stage medians ms: decode / landmarks / queue wait", pair(st["decode"], st["landmarks"]) + " / " + text(st["queue_wait"]));
    row("  classifier / after last frame", pair(st["classifier"], st["after_last_frame"]));
  }
  row("load generator CPU % of a core / per stream", pair(j["loadgen_cpu_pct"], j["loadgen_cpu_per_stream"]));
  row("server CPU % of a core / per stream", pair(j["server_cpu_pct"], j["server_cpu_per_stream"]));
  if (j["server_rss_mb"].is_object()) {
    const auto& m = j["server_rss_mb"];
    row("server RSS MB before / idle / streaming / after", pair(m["before"], m["idle"]) + " / " + pair(m["streaming"], m["after"]));
  }
  if (!j["errors"].empty()) row("server errors", j["errors"].dump());
  for (const auto& f : j["failures"]) row("failure", f.get<std::string>());
  for (const auto& p : j["problems"]) row("problem", p.get<std::string>());
  row("all checks passed", j["ok"].get<bool>() ? "yes" : "NO");
  return out.str();
}

}  // namespace sueo::loadgen
