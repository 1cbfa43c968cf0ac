// The decision after the classifier: which word a sign is — one of the model's built-in words, one
// of the words people taught, or none (unknown_sign) — from the classification scores, the sign's
// embedding and the taught words' prototypes.
//
//   auto taught = build_taught_set(classifier, words_with_examples, revision);   // when the store changes
//   Matcher matcher(model, taught, settings);
//   Decision d = matcher.decide(classifier.classify(segment));
//
// The rule (measured in docs/teach.md against nearest-prototype over all words):
//  1. The classifier's best built-in word c, probability p. Its prototype (metadata sueo.prototypes)
//     gives s_c = cos(embedding, prototype_c).
//  2. The nearest taught word w, s_w = cos(embedding, prototype_w).
//  3. w wins when s_w >= min_similarity and s_w > s_c + taught_margin: a taught word has to be nearer
//     than the word the classifier would have said, so teaching cannot take built-in words away
//     unless the sign really is nearer the taught one.
//  4. Otherwise c, when p >= min_probability and s_c >= min_builtin_similarity; else unknown_sign.
//     (The cosine to the word's prototype separates unknown signs better than the probability:
//     tools/train/unknown_eval.py, docs/teach.md.)
// Without an embedding (a one-output model) taught words are never matched: teaching is unavailable.
//
// Thread: TaughtSet and Matcher are immutable after construction: any thread. build_taught_set runs a
// Classifier, so it runs on the thread that owns that Classifier.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sign/classifier.h"

namespace sueo::sign {

struct TaughtPrototype {
  std::string word;
  std::string gloss;
  std::vector<float> prototype;  // L2-normalised mean of the examples' embeddings
  int examples = 0;
};

// The taught words as one model sees them. Prototypes belong to the model that computed them: a new
// model needs a new set.
struct TaughtSet {
  std::vector<TaughtPrototype> words;
  int64_t revision = -1;         // the store revision the set was built from
  uint64_t model_id = 0;         // ClassifierModel::id() of the model the prototypes belong to
};

// What build_taught_set reads: a word and its examples' raw landmark sequences.
struct TaughtExamples {
  std::string word;
  std::string gloss;
  std::vector<Sequence> examples;
};

// Embeds every example with `classifier` (trim + resample + forward, as for a live sign) and averages.
// A model without an embedding gives an empty set.
std::shared_ptr<const TaughtSet> build_taught_set(Classifier& classifier, const std::vector<TaughtExamples>& words,
                                                  int64_t revision);

// L2-normalised mean of L2-normalised vectors (empty in, empty out).
std::vector<float> mean_direction(const std::vector<std::vector<float>>& vectors);
float cosine(const std::vector<float>& a, const std::vector<float>& b);  // of unit vectors: the dot product

struct MatchSettings {
  float min_probability = 0.0f;   // a built-in word below this is unknown_sign
  float min_builtin_similarity = -1.0f;  // ... and below this cosine to its prototype (-1: not used)
  float min_similarity = 0.70f;   // a taught word below this cosine is never said
  float taught_margin = 0.0f;     // how much nearer than the classifier's word a taught word must be
};

struct Candidate {
  std::string word;
  std::string gloss;
  bool taught = false;
  float similarity = 0;  // cosine to its prototype (built-in: 0 when the model ships no prototypes)
  float probability = 0; // classifier probability (built-in only)
};

struct Decision {
  bool known = false;  // false: unknown_sign
  bool taught = false;
  std::string word;
  std::string gloss;
  float score = 0;       // built-in: probability; taught: cosine
  float similarity = 0;  // cosine to the chosen word's prototype (the best taught one when unknown)
  float margin = 0;      // the winner's cosine minus the other side's (taught vs the classifier's word)
  std::vector<Candidate> taught_top;  // nearest taught words, best first (at most 3)
};

class Matcher {
 public:
  Matcher(std::shared_ptr<const ClassifierModel> model, std::shared_ptr<const TaughtSet> taught,
          MatchSettings settings);

  Decision decide(const Classification& c) const;
  bool teaching_available() const { return model_->embedding_size() > 0; }
  const TaughtSet& taught() const { return *taught_; }
  const MatchSettings& settings() const { return settings_; }

 private:
  std::shared_ptr<const ClassifierModel> model_;
  std::shared_ptr<const TaughtSet> taught_;
  MatchSettings settings_;
};

}  // namespace sueo::sign
