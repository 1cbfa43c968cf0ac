#include "frames/sequence_stats.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace sueo::frames {

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  if (!(p > 0)) return values.front();  // also NaN
  if (p >= 100) return values.back();
  const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  const double t = rank - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * t;
}

nlohmann::json SequenceStats::to_json(bool detail) const {
  nlohmann::json dropped = nlohmann::json::object();
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    dropped[std::string(to_string(reason))] = drops.get(reason);
  }
  const double decode_max = decode_ms.empty() ? 0 : *std::max_element(decode_ms.begin(), decode_ms.end());
  nlohmann::json j = {
      {"seq", seq},
      {"frames", {{"expected", expected}, {"received", received}, {"decoded", decoded}, {"dropped", dropped}}},
      {"bytes", bytes},
      {"width", width},
      {"height", height},
      {"t_first_chunk", t_first_chunk_ms},
      {"t_receive", t_receive_ms},
      {"decode_ms", {{"median", percentile(decode_ms, 50)}, {"max", decode_max}}},
      {"assembly_ms", {{"p50", percentile(assembly_ms, 50)}, {"p95", percentile(assembly_ms, 95)}}},
  };
  if (detail) {
    j["detail"] = {{"frame_index", frame_index}, {"decode_ms", decode_ms}, {"assembly_ms", assembly_ms},
                   {"complete_ms", complete_ms}};
  }
  return j;
}

}  // namespace sueo::frames
