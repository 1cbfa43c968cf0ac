// The shared vocabulary (models/vocabulary.json): which dataset class names are the same sign. Read
// by tools/train/sueo_data.py for training and here for `sueo eval`, so both map class names the
// same way.
// Thread: immutable after load(); any thread.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace sueo::sign {

class Vocabulary {
 public:
  // Throws std::runtime_error when the file is missing, malformed, or one alias names two words.
  static Vocabulary load(const std::string& path);

  // The vocabulary word a dataset class name stands for (the word itself or one of its aliases).
  std::optional<std::string> word_for(const std::string& class_name) const;
  size_t size() const { return words_; }

 private:
  std::map<std::string, std::string> alias_;  // class name -> word
  size_t words_ = 0;
};

}  // namespace sueo::sign
