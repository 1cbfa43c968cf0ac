// /metrics: the store of metrics.h (and a few values read at scrape time) in the Prometheus text
// exposition format, written by prometheus-cpp's TextSerializer. Naming follows Prometheus practice:
// the `sueo_` prefix, base units (seconds, bytes), `_total` on counters, labels for reasons and codes,
// never a user or session id as a label. The standard `process_*` metrics come from /proc/self.
//
// Thread: any (it reads atomics and /proc); the server calls it on the main loop.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "metrics.h"

namespace sueo::transport {

// A value known only at scrape time (sessions open, worker queue depth, model info).
struct GaugeValue {
  std::string name;                          // full Prometheus name, e.g. "sueo_sessions"
  std::string help;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The text of /metrics for these counters, histograms and gauges (plus process_* of this process).
std::string prometheus_text(const std::map<std::string, int64_t>& counters,
                            const std::map<std::string, Histogram::Snapshot>& histograms,
                            const std::vector<GaugeValue>& gauges, bool process_metrics = true);

// The Prometheus family name and label for a dotted counter or histogram name of metrics.h
// (exposed for tests): {"sueo_frames_dropped_total", "reason", "incomplete"} for
// "frames.dropped.incomplete".
struct PrometheusName {
  std::string family;
  std::string help;
  std::string label;        // empty: no label
  std::string label_value;
};
PrometheusName counter_name(const std::string& dotted);
PrometheusName histogram_name(const std::string& dotted);

}  // namespace sueo::transport
