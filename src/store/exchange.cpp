#include "store/exchange.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "sign/landmark_set.h"
#include "sign/npz.h"

namespace sueo::store {

std::string sidecar_json(const std::string& npz_path) {
  return std::filesystem::path(npz_path).replace_extension(".json").string();
}

size_t export_words(const VocabStore& store, const std::string& npz_path) {
  const auto words = store.list(true);
  size_t n = 0, longest = 0;
  for (const auto& w : words) {
    for (const auto& e : w.examples) {
      ++n;
      longest = std::max(longest, e.frames.size());
    }
  }
  std::vector<float> x(n * longest * sign::kFrameValues, 0.0f);
  std::vector<int32_t> lengths;
  std::vector<std::string> labels, signers, files;
  nlohmann::json index = nlohmann::json::array();
  size_t row = 0;
  for (const auto& w : words) {
    for (const auto& e : w.examples) {
      for (size_t t = 0; t < e.frames.size(); ++t) {
        std::copy(e.frames[t].begin(), e.frames[t].end(), x.begin() + static_cast<long>((row * longest + t) * sign::kFrameValues));
      }
      lengths.push_back(static_cast<int32_t>(e.frames.size()));
      labels.push_back(w.word);
      signers.push_back(e.session.empty() ? "unknown" : e.session);
      files.push_back("taught/" + w.word + "/" + std::to_string(e.id));
      ++row;
    }
    index.push_back({{"word", w.word}, {"gloss", w.gloss}, {"taught_at_ms", w.taught_at_ms},
                     {"session", w.session}, {"examples", w.example_count}});
  }
  sign::write_npz(npz_path, {{"X", sign::npy_float32({n, longest, sign::kFrameValues}, x)},
                             {"lengths", sign::npy_int32(lengths)},
                             {"labels", sign::npy_strings(labels)},
                             {"signers", sign::npy_strings(signers)},
                             {"files", sign::npy_strings(files)}});
  const nlohmann::json doc = {{"format", "sueo-taught-words"}, {"version", 1}, {"words", index}};
  std::ofstream(sidecar_json(npz_path)) << doc.dump(1) << "\n";
  return words.size();
}

ImportReport import_words(VocabStore& store, const std::string& npz_path, bool replace, const std::string& session) {
  const auto set = sign::load_landmark_set(npz_path);
  std::map<std::string, std::string> glosses;
  const std::string json_path = sidecar_json(npz_path);
  if (std::filesystem::exists(json_path)) {
    std::ifstream in(json_path);
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& error) {
      throw InvalidInput(json_path + " is not valid JSON: " + error.what());
    }
    for (const auto& w : doc.value("words", nlohmann::json::array())) {
      if (w.is_object() && w.contains("word") && w["word"].is_string())
        glosses[w["word"].get<std::string>()] = w.value("gloss", "");
    }
  }
  std::vector<NewWord> words;  // in the file's order of first appearance
  for (size_t i = 0; i < set.sequences.size(); ++i) {
    auto it = std::find_if(words.begin(), words.end(), [&](const NewWord& w) { return w.word == set.classes[i]; });
    if (it == words.end()) {
      words.push_back({set.classes[i], glosses[set.classes[i]], {}});
      it = words.end() - 1;
    }
    it->examples.push_back(set.sequences[i]);
  }
  ImportReport report;
  report.skipped = store.add_words(words, session, replace);
  for (const auto& w : words) {
    if (std::find(report.skipped.begin(), report.skipped.end(), w.word) == report.skipped.end())
      report.added.push_back(w.word);
  }
  return report;
}

}  // namespace sueo::store
