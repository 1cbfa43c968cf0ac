#include "store/taught_words.h"

namespace sueo::store {

TaughtWords::TaughtWords(std::shared_ptr<VocabStore> store)
    : store_(std::move(store)), current_(std::make_shared<const sign::TaughtSet>()) {}

bool TaughtWords::refresh(sign::Classifier& classifier) {
  const std::lock_guard lock(refreshing_);
  const int64_t revision = store_->revision();
  const auto now = current();
  if (now->revision == revision && now->model_id == classifier.model().id()) return false;
  std::vector<sign::TaughtExamples> words;
  for (auto& w : store_->list(true)) {
    sign::TaughtExamples t{w.word, w.gloss, {}};
    for (auto& e : w.examples) t.examples.push_back(std::move(e.frames));
    words.push_back(std::move(t));
  }
  std::atomic_store(&current_, sign::build_taught_set(classifier, words, revision));
  return true;
}

}  // namespace sueo::store
