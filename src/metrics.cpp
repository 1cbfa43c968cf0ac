#include "metrics.h"

#include <algorithm>

namespace sueo {

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  const auto bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  out.bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out.cumulative.push_back(running);
  }
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

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

Histogram& Metrics::histogram(const std::string& name, std::span<const double> bounds) {
  std::lock_guard lock(mutex_);
  auto& slot = histograms_[name];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

std::map<std::string, int64_t> Metrics::snapshot() {
  std::lock_guard lock(mutex_);
  std::map<std::string, int64_t> copy;
  for (const auto& [name, value] : counters_) copy[name] = value->load(std::memory_order_relaxed);
  return copy;
}

std::map<std::string, Histogram::Snapshot> Metrics::histograms() {
  std::lock_guard lock(mutex_);
  std::map<std::string, Histogram::Snapshot> copy;
  for (const auto& [name, histogram] : histograms_) copy[name] = histogram->snapshot();
  return copy;
}

}  // namespace sueo
