// `sueo eval`: scores a sign model on a labelled landmark set (.npz): accuracy per class, confusion
// matrix, and a last line of JSON for scripts. Dataset class names are mapped to the model's words
// through models/vocabulary.json — the same table training uses. `--dump F.npz` also writes every
// sequence's scores and embedding (the C++ path's numbers) for offline calibration and few-shot tools.
// `--store F.db` also scores the server's decision (decide_sign: sign/matcher.h, then the probability
// thresholds; the serve flags and defaults) with the taught words of that store: how often built-in
// words stay right, taught words are found, and other signs are refused.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/sign_options.h"
#include "config.h"
#include "pipeline/sign_reader.h"
#include "sign/classifier.h"
#include "sign/landmark_set.h"
#include "sign/npz.h"
#include "sign/resample.h"
#include "sign/matcher.h"
#include "sign/vocabulary.h"
#include "store/taught_words.h"

namespace sueo::app {
namespace {

struct EvalOptions {
  std::string model;
  std::string data;
  std::string vocabulary;
  std::string dump;
  std::string store;
  DecisionSettings decision;  // with --store: the server's decision (sign_options.h flags and defaults)
};

// Every sequence of the set, matched to a label or not: scores [N, C], embeddings [N, D] (D = 0 without
// an embedding output), the set's class name and the label index it matched (-1: none).
struct Dump {
  std::vector<float> scores, embeddings;
  std::vector<std::string> classes;
  std::vector<int32_t> truth;

  void write(const std::string& path, size_t labels, size_t dims) const {
    const size_t n = truth.size();
    sign::write_npz(path, {{"scores", sign::npy_float32({n, labels}, scores)},
                           {"embeddings", sign::npy_float32({n, dims}, embeddings)},
                           {"labels", sign::npy_strings(classes)},
                           {"truth", sign::npy_int32(truth)}});
  }
};

// Model label index for a dataset class: through the vocabulary, else the class name itself as a
// word or gloss (a user's model with its own labels). -1 when nothing matches.
int label_for(const std::string& name, const sign::Vocabulary& vocabulary,
              const std::vector<sign::Label>& labels) {
  const std::string word = vocabulary.word_for(name).value_or(name);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].word == word || labels[i].word == name || labels[i].gloss == name)
      return static_cast<int>(i);
  }
  return -1;
}

void print_confusion(const std::vector<std::vector<int>>& confusion, const std::vector<sign::Label>& labels,
                     const std::vector<int>& rows) {
  std::set<int> cols(rows.begin(), rows.end());
  for (size_t i : std::vector<size_t>(rows.begin(), rows.end())) {
    for (size_t j = 0; j < labels.size(); ++j) {
      if (confusion[i][j] > 0) cols.insert(static_cast<int>(j));
    }
  }
  std::printf("\nconfusion matrix (rows: true, columns: predicted; numbers are label indices above)\n%8s",
              "");
  for (int j : cols) std::printf("%5d", j);
  std::printf("\n");
  for (int i : rows) {
    std::printf("%8d", i);
    for (int j : cols) std::printf("%5d", confusion[static_cast<size_t>(i)][static_cast<size_t>(j)]);
    std::printf("\n");
  }
}

// Every sequence through the server's decision (decide_sign: Matcher, then the probability thresholds)
// with the store's taught words. A sequence's truth is its model word, else a taught word of the same
// name, else none (it should be refused). A built-in word answered unknown_sign or low_confidence
// counts as not right, as a person at the page would see it.
nlohmann::json eval_with_taught(const std::shared_ptr<const sign::ClassifierModel>& model, sign::Classifier& classifier,
                                const sign::LandmarkSet& set, const sign::Vocabulary& vocabulary,
                                const EvalOptions& options) {
  store::TaughtWords taught(std::make_shared<store::VocabStore>(options.store));
  taught.refresh(classifier);
  const auto words = taught.current();
  std::set<std::string> taught_words;
  for (const auto& w : words->words) taught_words.insert(w.word);
  int builtin_n = 0, builtin_right = 0, builtin_refused = 0, stolen = 0, taught_n = 0, taught_right = 0, other_n = 0,
      refused = 0;
  for (size_t i = 0; i < set.sequences.size(); ++i) {
    if (set.sequences[i].empty()) continue;
    const SignAnswer a = decide_sign(classifier.classify(set.sequences[i]), model, words, options.decision);
    const int label = label_for(set.classes[i], vocabulary, model->labels());
    if (label >= 0) {
      ++builtin_n;
      builtin_right += a.named() && !a.taught && a.word == model->labels()[static_cast<size_t>(label)].word;
      builtin_refused += !a.named();
      stolen += a.taught;
    } else if (taught_words.count(set.classes[i])) {
      ++taught_n;
      taught_right += a.taught && a.word == set.classes[i];
    } else {
      ++other_n;
      refused += !a.named();
    }
  }
  const auto rate = [](int a, int b) { return b ? static_cast<double>(a) / b : 0.0; };
  const DecisionSettings& d = options.decision;
  std::printf("\nwith %zu taught words from %s (taught: min similarity %.2f, margin %.2f; built-in: min similarity "
              "%.2f, accept %.2f, low %.2f):\n"
              "  built-in words right %d/%d (%d refused, %d taken by a taught word), taught words right %d/%d, "
              "other signs refused %d/%d\n",
              taught_words.size(), options.store.c_str(), d.match.min_similarity, d.match.taught_margin,
              d.match.min_builtin_similarity, d.accept, d.low, builtin_right, builtin_n, builtin_refused, stolen,
              taught_right, taught_n, refused, other_n);
  return {{"taught_words", taught_words.size()}, {"builtin_n", builtin_n},
          {"builtin_accuracy", rate(builtin_right, builtin_n)}, {"builtin_refused", builtin_refused},
          {"builtin_taken", stolen}, {"taught_n", taught_n}, {"taught_accuracy", rate(taught_right, taught_n)},
          {"other_n", other_n}, {"other_refused", rate(refused, other_n)}};
}

}  // namespace

int run_eval(const std::vector<std::string>& args) {
  EvalOptions options;
  const std::string home = project_home();
  const std::vector<Option> table = with_options({
      {"--model", "SUEO_MODEL", home + "/models/sueo-ksl.onnx", "sign model (ONNX, docs/model.md)",
       set_string(options.model)},
      {"--data", "", "", "labelled landmark set (.npz: X, lengths, y + classes or labels)",
       set_string(options.data)},
      {"--vocabulary", "SUEO_VOCABULARY", home + "/models/vocabulary.json",
       "class-name reconciliation table shared with training", set_string(options.vocabulary)},
      {"--dump", "", "", "also write every sequence's scores and embedding to this .npz (scores, embeddings, "
       "labels, truth)", set_string(options.dump)},
      {"--store", "", "", "also score the server's decision with this store's taught words (sueo vocab; the "
       "decision flags below)", set_string(options.store)},
  }, decision_options(options.decision));
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested) {
    std::printf("%s", format_help("sueo eval [--model M] --data FILE.npz", table).c_str());
    return 0;
  }
  if (options.data.empty()) throw ConfigError("--data FILE.npz is required (see --help)");

  const auto model = sign::ClassifierModel::load(options.model);
  sign::Classifier classifier(model, 3);
  const auto vocabulary = sign::Vocabulary::load(options.vocabulary);
  const auto set = sign::load_landmark_set(options.data);
  const auto& labels = model->labels();

  std::vector<std::vector<int>> confusion(labels.size(), std::vector<int>(labels.size(), 0));
  std::map<std::string, int> unmatched;
  std::vector<double> ms;
  int n = 0, top1 = 0, top3 = 0;
  Dump dump;
  const auto dims = static_cast<size_t>(model->embedding_size());
  for (size_t i = 0; i < set.sequences.size() && !options.dump.empty(); ++i) {
    const auto fitted = sign::fit_to_model(set.sequences[i], model->frames(), model->trim_margin());
    auto out = set.sequences[i].empty() ? sign::ModelOutput{std::vector<float>(labels.size(), 0.0f),
                                                            std::vector<float>(dims, 0.0f)}
                                        : classifier.run(fitted);
    dump.scores.insert(dump.scores.end(), out.scores.begin(), out.scores.end());
    dump.embeddings.insert(dump.embeddings.end(), out.embedding.begin(), out.embedding.end());
    dump.classes.push_back(set.classes[i]);
    dump.truth.push_back(label_for(set.classes[i], vocabulary, labels));
  }
  if (!options.dump.empty()) dump.write(options.dump, labels.size(), dims);
  for (size_t i = 0; i < set.sequences.size(); ++i) {
    const int truth = label_for(set.classes[i], vocabulary, labels);
    if (truth < 0) {
      ++unmatched[set.classes[i]];
      continue;
    }
    if (set.sequences[i].empty()) continue;
    const auto result = classifier.classify(set.sequences[i]);
    ms.push_back(result.ms);
    ++n;
    ++confusion[static_cast<size_t>(truth)][static_cast<size_t>(result.top.front().index)];
    top1 += result.top.front().index == truth;
    top3 +=
        std::any_of(result.top.begin(), result.top.end(), [&](const auto& p) { return p.index == truth; });
  }
  std::printf("model %s (%zu labels, T=%d), data %s\n\n", options.model.c_str(), labels.size(),
              model->frames(), options.data.c_str());
  std::printf("%5s  %-28s %6s %8s\n", "label", "word (gloss)", "n", "top-1");
  std::vector<int> rows;
  for (size_t i = 0; i < labels.size(); ++i) {
    int total = 0;
    for (int v : confusion[i]) total += v;
    if (total == 0) continue;
    rows.push_back(static_cast<int>(i));
    const std::string name = labels[i].word + " (" + labels[i].gloss + ")";
    std::printf("%5zu  %s %6d %8.3f\n", i, name.c_str(), total, static_cast<double>(confusion[i][i]) / total);
  }
  for (const auto& [name, count] : unmatched) {
    std::printf("  not in the model's vocabulary, skipped: %s (%d)\n", name.c_str(), count);
  }
  print_confusion(confusion, labels, rows);
  std::sort(ms.begin(), ms.end());
  nlohmann::json summary = {
      {"accuracy", n ? static_cast<double>(top1) / n : 0.0},
      {"top3", n ? static_cast<double>(top3) / n : 0.0},
      {"n", n},
      {"unmatched", static_cast<int>(set.sequences.size()) - n},
      {"ms_median", ms.empty() ? 0.0 : ms[ms.size() / 2]},
      {"model", options.model},
      {"data", options.data},
  };
  if (!options.store.empty()) summary["with_taught"] = eval_with_taught(model, classifier, set, vocabulary, options);
  std::printf("\naccuracy %.4f  top-3 %.4f  n %d\n%s\n", summary["accuracy"].get<double>(),
              summary["top3"].get<double>(), n, summary.dump().c_str());
  return n > 0 || !options.dump.empty() || !options.store.empty() ? 0 : 1;
}

}  // namespace sueo::app
