#include "store/taught_words.h"

namespace sueo::store {

TaughtWords::TaughtWords(std::shared_ptr<VocabStore> store)
    : store_(std::move(store)), current_(std::make_shared<const sign::TaughtSet>()) {}

bool TaughtWords::refresh(sign::Classifier& classifier) {
  const std::lock_guard lock(refreshing_);
  const int64_t revision = store_->revision();
  const auto now = current();
  if (now->revision == revision && now->model_id == classifier.model().id()) return false;
  if (cache_model_ != classifier.model().id()) {
    cache_.clear();
    cache_model_ = classifier.model().id();
  }
  auto set = std::make_shared<sign::TaughtSet>();
  set->revision = revision;
  set->model_id = classifier.model().id();
  std::map<std::pair<int64_t, int>, std::vector<float>> kept;
  for (const auto& w : store_->list(false)) {
    const std::pair<int64_t, int> key{w.id, w.example_count};
    auto hit = cache_.find(key);
    std::vector<float> prototype;
    if (hit != cache_.end()) {
      prototype = hit->second;
    } else if (auto full = store_->find(w.word)) {
      sign::TaughtExamples t{w.word, w.gloss, {}};
      for (auto& e : full->examples) t.examples.push_back(std::move(e.frames));
      const auto one = sign::build_taught_set(classifier, {t}, revision);
      if (!one->words.empty()) prototype = one->words.front().prototype;
    }
    if (prototype.empty()) continue;  // no embedding output, or the word vanished meanwhile
    kept[key] = prototype;
    set->words.push_back({w.word, w.gloss, std::move(prototype), w.example_count});
  }
  cache_ = std::move(kept);
  std::atomic_store(&current_, std::shared_ptr<const sign::TaughtSet>(std::move(set)));
  return true;
}

}  // namespace sueo::store
