// The landmark runtimes are the worker's, not the session's (pipeline/landmark_runtimes.h): every task a
// worker runs gets the worker's one set, whatever session it belongs to; two workers never share one.
#include "pipeline/landmark_runtimes.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

#include "frames/worker_pool.h"
#include "test_support.h"

namespace sueo {
namespace {

using namespace recognize_test;

TEST(WorkerLandmarkRuntimes, OneSetPerContextRebuiltForOtherModels) {
  if (!have_landmark_models()) GTEST_SKIP() << "models/ missing: run models/fetch.sh";
  const auto models = landmarks::HolisticModels::load(source("models").string());
  frames::WorkerContext a, b;
  landmarks::HolisticRuntimes& first = worker_landmark_runtimes(a, models);
  EXPECT_EQ(first.models, models);
  // Kept from call to call: a mark in an input buffer is still there (a rebuilt set starts zeroed, and
  // could sit at the same address).
  first.pose_detection.input(0)[0] = 42.0f;
  EXPECT_EQ(&worker_landmark_runtimes(a, models), &first);
  EXPECT_EQ(worker_landmark_runtimes(a, models).pose_detection.input(0)[0], 42.0f);
  EXPECT_NE(&worker_landmark_runtimes(b, models), &first);  // another thread's context: its own set
  const auto other = landmarks::HolisticModels::load(source("models").string());
  EXPECT_EQ(worker_landmark_runtimes(a, other).models, other);  // swapped models: a set for them
  EXPECT_EQ(worker_landmark_runtimes(a, other).models, other);
}

TEST(WorkerLandmarkRuntimes, ManySessionsOnTwoWorkersBuildTwoSets) {
  if (!have_landmark_models()) GTEST_SKIP() << "models/ missing: run models/fetch.sh";
  const auto models = landmarks::HolisticModels::load(source("models").string());
  std::mutex mutex;
  std::map<int, std::set<const landmarks::HolisticRuntimes*>> by_worker;
  std::map<int, int> built;  // tasks that found their worker's set unmarked (new)
  {
    frames::WorkerPool pool(2, 64);
    for (uint64_t session = 0; session < 8; ++session) {
      for (int frame = 0; frame < 4; ++frame) {
        pool.submit(session, [&](frames::WorkerContext& context) {
          auto& set = worker_landmark_runtimes(context, models);
          float& mark = set.pose_detection.input(0)[0];
          const bool fresh = mark == 0.0f;
          EXPECT_TRUE(fresh || mark == static_cast<float>(context.index + 1)) << "another worker's set";
          mark = static_cast<float>(context.index + 1);
          const std::lock_guard lock(mutex);
          by_worker[context.index].insert(&set);
          built[context.index] += fresh ? 1 : 0;
        });
      }
    }
  }
  std::set<const landmarks::HolisticRuntimes*> all;
  for (const auto& [worker, sets] : by_worker) {
    EXPECT_EQ(sets.size(), 1u) << "worker " << worker << " built more than one set";
    EXPECT_EQ(built[worker], 1) << "worker " << worker << " built more than one set";
    all.insert(sets.begin(), sets.end());
  }
  EXPECT_EQ(all.size(), by_worker.size());  // no set lent to two workers
}

}  // namespace
}  // namespace sueo
