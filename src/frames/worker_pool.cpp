#include "frames/worker_pool.h"

#include <algorithm>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

#include "metrics.h"

namespace sueo::frames {

struct WorkerPool::Worker {
  WorkerContext context;  // touched only by `thread`
  std::thread thread;
};

namespace {

// A task's exception must not end the thread: later tasks of every session would never run.
void run_guarded(WorkerPool::Task& task, WorkerContext& context) {
  try {
    task(context);
  } catch (const std::exception& e) {
    std::cerr << "sueo: worker " << context.index << ": task failed: " << e.what() << '\n';
    Metrics::global().add("errors.worker_task");
  } catch (...) {
    std::cerr << "sueo: worker " << context.index << ": task failed with a non-standard exception\n";
    Metrics::global().add("errors.worker_task");
  }
}

}  // namespace

WorkerPool::WorkerPool(int threads, size_t max_queue_per_key) : max_queue_(max_queue_per_key) {
  if (threads < 1) throw std::invalid_argument("WorkerPool: threads must be at least 1");
  for (int i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    workers_.back()->context.index = i;
  }
  try {
    for (auto& worker : workers_) worker->thread = std::thread([this, w = worker.get()] { run(*w); });
  } catch (...) {  // could not start every thread: stop those that did, since no destructor will run
    stop_and_join();
    throw;
  }
}

WorkerPool::~WorkerPool() { stop_and_join(); }

void WorkerPool::stop_and_join() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_)
    if (worker->thread.joinable()) worker->thread.join();
}

bool WorkerPool::submit(uint64_t key, Task task, bool force) {
  {
    std::lock_guard lock(mutex_);
    if (!add(key, {std::move(task), false}, force)) return false;
  }
  wake_.notify_one();
  return true;
}

bool WorkerPool::submit_urgent(uint64_t key, Task task, size_t max_backlog) {
  bool urgent = false;
  {
    std::lock_guard lock(mutex_);
    const auto found = strands_.find(key);
    urgent = found == strands_.end() || found->second.tasks.size() <= max_backlog;
    add(key, {std::move(task), urgent}, true);
  }
  wake_.notify_one();
  return urgent;
}

// Under mutex_.
bool WorkerPool::add(uint64_t key, Queued queued, bool force) {
  Strand& strand = strands_[key];
  if (!force && strand.tasks.size() >= max_queue_) return false;
  const bool was_ready = !strand.running && !strand.tasks.empty();
  const bool became_urgent = queued.urgent && strand.urgent == 0;
  strand.urgent += queued.urgent ? 1 : 0;
  strand.tasks.push_back(std::move(queued));
  ++waiting_;
  if (was_ready && became_urgent) {
    ready_.erase(std::find(ready_.begin(), ready_.end(), key));
    ready_urgent_.push_back(key);
  } else if (!was_ready && !strand.running) {
    make_ready(key, strand);
  }
  return true;
}

// Under mutex_: `key` has tasks waiting and none running.
void WorkerPool::make_ready(uint64_t key, const Strand& strand) {
  (strand.urgent > 0 ? ready_urgent_ : ready_).push_back(key);
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

void WorkerPool::run(Worker& worker) {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !ready_urgent_.empty() || !ready_.empty(); });
    // Stopping with nothing ready: keys still running are finished, with the rest of their tasks, by
    // the workers running them.
    std::deque<uint64_t>& from = !ready_urgent_.empty() ? ready_urgent_ : ready_;
    if (from.empty()) return;
    const uint64_t key = from.front();
    from.pop_front();
    Strand& strand = strands_[key];
    Task task = std::move(strand.tasks.front().task);
    strand.urgent -= strand.tasks.front().urgent ? 1 : 0;
    strand.tasks.pop_front();
    --waiting_;
    strand.running = true;
    lock.unlock();
    run_guarded(task, worker.context);
    task = nullptr;  // release what the task captured before taking the lock again
    lock.lock();
    Strand& after = strands_[key];  // the map may have rehashed meanwhile
    after.running = false;
    if (after.tasks.empty()) {
      strands_.erase(key);
    } else if (after.urgent > 0) {
      ready_urgent_.push_front(key);  // finish the key waited on longest before starting another's
      wake_.notify_one();
    } else {
      ready_.push_back(key);
      wake_.notify_one();
    }
  }
}

}  // namespace sueo::frames
