// What a load run measured, as one JSON object (the last line the load generator prints) and as a
// table for people. Thread: any (pure functions of a finished run).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "load_run.h"

namespace sueo::loadgen {

// Linear interpolation between closest ranks, as the server's receipt and tools/bench/common.mjs do.
// NaN for no values.
double percentile(std::vector<double> values, double p);

// The summary: streams, sequences, frames, words, latencies (server, overhead, frame complete,
// offer → open), stage medians, CPU (ours and the server's, per stream as a fraction of a core),
// server RSS, errors, problems, and "ok" (every check passed).
nlohmann::json summarize(const RunOutcome& run, const RunSettings& settings, bool check_words);

// The table, one figure per line.
std::string format_table(const nlohmann::json& summary);

}  // namespace sueo::loadgen
