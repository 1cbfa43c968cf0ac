// CPU worker threads shared by every session. Each task carries a key (a session id); the tasks of one
// key run in submission order and never two at a time (a "strand"), so per-session state (a landmark
// tracker) has one owner at a time without locks — but any free worker may take a key's next task, so
// three sessions keep two cores busy instead of waiting behind a fixed key → thread mapping. Queues are
// bounded per key: submit() refuses a task when its key already has `max_queue_per_key` waiting, and
// the caller counts that as an `overloaded` drop. A key with an urgent task queued (submit_urgent: a
// sequence has ended and its person waits for the word) goes before the keys without one, its earlier
// tasks too, until that task has run: the other keys' frames have the rest of their sequence to catch
// up, the finished one has nothing left to wait for. Each worker owns thread-local resources (a
// JpegDecoder, the pipeline's landmark runtimes) lent to whichever task it runs.
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
#include <typeindex>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "frames/jpeg.h"

namespace sueo::frames {

// Objects of the layers above frames that a worker keeps from one task to the next, at most one per
// type (the pipeline's landmark runtimes: pipeline/landmark_runtimes.h). Type-erased so the frames
// library depends on none of them. Thread: only the worker's own thread (it is part of its
// WorkerContext), so nothing held here is ever used by two threads at once.
class WorkerLocals {
 public:
  // The T put here, or null.
  template <class T>
  T* find() const {
    for (const auto& [type, value] : items_)
      if (type == std::type_index(typeid(T))) return static_cast<T*>(value.get());
    return nullptr;
  }
  // Keeps `value` as this worker's T, freeing the one held before; returns it.
  template <class T>
  T& put(std::unique_ptr<T> value) {
    T& kept = *value;
    std::shared_ptr<void> erased(std::move(value));  // remembers T's deleter
    for (auto& [type, held] : items_) {
      if (type == std::type_index(typeid(T))) {
        held = std::move(erased);
        return kept;
      }
    }
    items_.emplace_back(std::type_index(typeid(T)), std::move(erased));
    return kept;
  }

 private:
  std::vector<std::pair<std::type_index, std::shared_ptr<void>>> items_;
};

// What a worker thread owns and lends to the tasks it runs.
struct WorkerContext {
  int index = 0;
  JpegDecoder jpeg;
  WorkerLocals locals;
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
  // Queues `task` behind the other tasks of `key`, never refused, and runs the key's tasks before any
  // other key's until `task` has run (urgent keys one after the other, in the order they became urgent)
  // — if the key has at most `max_backlog` tasks waiting: a key that let more pile up gets no priority
  // over the others for them, and `task` is queued as an ordinary forced task. Returns whether it was
  // made urgent.
  bool submit_urgent(uint64_t key, Task task, size_t max_backlog);

  int size() const { return static_cast<int>(workers_.size()); }
  size_t queued() const;  // tasks waiting (not running), all keys

 private:
  struct Worker;
  struct Queued {
    Task task;
    bool urgent = false;
  };
  struct Strand {
    std::deque<Queued> tasks;
    int urgent = 0;        // urgent tasks among `tasks`
    bool running = false;  // a worker is running one of its tasks; the key is in no ready queue meanwhile
  };
  bool add(uint64_t key, Queued queued, bool force);
  void make_ready(uint64_t key, const Strand& strand);
  void run(Worker& worker);
  void stop_and_join();

  size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unordered_map<uint64_t, Strand> strands_;  // keys with tasks waiting or running
  // Keys with tasks waiting and none running, FIFO: those with an urgent task in ready_urgent_, the
  // rest in ready_. A key is in one of them exactly when it has tasks waiting and none running.
  std::deque<uint64_t> ready_urgent_, ready_;
  size_t waiting_ = 0;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace sueo::frames
