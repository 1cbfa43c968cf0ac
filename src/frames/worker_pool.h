// CPU worker threads. Each task carries a key (a session id); tasks with the same key always run on the
// same worker, in submission order, so per-session state (a landmark tracker) has one owner at a time
// without locks. Queues are bounded: submit() refuses a task when its worker's queue is full, and the
// caller counts that as an `overloaded` drop. Each worker owns thread-local resources (a JpegDecoder)
// passed to every task it runs.
// Thread: submit() from any thread; tasks run on the pool's threads; the destructor joins (from the
// thread that created the pool).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "frames/jpeg.h"

namespace sueo::frames {

// What a worker thread owns and lends to the tasks it runs.
struct WorkerContext {
  int index = 0;
  JpegDecoder jpeg;
};

class WorkerPool {
 public:
  using Task = std::function<void(WorkerContext&)>;

  WorkerPool(int threads, size_t max_queue_per_worker);
  ~WorkerPool();  // runs the tasks already queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` on the worker that owns `key`. `force` ignores the bound (for small control tasks
  // such as "sequence ended" that must not be lost). Returns false when the queue is full.
  bool submit(uint64_t key, Task task, bool force = false);

  int size() const { return static_cast<int>(workers_.size()); }
  size_t queued() const;  // tasks waiting, all workers

 private:
  struct Worker;
  void run(Worker& worker);
  void stop_and_join();

  size_t max_queue_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace sueo::frames
