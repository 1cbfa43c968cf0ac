#include "sign/matcher.h"

#include <algorithm>
#include <cmath>

namespace sueo::sign {

std::vector<float> mean_direction(const std::vector<std::vector<float>>& vectors) {
  if (vectors.empty()) return {};
  std::vector<double> sum(vectors.front().size(), 0.0);
  for (const auto& v : vectors) {
    for (size_t i = 0; i < sum.size() && i < v.size(); ++i) sum[i] += v[i];
  }
  double norm = 0;
  for (double x : sum) norm += x * x;
  norm = std::sqrt(norm);
  std::vector<float> out(sum.size(), 0.0f);
  if (norm > 0) {
    for (size_t i = 0; i < sum.size(); ++i) out[i] = static_cast<float>(sum[i] / norm);
  }
  return out;
}

float cosine(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 0.0f;
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(dot);
}

std::shared_ptr<const TaughtSet> build_taught_set(Classifier& classifier, const std::vector<TaughtExamples>& words,
                                                  int64_t revision) {
  auto set = std::make_shared<TaughtSet>();
  set->revision = revision;
  set->model_id = classifier.model().id();
  if (classifier.model().embedding_size() == 0) return set;
  for (const auto& w : words) {
    std::vector<std::vector<float>> embeddings;
    for (const auto& example : w.examples) {
      if (!example.empty()) embeddings.push_back(classifier.classify(example).embedding);
    }
    if (embeddings.empty()) continue;
    set->words.push_back({w.word, w.gloss, mean_direction(embeddings), static_cast<int>(embeddings.size())});
  }
  return set;
}

Matcher::Matcher(std::shared_ptr<const ClassifierModel> model, std::shared_ptr<const TaughtSet> taught,
                 MatchSettings settings)
    : model_(std::move(model)),
      taught_(taught ? std::move(taught) : std::make_shared<const TaughtSet>()),
      settings_(settings) {}

Decision Matcher::decide(const Classification& c) const {
  Decision d;
  const Prediction* best = c.top.empty() ? nullptr : &c.top.front();
  const bool embedded = !c.embedding.empty();
  // The classifier's word and how near the sign is to that word's prototype.
  float builtin_similarity = -1.0f;  // below any cosine: a taught word beats a word without a prototype
  const bool has_prototype =
      best && embedded && static_cast<size_t>(best->index) < model_->prototypes().size();
  if (has_prototype) builtin_similarity = cosine(c.embedding, model_->prototypes()[static_cast<size_t>(best->index)]);
  // The nearest taught words (prototypes made by another model mean nothing in this one's space:
  // right after a model swap, until they are rebuilt, taught words are not matched).
  if (embedded && taught_->model_id == model_->id()) {
    for (const auto& w : taught_->words) {
      d.taught_top.push_back({w.word, w.gloss, true, cosine(c.embedding, w.prototype), 0.0f});
    }
    std::sort(d.taught_top.begin(), d.taught_top.end(),
              [](const Candidate& a, const Candidate& b) { return a.similarity > b.similarity; });
    if (d.taught_top.size() > 3) d.taught_top.resize(3);
  }
  if (!d.taught_top.empty()) {
    const Candidate& w = d.taught_top.front();
    const float margin = w.similarity - builtin_similarity;
    if (w.similarity >= settings_.min_similarity && margin > settings_.taught_margin) {
      d.known = d.taught = true;
      d.word = w.word;
      d.gloss = w.gloss;
      d.score = d.similarity = w.similarity;
      d.margin = margin;
      return d;
    }
  }
  if (best) {
    d.word = best->word;
    d.gloss = best->gloss;
    d.score = best->score;
    d.similarity = builtin_similarity;
    d.margin = d.taught_top.empty() ? 0.0f : builtin_similarity - d.taught_top.front().similarity;
    d.known = best->score >= settings_.min_probability &&
              (!has_prototype || builtin_similarity >= settings_.min_builtin_similarity);
  }
  return d;
}

}  // namespace sueo::sign
