#include "metrics.h"

namespace sueo {

Metrics& Metrics::global() {
  static Metrics metrics;
  return metrics;
}

std::atomic<int64_t>& Metrics::counter(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = counters_[name];
  if (!slot) slot = std::make_unique<std::atomic<int64_t>>(0);
  return *slot;
}

int64_t Metrics::get(const std::string& name) { return counter(name).load(std::memory_order_relaxed); }

std::map<std::string, int64_t> Metrics::snapshot() {
  std::lock_guard lock(mutex_);
  std::map<std::string, int64_t> copy;
  for (const auto& [name, value] : counters_) copy[name] = value->load(std::memory_order_relaxed);
  return copy;
}

}  // namespace sueo
