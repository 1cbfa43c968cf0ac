// The classifier on the shipped model and on models that break the contract (docs/model.md).
#include "sign/classifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>
#include <thread>

#include "parity_fixture.h"
#include "sign/landmark_set.h"
#include "sign/onnx_info.h"
#include "sign/resample.h"
#include "sign/vocabulary.h"
#include "test_paths.h"

namespace sueo::sign {
namespace {

std::string load_error(const std::string& path) {
  try {
    ClassifierModel::load(path);
  } catch (const ModelError& error) {
    return error.what();
  }
  return "(no error)";
}

void expect_error(const std::string& path, const std::string& words) {
  const std::string message = load_error(path);
  EXPECT_NE(message.find(words), std::string::npos) << "message: " << message;
}

TEST(ShippedModel, MeetsTheContract) {
  const auto model = ClassifierModel::load(test::shipped_model());
  EXPECT_EQ(model->frames(), 48);
  EXPECT_EQ(model->trim_margin(), 4);
  EXPECT_FALSE(model->softmax_needed());
  // The default model knows every word of the shared vocabulary: all three sets, KSL-77's six words
  // included (tools/train/extract_ksl77.sh), and no word twice.
  const auto vocabulary = Vocabulary::load(test::source("models/vocabulary.json"));
  ASSERT_EQ(model->labels().size(), vocabulary.size());
  std::set<std::string> words;
  for (const auto& label : model->labels()) {
    EXPECT_EQ(vocabulary.word_for(label.word).value_or("?"), label.word);
    EXPECT_FALSE(label.gloss.empty()) << label.word;
    words.insert(label.word);
  }
  EXPECT_EQ(words.size(), vocabulary.size());
  EXPECT_EQ(words.count("불나다"), 1u);
  EXPECT_EQ(words.count("안녕"), 1u);
  // It ships the sign embedding teaching needs (docs/model.md §4), with one prototype per word.
  EXPECT_EQ(model->embedding_size(), 128);
  EXPECT_EQ(model->embedding_output(), "embedding");
  EXPECT_EQ(model->prototypes().size(), model->labels().size());
  // No operator OpenCV 4.6 mis-imports (the reasons the graph is built the way it is).
  for (const auto& op : model->operators()) {
    EXPECT_TRUE(op != "Identity" && op != "Gather" && op != "Clip" && op != "GRU" && op != "LSTM") << op;
  }
}

TEST(ShippedModel, LabelsAreInTheOnnxMetadata) {
  std::ifstream in(test::shipped_model(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const auto info = parse_onnx_info(bytes);
  ASSERT_EQ(info.inputs.size(), 1u);
  EXPECT_EQ(describe_dims(info.inputs[0]), "[1, 48, 258]");
  EXPECT_EQ(info.opsets.at(""), 11);
  EXPECT_NE(info.metadata.at("sueo.labels").find("낯선사람"), std::string::npos);
}

void expect_parity(Classifier& classifier, const test::ParityFixture& fixture) {
  ASSERT_EQ(fixture.scores.size(), fixture.fitted.size());
  // When the fixture has torch's embeddings (a model exported by train.py), OpenCV's must match. The
  // shipped model's fixture has none: its embedding output was rewired after training
  // (tools/train/reembed.py), and the tiny training test checks the embedding's parity.
  for (size_t i = 0; i < fixture.embeddings.size(); ++i) {
    const auto ours = classifier.run(fixture.fitted[i]).embedding;
    ASSERT_EQ(ours.size(), fixture.embeddings[i].size());
    for (size_t d = 0; d < ours.size(); ++d) EXPECT_NEAR(ours[d], fixture.embeddings[i][d], 1e-4) << i << "/" << d;
  }
  for (size_t i = 0; i < fixture.fitted.size(); ++i) {
    const auto ours = classifier.scores(fixture.fitted[i]);
    ASSERT_EQ(ours.size(), fixture.scores[i].size());
    for (size_t c = 0; c < ours.size(); ++c) {
      EXPECT_NEAR(ours[c], fixture.scores[i][c], 1e-4) << "sequence " << i << " class " << c;
    }
    // Through the whole C++ path (trim + resample + forward): the same best word as torch.
    const auto best =
        std::max_element(fixture.scores[i].begin(), fixture.scores[i].end()) - fixture.scores[i].begin();
    EXPECT_EQ(classifier.classify(fixture.raw[i]).top.front().index, best) << "sequence " << i;
  }
}

TEST(ShippedModel, GivesTheScoresTorchGave) {
  Classifier classifier(ClassifierModel::load(test::shipped_model()));
  expect_parity(classifier, test::load_parity(test::shipped_parity()));
}

TEST(ShippedModel, ClassifyReportsTopWordsBestFirst) {
  Classifier classifier(ClassifierModel::load(test::shipped_model()), 3);
  const auto fixture = test::load_parity(test::shipped_parity());
  const auto result = classifier.classify(fixture.raw[0]);
  ASSERT_EQ(result.top.size(), 3u);
  EXPECT_EQ(result.word, result.top[0].word);
  EXPECT_GE(result.top[0].score, result.top[1].score);
  EXPECT_GE(result.top[1].score, result.top[2].score);
  EXPECT_GT(result.ms, 0.0);
  EXPECT_THROW(classifier.classify({}), std::invalid_argument);
}

// One Classifier per worker thread (the documented sharing model): concurrent calls on separate
// Classifiers of one ClassifierModel give the single-threaded answers.
TEST(ShippedModel, OneClassifierPerThreadAgrees) {
  const auto model = ClassifierModel::load(test::shipped_model());
  const auto fixture = test::load_parity(test::shipped_parity());
  Classifier reference(model);
  std::vector<std::vector<float>> expected;
  for (const auto& seq : fixture.fitted) expected.push_back(reference.scores(seq));
  std::vector<int> mismatches(2, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Classifier mine(model);
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < fixture.fitted.size(); ++i)
          mismatches[static_cast<size_t>(t)] += mine.scores(fixture.fitted[i]) != expected[i];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches[0] + mismatches[1], 0);
}

TEST(ShippedModel, RecognisesTheKetiSetItWasTrainedOn) {
  // A wiring check of the C++ path on real landmarks (the model saw these takes in training, so this
  // is not an accuracy figure: models/MODEL_CARD.md has the signer-grouped one).
  if (!test::exists(test::keti6())) GTEST_SKIP() << "../shared/data/ksl-keti6 is absent";
  Classifier classifier(ClassifierModel::load(test::shipped_model()));
  const auto vocabulary = Vocabulary::load(test::source("models/vocabulary.json"));
  const auto set = load_landmark_set(test::keti6());
  int right = 0;
  for (size_t i = 0; i < set.sequences.size(); ++i) {
    right += classifier.classify(set.sequences[i]).word == vocabulary.word_for(set.classes[i]).value();
  }
  EXPECT_GT(right, static_cast<int>(set.sequences.size() * 9 / 10));
}

TEST(Contract, AUserModelWithDynamicTLogitsAndSidecarLabels) {
  const auto model = ClassifierModel::load(test::test_model("dynamic_logits.onnx"));
  EXPECT_EQ(model->frames(), 0);
  EXPECT_EQ(model->trim_margin(), 2);
  EXPECT_TRUE(model->softmax_needed());
  ASSERT_EQ(model->labels().size(), 4u);
  EXPECT_EQ(model->labels()[1].gloss, "word 1");
  Classifier classifier(model);
  for (size_t length : {5u, 31u, 90u}) {
    Sequence seq(length);
    for (size_t f = 0; f < length; ++f) {
      for (size_t c = 0; c < 4; ++c) seq[f][c] = 0.01f * static_cast<float>(f * (c + 1));
    }
    // The graph scores class c as mean_t x[t][c] + 0.1 c; hand-less sequences are not trimmed.
    std::vector<double> logits(4);
    for (size_t c = 0; c < 4; ++c) {
      double sum = 0;
      for (const auto& frame : seq) sum += frame[c];
      logits[c] = sum / static_cast<double>(length) + 0.1 * static_cast<double>(c);
    }
    const double top = *std::max_element(logits.begin(), logits.end());
    double z = 0;
    for (double& l : logits) z += (l = std::exp(l - top));
    const auto scores = classifier.scores(fit_to_model(seq, model->frames(), model->trim_margin()));
    ASSERT_EQ(scores.size(), 4u);
    for (size_t c = 0; c < 4; ++c) EXPECT_NEAR(scores[c], logits[c] / z, 1e-5) << "T=" << length;
  }
}

TEST(Contract, RejectsAFileThatIsNotOnnx) {
  const std::string text = testing::TempDir() + "model.onnx";
  std::ofstream(text) << "{\"this is\": \"JSON, not ONNX\"}";
  expect_error(text, "not an ONNX model");
  std::ifstream in(test::shipped_model(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string cut = testing::TempDir() + "truncated.onnx";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_error(cut, "not an ONNX model");
  expect_error(testing::TempDir() + "absent.onnx", "cannot open model file");
}

TEST(Contract, RejectsAWrongInputShape) {
  expect_error(test::test_model("wrong_width.onnx"), "is [1, 48, 257]; the last dimension must be 258");
  expect_error(test::test_model("wrong_rank.onnx"), "is [48, 258]; the contract wants [1, T, 258]");
}

TEST(Contract, RejectsMissingOrMiscountedLabels) {
  expect_error(test::test_model("no_labels.onnx"), "has no labels: add metadata_props key 'sueo.labels'");
  expect_error(test::test_model("label_mismatch.onnx"), "outputs 4 scores but has 3 labels");
  expect_error(test::test_model("bad_output_kind.onnx"), "'sueo.output' must be 'probabilities' or 'logits'");
}

// A second output, named by metadata 'sueo.embedding': the classification carries it, L2-normalised by
// the server, and the prototypes shipped in metadata are read (normalised too).
TEST(Contract, AModelWithAnEmbeddingOutput) {
  const auto model = ClassifierModel::load(test::test_model("embedding.onnx"));
  EXPECT_EQ(model->embedding_size(), 3);
  EXPECT_EQ(model->embedding_output(), "emb");
  EXPECT_EQ(model->scores_output(), "scores");
  ASSERT_EQ(model->prototypes().size(), 4u);
  EXPECT_NEAR(model->prototypes()[1][1], 1.0f, 1e-6);  // [0, 2, 0] -> [0, 1, 0]
  EXPECT_NEAR(model->prototypes()[3][0], std::sqrt(0.5f), 1e-6);
  Classifier classifier(model);
  Sequence seq(48);
  for (size_t f = 0; f < seq.size(); ++f) {
    seq[f][0] = 0.3f;
    seq[f][1] = 0.4f;
    seq[f][3] = 0.9f;  // class 3 wins: mean 0.9 + bias 0.3
  }
  const auto result = classifier.classify(seq);
  EXPECT_EQ(result.top.front().index, 3);
  ASSERT_EQ(result.embedding.size(), 3u);
  EXPECT_NEAR(result.embedding[0], 0.6f, 1e-5);  // [0.3, 0.4, 0] / 0.5
  EXPECT_NEAR(result.embedding[1], 0.8f, 1e-5);
  EXPECT_NEAR(result.embedding[2], 0.0f, 1e-5);
  const auto out = classifier.run(seq);
  EXPECT_EQ(out.embedding, result.embedding);
  EXPECT_NEAR(out.scores[3], 1.2f, 1e-5);  // probabilities as the model gives them (no softmax asked)
}

TEST(Contract, AModelWithoutAnEmbeddingStillWorks) {
  const auto model = ClassifierModel::load(test::test_model("dynamic_logits.onnx"));
  EXPECT_EQ(model->embedding_size(), 0);
  EXPECT_TRUE(model->prototypes().empty());
  Classifier classifier(model);
  EXPECT_TRUE(classifier.classify(Sequence(10)).embedding.empty());
}

TEST(Contract, RejectsAnUnnamedSecondOutputAndBadPrototypes) {
  expect_error(test::test_model("embedding_unnamed.onnx"), "none is the embedding 'embedding'");
  expect_error(test::test_model("embedding_bad_prototypes.onnx"), "one embedding per label (4)");
}

// Registered by CMake after tools/train/train.py ran a few steps on a slice of the real data.
TEST(TinyTraining, ExportsAModelTheClassifierLoadsWithParity) {
  const std::string model_path = test::env("SUEO_TINY_MODEL");
  if (model_path.empty()) GTEST_SKIP() << "run through CTest (sign.tiny_training_parity)";
  if (!test::exists(model_path))
    GTEST_SKIP() << "the tiny training run did not produce a model (no shared data?)";
  Classifier classifier(ClassifierModel::load(model_path));
  // train.py's default data: the two shared landmark sets (14 words), plus KSL-77's six words when
  // tools/train/extract_ksl77.sh has written their landmarks.
  const bool ksl77 = test::exists(test::source("build/ksl77/ksl77.npz"));
  const bool shared = test::exists(test::keti6());
  EXPECT_EQ(classifier.model().labels().size(), (shared ? 14u : 0u) + (ksl77 ? 6u : 0u));
  const auto fixture = test::load_parity(test::env("SUEO_TINY_PARITY"));
  EXPECT_FALSE(fixture.embeddings.empty()) << "train.py exports an embedding output by default";
  expect_parity(classifier, fixture);
}

}  // namespace
}  // namespace sueo::sign
