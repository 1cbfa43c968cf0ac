#include "frames/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "metrics.h"
#include "test_util.h"

namespace sueo::frames {
namespace {

using namespace std::chrono_literals;

// A task that holds its worker until opened, and says when it has started. The task holds only shared
// state, so a Gate may die while its task still runs; declare it after the pool: it is destroyed
// first and opens itself, so a test that stops early cannot leave the pool's destructor waiting.
class Gate {
 public:
  ~Gate() { open(); }
  WorkerPool::Task task() {
    return [started = started_, opened = opened_](WorkerContext&) {
      started->set_value();
      opened.wait();
    };
  }
  bool started() { return started_future_.wait_for(10s) == std::future_status::ready; }
  void open() {
    if (!is_open_) release_.set_value();
    is_open_ = true;
  }

 private:
  std::shared_ptr<std::promise<void>> started_ = std::make_shared<std::promise<void>>();
  std::future<void> started_future_ = started_->get_future();
  std::promise<void> release_;
  std::shared_future<void> opened_ = release_.get_future().share();
  bool is_open_ = false;
};

// Polls `done` for up to 10 s, so that a broken pool fails the test instead of hanging it.
template <typename F>
bool eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(WorkerPool, RunsTasksOfOneKeyInOrderOneAtATime) {
  constexpr int kThreads = 3, kKeys = 8, kSubmitters = 4, kPerKey = 300;
  struct Log {
    std::vector<std::pair<int, int>> entries;  // (submitter, n), appended by one task at a time
    std::atomic<int> inside{0};
    std::atomic<bool> overlapped{false};
  };
  std::vector<Log> logs(kKeys);
  {
    WorkerPool pool(kThreads, kSubmitters * kPerKey);  // large enough that nothing is refused
    ASSERT_EQ(pool.size(), kThreads);
    std::vector<std::thread> submitters;
    for (int s = 0; s < kSubmitters; ++s)
      submitters.emplace_back([&, s] {
        for (int n = 0; n < kPerKey; ++n)
          for (int key = 0; key < kKeys; ++key)
            ASSERT_TRUE(pool.submit(static_cast<uint64_t>(key), [&logs, key, s, n](WorkerContext&) {
              Log& log = logs[key];
              if (log.inside.fetch_add(1) != 0) log.overlapped = true;
              log.entries.emplace_back(s, n);
              log.inside.fetch_sub(1);
            }));
      });
    for (auto& t : submitters) t.join();
  }  // drains and joins
  for (int key = 0; key < kKeys; ++key) {
    const Log& log = logs[key];
    ASSERT_EQ(log.entries.size(), static_cast<size_t>(kSubmitters * kPerKey));
    EXPECT_FALSE(log.overlapped) << "two tasks of key " << key << " ran at the same time";
    std::vector<int> next(kSubmitters, 0);
    for (auto [s, n] : log.entries) {
      ASSERT_EQ(n, next[s]) << "key " << key << ": submitter " << s << "'s tasks ran out of order";
      ++next[s];
    }
  }
}

TEST(WorkerPool, KeysAreNotPinnedToAThread) {
  // Keys 0 and 2 would share a worker under a key % threads mapping; here a busy key never blocks
  // another while a worker is free.
  WorkerPool pool(2, 10);
  Gate g0, g2;
  ASSERT_TRUE(pool.submit(0, g0.task()));
  ASSERT_TRUE(g0.started());
  ASSERT_TRUE(pool.submit(2, g2.task()));
  EXPECT_TRUE(g2.started()) << "key 2 waited behind key 0 although a worker was free";
}

TEST(WorkerPool, RefusesPastTheBoundUnlessForced) {
  WorkerPool pool(1, 3);
  Gate gate;
  std::atomic<int> ran{0};
  auto count = [&](WorkerContext&) { ++ran; };
  ASSERT_TRUE(pool.submit(0, gate.task()));
  ASSERT_TRUE(gate.started());  // the worker is busy; its queue is empty
  EXPECT_EQ(pool.queued(), 0u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(pool.submit(0, count));
  EXPECT_EQ(pool.queued(), 3u);
  EXPECT_FALSE(pool.submit(0, count)) << "fourth task past a bound of 3";
  EXPECT_EQ(pool.queued(), 3u);
  EXPECT_TRUE(pool.submit(0, count, true)) << "force ignores the bound";
  EXPECT_EQ(pool.queued(), 4u);
  EXPECT_TRUE(pool.submit(5, count)) << "another key has its own bound";
  EXPECT_EQ(pool.queued(), 5u);
  gate.open();
  ASSERT_TRUE(eventually([&] { return ran == 5; }));
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_TRUE(pool.submit(0, count));
}

TEST(WorkerPool, BoundIsPerKey) {
  WorkerPool pool(1, 1);
  Gate g0;
  ASSERT_TRUE(pool.submit(0, g0.task()));
  ASSERT_TRUE(g0.started());
  EXPECT_TRUE(pool.submit(0, [](WorkerContext&) {}));   // key 0's one slot
  EXPECT_FALSE(pool.submit(0, [](WorkerContext&) {}));  // key 0 full
  EXPECT_TRUE(pool.submit(1, [](WorkerContext&) {}));   // key 1 has its own slot
  EXPECT_FALSE(pool.submit(1, [](WorkerContext&) {}));
}

// The names of the tasks a pool ran, in the order it ran them: written by the pool's one worker, read
// once has() has seen them all. Declare it before the pool.
struct OrderLog {
  std::vector<std::string> order;
  std::atomic<size_t> logged{0};
  WorkerPool::Task task(std::string name) {
    return [this, name](WorkerContext&) {
      order.push_back(name);
      ++logged;
    };
  }
  bool has(size_t n) {
    return eventually([&] { return logged == n; });
  }
};

// Runs `queue` while the pool's one worker is held by a task of `key`, then lets it go: the order the
// queued tasks then run in is the pool's choice alone.
template <typename F>
void while_held(WorkerPool& pool, uint64_t key, F queue) {
  Gate gate;
  ASSERT_TRUE(pool.submit(key, gate.task()));
  ASSERT_TRUE(gate.started());
  queue();
}

// One worker and a log of the order it ran tasks in (the log outlives the pool and its tasks).
class WorkerPoolOrder : public ::testing::Test {
 protected:
  OrderLog log;
  WorkerPool pool{1, 100};
};

// A sequence that ends (submit_urgent) has its person waiting for the word: its key's tasks, the
// earlier ones too, go before other keys' until the urgent task has run (urgent keys one after the
// other, in the order they became urgent); then the key is an ordinary one again, behind the others.
// One worker, held by a gate, so the order is the pool's choice alone.
TEST_F(WorkerPoolOrder, UrgentKeyGoesFirstUntilItsUrgentTaskHasRun) {
  while_held(pool, 9, [&] {
    ASSERT_TRUE(pool.submit(1, log.task("a1")));
    ASSERT_TRUE(pool.submit(2, log.task("b1")));
    ASSERT_TRUE(pool.submit(1, log.task("a2")));
    ASSERT_TRUE(pool.submit(3, log.task("c1")));
    ASSERT_TRUE(pool.submit(2, log.task("b2")));
    EXPECT_TRUE(pool.submit_urgent(2, log.task("b-end"), 15));
    ASSERT_TRUE(pool.submit(2, log.task("b-next")));  // after the urgent task: an ordinary task again
    EXPECT_TRUE(pool.submit_urgent(3, log.task("c-end"), 15));
    EXPECT_EQ(pool.queued(), 8u);
  });
  ASSERT_TRUE(log.has(8));
  EXPECT_EQ(log.order, (std::vector<std::string>{"b1", "b2", "b-end", "c1", "c-end", "a1", "b-next", "a2"}));
}

// An urgent task for a key whose task is running: the key's next tasks go first once it finishes.
TEST_F(WorkerPoolOrder, UrgentTaskBehindARunningTaskOfItsKey) {
  while_held(pool, 1, [&] {
    ASSERT_TRUE(pool.submit(2, log.task("b1")));
    ASSERT_TRUE(pool.submit(1, log.task("a1")));
    EXPECT_TRUE(pool.submit_urgent(1, log.task("a-end"), 15));
  });
  ASSERT_TRUE(log.has(3));
  EXPECT_EQ(log.order, (std::vector<std::string>{"a1", "a-end", "b1"}));
}

// A key with more than `max_backlog` tasks waiting gets no priority: its urgent task is queued as an
// ordinary one (a client that lets frames pile up, then ends its sequence, must not take the workers
// from every other session for as long as its backlog lasts).
TEST_F(WorkerPoolOrder, NoPriorityPastTheBacklog) {
  while_held(pool, 9, [&] {
    ASSERT_TRUE(pool.submit(2, log.task("b1")));
    for (const char* name : {"a1", "a2", "a3"}) ASSERT_TRUE(pool.submit(1, log.task(name)));
    EXPECT_FALSE(pool.submit_urgent(1, log.task("a-end"), 2));  // 3 waiting > 2
    EXPECT_TRUE(pool.submit_urgent(2, log.task("b-end"), 2));   // 1 waiting
  });
  ASSERT_TRUE(log.has(6));
  EXPECT_EQ(log.order, (std::vector<std::string>{"b1", "b-end", "a1", "a2", "a3", "a-end"}));
}

// Urgent tasks are never refused, whatever the key's bound (the word of a finished sequence must come).
TEST(WorkerPool, UrgentIgnoresTheBound) {
  std::atomic<int> ran{0};
  auto count = [&](WorkerContext&) { ++ran; };
  WorkerPool pool(1, 1);
  while_held(pool, 0, [&] {
    ASSERT_TRUE(pool.submit(0, count));
    EXPECT_FALSE(pool.submit(0, count));
    EXPECT_TRUE(pool.submit_urgent(0, count, 15));
  });
  ASSERT_TRUE(eventually([&] { return ran == 2; }));
}

TEST(WorkerPool, ExceptionInATaskDoesNotEndTheWorker) {
  auto& errors = Metrics::global().counter("errors.worker_task");
  const int64_t before = errors.load();
  std::vector<int> ran;
  {
    WorkerPool pool(1, 10);
    pool.submit(0, [&](WorkerContext&) { ran.push_back(1); });
    pool.submit(0, [](WorkerContext&) { throw std::runtime_error("task exploded (expected by the test)"); });
    pool.submit(0, [&](WorkerContext&) { ran.push_back(2); });
    pool.submit(0, [](WorkerContext&) { throw 42; });
    pool.submit(0, [&](WorkerContext&) { ran.push_back(3); });
  }
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(errors.load() - before, 2);
}

TEST(WorkerPool, DestructorRunsEveryQueuedTask) {
  std::atomic<int> ran{0};
  std::promise<void> destroying;
  {
    WorkerPool pool(2, 1000);
    // Each worker waits until the destructor is about to run, then a little longer, so the destructor
    // starts with 2 x 200 tasks still queued.
    auto wait = destroying.get_future().share();
    for (uint64_t key : {0, 1})
      pool.submit(key, [wait](WorkerContext&) {
        wait.wait();
        std::this_thread::sleep_for(50ms);
      });
    for (int i = 0; i < 400; ++i) pool.submit(static_cast<uint64_t>(i), [&](WorkerContext&) { ++ran; });
    EXPECT_GE(pool.queued(), 400u);
    destroying.set_value();
  }
  EXPECT_EQ(ran, 400);
}

TEST(WorkerPool, EachWorkerLendsItsOwnDecoder) {
  constexpr int kTasks = 40;
  std::vector<JpegDecoder*> decoders(kTasks, nullptr);
  std::vector<int> workers(kTasks, -1);
  std::vector<int> widths(kTasks, 0);
  {
    WorkerPool pool(2, 10);
    for (uint64_t key = 0; key < kTasks; ++key)
      pool.submit(key, [&, key](WorkerContext& context) {
        Image image;
        std::string error;
        if (context.jpeg.decode(test::real_jpeg(), image, error)) widths[key] = image.width;
        decoders[key] = &context.jpeg;
        workers[key] = context.index;
      });
  }
  std::map<int, JpegDecoder*> by_worker;
  for (int i = 0; i < kTasks; ++i) {
    EXPECT_EQ(widths[i], 640);
    ASSERT_GE(workers[i], 0);
    auto [it, inserted] = by_worker.emplace(workers[i], decoders[i]);
    EXPECT_EQ(it->second, decoders[i]) << "worker " << workers[i] << " lent two decoders";
  }
  if (by_worker.size() == 2) EXPECT_NE(by_worker[0], by_worker[1]);
}

// What a layer above frames keeps per worker (the landmark runtimes): one per type, replaced (the old
// one freed) by put, found again by the tasks that follow.
TEST(WorkerLocals, KeepsOnePerTypeAndFreesWhatIsReplaced) {
  struct Counted {
    explicit Counted(int* alive) : alive_(alive) { ++*alive_; }
    ~Counted() { --*alive_; }
    int* alive_;
  };
  int alive = 0;
  {
    WorkerLocals locals;
    EXPECT_EQ(locals.find<Counted>(), nullptr);
    Counted& first = locals.put(std::make_unique<Counted>(&alive));
    EXPECT_EQ(locals.find<Counted>(), &first);
    EXPECT_EQ(locals.find<std::string>(), nullptr);  // another type has its own place
    locals.put(std::make_unique<std::string>("kept"));
    Counted& second = locals.put(std::make_unique<Counted>(&alive));
    EXPECT_EQ(alive, 1);  // the first was freed
    EXPECT_EQ(locals.find<Counted>(), &second);
    ASSERT_NE(locals.find<std::string>(), nullptr);
    EXPECT_EQ(*locals.find<std::string>(), "kept");
  }
  EXPECT_EQ(alive, 0);  // freed with the worker's context
}

TEST(WorkerPool, NeedsAThread) { EXPECT_THROW(WorkerPool(0, 1), std::invalid_argument); }

}  // namespace
}  // namespace sueo::frames
