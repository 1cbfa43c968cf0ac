#include "sign/vocabulary.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace sueo::sign {

Vocabulary Vocabulary::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open vocabulary '" + path + "'");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(path + " is not valid JSON: " + error.what());
  }
  if (!json.contains("words") || !json["words"].is_array())
    throw std::runtime_error(path + ": no \"words\" array");
  Vocabulary vocabulary;
  for (const auto& entry : json["words"]) {
    const std::string word = entry.at("word").get<std::string>();
    std::vector<std::string> names{word};
    for (const auto& alias : entry.value("aliases", nlohmann::json::array()))
      names.push_back(alias.get<std::string>());
    for (const auto& name : names) {
      const auto [it, inserted] = vocabulary.alias_.emplace(name, word);
      if (!inserted && it->second != word) {
        throw std::runtime_error(path + ": '" + name + "' names two words ('" + it->second + "' and '" +
                                 word + "')");
      }
    }
    ++vocabulary.words_;
  }
  return vocabulary;
}

std::optional<std::string> Vocabulary::word_for(const std::string& class_name) const {
  const auto it = alias_.find(class_name);
  if (it == alias_.end()) return std::nullopt;
  return it->second;
}

}  // namespace sueo::sign
