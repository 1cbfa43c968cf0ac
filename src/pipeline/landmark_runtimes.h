// The landmark runtimes of a worker thread: one landmarks::HolisticRuntimes per WorkerContext, lent
// to whichever session's frame that worker runs, instead of one set per session (~60 MB each: 16
// streaming sessions held 1.2 GB, though only `--workers` threads can run a model at once).
//
// Why in the WorkerContext (WorkerLocals) rather than, say, a vector of sets indexed by worker and
// owned by the server: the set lives with the one thread allowed to touch it, so "never two threads
// on one set" holds by construction — for the server's pool, the offline tools' pools
// (`sueo recognize --jobs`) and lone contexts (`sueo vocab`) alike, with no pool size or index to keep
// in step. The frames library stays free of landmarks (WorkerLocals is type-erased). A session keeps
// only its landmarks::HolisticTrack (its ROIs and filters), which the strand hands from worker to
// worker with the session's tasks.
//
// The set is built on the worker's first landmarked frame (a server nobody streams to holds none) and
// kept until the pool ends: idle and closed sessions hold no runtimes, and malloc_trim after sessions
// close has nothing of them to give back.
//
// Thread: worker_landmark_runtimes() only on the thread that owns `context` (a WorkerPool task's own
// context, or a tool's lone context on its one thread).
#pragma once

#include <memory>

#include "frames/worker_pool.h"
#include "landmarks/holistic.h"

namespace sueo {

// The runtimes of `context`'s thread for `models`: built on first use, rebuilt (the old set freed)
// when `models` is another HolisticModels object than the one they were built for (landmark models
// swapped). Throws std::runtime_error on XNNPACK failure.
landmarks::HolisticRuntimes& worker_landmark_runtimes(
    frames::WorkerContext& context, const std::shared_ptr<const landmarks::HolisticModels>& models);

}  // namespace sueo
