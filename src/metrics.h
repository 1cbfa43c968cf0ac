// Process-wide counters and histograms: the one store behind /healthz (JSON for people and readiness
// checks) and /metrics (the Prometheus text format, transport/metrics_endpoint.h). Frames in/dropped
// by reason, errors by code, sessions, per-stage times.
//
// Why one store and not prometheus-cpp's Registry as well: the two pages then cannot disagree, the hot
// path stays one atomic add (no label lookup under a lock), and this library keeps no exposition
// dependency (it links no GLib and no HTTP code). prometheus-cpp turns a snapshot of this store into
// its metric families and writes the text format.
//
// Names are dotted ("frames.dropped.incomplete", "errors.bad_json", "stage_seconds.decode"); the
// exporter maps them to Prometheus names and labels (sueo_frames_dropped_total{reason="incomplete"}).
//
// Thread: any. Counters and histograms are created on first use and never removed; updates are
// lock-free after the first lookup of a name.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace sueo {

// Upper bounds (seconds) for latencies from 0.5 ms to 10 s.
inline constexpr double kLatencyBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,   5,     10};

class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;        // upper bounds, ascending (+Inf implied after the last)
    std::vector<uint64_t> cumulative;  // observations ≤ each bound, then the total (size bounds + 1)
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative), bounds + 1
  std::atomic<double> sum_{0};
};

class Metrics {
 public:
  static Metrics& global();

  // The counter named `name` ("frames.dropped.incomplete", "errors.bad_json", ...).
  std::atomic<int64_t>& counter(const std::string& name);
  void add(const std::string& name, int64_t delta = 1) { counter(name).fetch_add(delta, std::memory_order_relaxed); }
  int64_t get(const std::string& name);

  // The histogram named `name`; `bounds` are used when it is first created.
  Histogram& histogram(const std::string& name, std::span<const double> bounds = kLatencyBuckets);
  void observe(const std::string& name, double value) { histogram(name).observe(value); }

  // A copy of every counter, sorted by name.
  std::map<std::string, int64_t> snapshot();
  std::map<std::string, Histogram::Snapshot> histograms();

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::atomic<int64_t>>> counters_;
  std::map<std::string, std::unique_ptr<Histogram>> histograms_;
};

}  // namespace sueo
