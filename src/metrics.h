// Process-wide counters for /healthz and bench output: frames in/dropped by reason, errors by code.
// Thread: any. Counters are created on first use and never removed; increments are lock-free after
// the first lookup of a name.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sueo {

class Metrics {
 public:
  static Metrics& global();

  // The counter named `name` ("frames.dropped.incomplete", "errors.bad_json", ...).
  std::atomic<int64_t>& counter(const std::string& name);
  void add(const std::string& name, int64_t delta = 1) { counter(name).fetch_add(delta, std::memory_order_relaxed); }
  int64_t get(const std::string& name);

  // A copy of every counter, sorted by name.
  std::map<std::string, int64_t> snapshot();

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::atomic<int64_t>>> counters_;
};

}  // namespace sueo
