// CPU worker threads shared by every session. Each task carries a key (a session id); the tasks of one
// key run in submission order and never two at a time (a "strand"), so per-session state (a landmark
// tracker) has one owner at a time without locks — but any free worker may take a key's next task, so
// three sessions keep two cores busy instead of waiting behind a fixed key → thread mapping. Queues are
// bounded per key: submit() refuses a task when its key already has `max_queue_per_key` waiting, and
// the caller counts that as an `overloaded` drop. Each worker owns thread-local resources (a
// JpegDecoder) lent to whichever task it runs.
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
#include <unordered_map>
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

  WorkerPool(int threads, size_t max_queue_per_key);
  ~WorkerPool();  // runs the tasks already queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` behind the other tasks of `key`. `force` ignores the bound (for small control tasks
  // such as "sequence ended" that must not be lost). Returns false when the key's queue is full.
  bool submit(uint64_t key, Task task, bool force = false);

  int size() const { return static_cast<int>(workers_.size()); }
  size_t queued() const;  // tasks waiting (not running), all keys

 private:
  struct Worker;
  struct Strand {
    std::deque<Task> tasks;
    bool running = false;  // a worker is running one of its tasks; the key is not in ready_ meanwhile
  };
  void run(Worker& worker);
  void stop_and_join();

  size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unordered_map<uint64_t, Strand> strands_;  // keys with tasks waiting or running
  std::deque<uint64_t> ready_;                    // keys with tasks waiting and none running, FIFO
  size_t waiting_ = 0;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace sueo::frames
