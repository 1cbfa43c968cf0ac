#include "frames/worker_pool.h"

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
    Strand& strand = strands_[key];
    if (!force && strand.tasks.size() >= max_queue_) return false;
    strand.tasks.push_back(std::move(task));
    ++waiting_;
    // A key is in ready_ exactly when it has waiting tasks and none running.
    if (!strand.running && strand.tasks.size() == 1) ready_.push_back(key);
  }
  wake_.notify_one();
  return true;
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

void WorkerPool::run(Worker& worker) {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
    // Stopping with nothing ready: keys still running are finished, with the rest of their tasks, by
    // the workers running them.
    if (ready_.empty()) return;
    const uint64_t key = ready_.front();
    ready_.pop_front();
    Strand& strand = strands_[key];
    Task task = std::move(strand.tasks.front());
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
    } else {
      ready_.push_back(key);
      wake_.notify_one();
    }
  }
}

}  // namespace sueo::frames
