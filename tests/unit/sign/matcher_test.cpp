// The decision step on a model whose numbers can be worked out by hand (tests/unit/sign/models/
// embedding.onnx: scores = mean of input values 0..3 + 0.1 c, embedding = means of values 0..2
// normalised, prototypes [1,0,0] [0,1,0] [0,0,1] [1,1,0]/√2).
#include "sign/matcher.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_paths.h"

namespace sueo::sign {
namespace {

Sequence constant(float a, float b, float c, float d = 0) {
  Sequence s(20);
  for (auto& f : s) {
    f[0] = a;
    f[1] = b;
    f[2] = c;
    f[3] = d;
  }
  return s;
}

struct Fixture {
  std::shared_ptr<const ClassifierModel> model = ClassifierModel::load(test::test_model("embedding.onnx"));
  Classifier classifier{model};
};

TEST(Matcher, PrototypesAreTheMeanDirectionOfTheExamples) {
  Fixture f;
  const auto set = build_taught_set(f.classifier, {{"물", "water", {constant(1, 0, 0), constant(0, 1, 0)}}}, 7);
  ASSERT_EQ(set->words.size(), 1u);
  EXPECT_EQ(set->revision, 7);
  EXPECT_EQ(set->words[0].examples, 2);
  EXPECT_NEAR(set->words[0].prototype[0], std::sqrt(0.5f), 1e-5);
  EXPECT_NEAR(set->words[0].prototype[1], std::sqrt(0.5f), 1e-5);
  EXPECT_EQ(mean_direction({}).size(), 0u);
}

TEST(Matcher, ATaughtWordWinsOnlyWhenNearerThanTheClassifiersWord) {
  Fixture f;
  // Class 3 is the classifier's word (0.9 + 0.3); the embedding (0.6, 0.8, 0) is 0.990 from its
  // prototype [1,1,0]/√2.
  const auto sign = f.classifier.classify(constant(0.3f, 0.4f, 0.0f, 0.9f));
  ASSERT_EQ(sign.top.front().index, 3);
  const auto far = build_taught_set(f.classifier, {{"우유", "milk", {constant(0, 1, 0)}}}, 1);   // cos 0.8
  const auto near = build_taught_set(f.classifier, {{"우유", "milk", {constant(0, 1, 0)}},
                                                    {"물", "water", {constant(0.3f, 0.4f, 0)}}}, 2);  // cos 1.0
  MatchSettings settings;
  settings.min_similarity = 0.5f;
  Decision d = Matcher(f.model, far, settings).decide(sign);
  EXPECT_TRUE(d.known);
  EXPECT_FALSE(d.taught);
  EXPECT_EQ(d.word, "단어3");
  EXPECT_NEAR(d.similarity, 0.98995f, 1e-4);
  EXPECT_NEAR(d.margin, 0.98995f - 0.8f, 1e-4);
  ASSERT_EQ(d.taught_top.size(), 1u);
  EXPECT_NEAR(d.taught_top[0].similarity, 0.8f, 1e-5);

  d = Matcher(f.model, near, settings).decide(sign);
  EXPECT_TRUE(d.known && d.taught);
  EXPECT_EQ(d.word, "물");
  EXPECT_EQ(d.gloss, "water");
  EXPECT_NEAR(d.score, 1.0f, 1e-5);
  EXPECT_NEAR(d.margin, 1.0f - 0.98995f, 1e-4);
  EXPECT_EQ(d.taught_top.size(), 2u);

  settings.taught_margin = 0.05f;  // must be clearly nearer: now it is not
  EXPECT_FALSE(Matcher(f.model, near, settings).decide(sign).taught);
  settings = {};
  settings.min_similarity = 1.01f;  // never similar enough
  EXPECT_FALSE(Matcher(f.model, near, settings).decide(sign).taught);
}

TEST(Matcher, UnknownBelowTheProbabilityThreshold) {
  Fixture f;
  const auto sign = f.classifier.classify(constant(0.3f, 0.4f, 0.0f, 0.9f));
  MatchSettings settings;
  settings.min_probability = 1.3f;  // the classifier's word scores 1.2 here
  const Decision d = Matcher(f.model, nullptr, settings).decide(sign);
  EXPECT_FALSE(d.known);
  EXPECT_EQ(d.word, "단어3");  // still says what it would have been
  settings.min_probability = 1.1f;
  EXPECT_TRUE(Matcher(f.model, nullptr, settings).decide(sign).known);
  settings.min_builtin_similarity = 0.995f;  // the sign is 0.990 from the word's prototype
  EXPECT_FALSE(Matcher(f.model, nullptr, settings).decide(sign).known);
  settings.min_builtin_similarity = 0.98f;
  EXPECT_TRUE(Matcher(f.model, nullptr, settings).decide(sign).known);
}

TEST(Matcher, AModelWithoutEmbeddingNeverMatchesTaughtWords) {
  const auto model = ClassifierModel::load(test::test_model("dynamic_logits.onnx"));
  Classifier classifier(model);
  const auto set = build_taught_set(classifier, {{"물", "", {constant(1, 0, 0)}}}, 1);
  EXPECT_TRUE(set->words.empty());
  Matcher matcher(model, set, {});
  EXPECT_FALSE(matcher.teaching_available());
  const Decision d = matcher.decide(classifier.classify(constant(1, 0, 0)));
  EXPECT_FALSE(d.taught);
  EXPECT_TRUE(d.known);
}

}  // namespace
}  // namespace sueo::sign
