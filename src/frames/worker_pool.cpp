#include "frames/worker_pool.h"

#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

#include "metrics.h"

namespace sueo::frames {

struct WorkerPool::Worker {
  WorkerContext context;  // touched only by `thread`
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Task> queue;
  bool stopping = false;
  std::thread thread;
};

WorkerPool::WorkerPool(int threads, size_t max_queue_per_worker) : max_queue_(max_queue_per_worker) {
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
  for (auto& worker : workers_) {
    std::lock_guard lock(worker->mutex);
    worker->stopping = true;
    worker->wake.notify_one();
  }
  for (auto& worker : workers_)
    if (worker->thread.joinable()) worker->thread.join();
}

bool WorkerPool::submit(uint64_t key, Task task, bool force) {
  Worker& worker = *workers_[key % workers_.size()];
  {
    std::lock_guard lock(worker.mutex);
    if (!force && worker.queue.size() >= max_queue_) return false;
    worker.queue.push_back(std::move(task));
  }
  worker.wake.notify_one();
  return true;
}

size_t WorkerPool::queued() const {
  size_t total = 0;
  for (const auto& worker : workers_) {
    std::lock_guard lock(worker->mutex);
    total += worker->queue.size();
  }
  return total;
}

void WorkerPool::run(Worker& worker) {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(worker.mutex);
      worker.wake.wait(lock, [&] { return worker.stopping || !worker.queue.empty(); });
      if (worker.queue.empty()) return;  // stopping, and every queued task has run
      task = std::move(worker.queue.front());
      worker.queue.pop_front();
    }
    // A task's exception must not end the thread: later tasks of every session on it would never run.
    try {
      task(worker.context);
    } catch (const std::exception& e) {
      std::cerr << "sueo: worker " << worker.context.index << ": task failed: " << e.what() << '\n';
      Metrics::global().add("errors.worker_task");
    } catch (...) {
      std::cerr << "sueo: worker " << worker.context.index << ": task failed with a non-standard exception\n";
      Metrics::global().add("errors.worker_task");
    }
  }
}

}  // namespace sueo::frames
