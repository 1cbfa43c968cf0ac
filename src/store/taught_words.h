// The taught words as recognition uses them: the store's words turned into prototypes by the current
// model (sign/matcher.h), kept as an immutable snapshot that recognizers read without locking and that
// is replaced whole when the store or the model changes.
//
//   TaughtWords taught(store);
//   taught.refresh(classifier);                 // after a change (or periodically: cheap when nothing changed)
//   auto set = taught.current();                // any thread; never null
//
// Thread: current() from any thread (an atomic shared_ptr). refresh() from one thread at a time (it
// runs `classifier`, which belongs to the calling thread).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "sign/matcher.h"
#include "store/vocab_store.h"

namespace sueo::store {

class TaughtWords {
 public:
  explicit TaughtWords(std::shared_ptr<VocabStore> store);

  std::shared_ptr<const sign::TaughtSet> current() const { return std::atomic_load(&current_); }

  // Rebuilds the set when the store's revision or the classifier's model differs from the current set's.
  // Only new or changed words are embedded (a word's prototype is kept while its id and example count
  // stay): teaching one word costs its own examples, not the whole vocabulary's. Returns true when it
  // rebuilt. Throws StoreError when the store cannot be read (the old set stays).
  bool refresh(sign::Classifier& classifier);

  VocabStore& store() { return *store_; }

 private:
  std::shared_ptr<VocabStore> store_;
  std::shared_ptr<const sign::TaughtSet> current_;
  std::mutex refreshing_;
  // (word id, example count) -> prototype, for the model `cache_model_`.
  std::map<std::pair<int64_t, int>, std::vector<float>> cache_;
  uint64_t cache_model_ = 0;
};

}  // namespace sueo::store
