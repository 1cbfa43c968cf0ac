// The taught vocabulary: words people added (Korean word, optional English gloss) with the landmark
// sequences of their examples — landmarks only, never images — and when and from which session each
// was taught. One SQLite file (--store PATH / SUEO_STORE), WAL mode, created on first use; every
// change is one transaction, so a crash (kill -9, power loss) leaves either the whole change or none.
//
//   VocabStore store("var/vocabulary.db");
//   store.add_word("우유", "milk", examples, "session-7");   // all or nothing
//   for (const auto& w : store.list(/*with_examples=*/true)) ...
//
// Thread: any thread; one mutex serialises use of the connection. Writes are short (a few hundred
// KB), but they wait for the disk (synchronous=FULL): keep them off the GLib main loop.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sign/layout.h"
#include "store/sqlite.h"

namespace sueo::store {

// Limits on what a client may store; breaking one throws InvalidInput (the caller's error, not the store's).
inline constexpr size_t kMaxWordBytes = 120;      // about 40 Hangul syllables in UTF-8
inline constexpr size_t kMaxGlossBytes = 200;
inline constexpr size_t kMaxExamples = 10;        // per word
inline constexpr size_t kMinExampleFrames = 2;    // a sign needs motion
inline constexpr size_t kMaxExampleFrames = 600;  // 20 s at 30 fps: longer is not one sign

struct InvalidInput : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct TaughtExample {
  int64_t id = 0;
  sign::Sequence frames;
  int64_t taught_at_ms = 0;  // Unix time
  std::string session;
};

struct TaughtWord {
  int64_t id = 0;
  std::string word;
  std::string gloss;
  int64_t taught_at_ms = 0;  // when the word was first taught
  std::string session;
  int example_count = 0;
  int64_t landmark_bytes = 0;           // stored landmark data of its examples
  std::vector<TaughtExample> examples;  // filled by list(true) / find()
};

struct NewWord {
  std::string word;
  std::string gloss;
  std::vector<sign::Sequence> examples;
};

class VocabStore {
 public:
  // Opens the file, creating it (and its directory) when absent. Throws StoreError.
  explicit VocabStore(const std::string& path);

  // A new word with its examples. Throws InvalidInput for a bad word/gloss/example or when the word is
  // already taught and `replace` is false (with `replace`, the old word and examples go in the same
  // transaction). Returns the word's id.
  int64_t add_word(const std::string& word, const std::string& gloss, const std::vector<sign::Sequence>& examples,
                   const std::string& session, bool replace = false);
  // Several words in one transaction (an import): all of them or none. Words already taught are skipped
  // (and returned) unless `replace`. Throws InvalidInput before writing anything when one is invalid.
  std::vector<std::string> add_words(const std::vector<NewWord>& words, const std::string& session, bool replace);
  // More examples for a taught word; false when the word is not taught.
  bool add_examples(const std::string& word, const std::vector<sign::Sequence>& examples, const std::string& session);
  bool remove_word(const std::string& word);  // false when absent
  // New word and gloss for a taught word; false when absent; InvalidInput when `to` is another taught word.
  bool rename_word(const std::string& word, const std::string& to, const std::string& gloss);

  std::vector<TaughtWord> list(bool with_examples) const;
  std::optional<TaughtWord> find(const std::string& word) const;
  // Counts every committed change, by any process using the file: a reader that saw revision r needs
  // to reload only when revision() != r.
  int64_t revision() const;
  // Bytes on disk: the database file plus its write-ahead log.
  int64_t file_bytes() const;
  const std::string& path() const { return path_; }

  // Checks a word, gloss and example set against the limits above; throws InvalidInput.
  static void validate(const std::string& word, const std::string& gloss, const std::vector<sign::Sequence>& examples);

 private:
  int64_t insert_word(const NewWord& w, const std::string& session, int64_t now_ms);
  void insert_examples(int64_t word_id, const std::vector<sign::Sequence>& examples, const std::string& session,
                       int64_t now_ms);
  void bump_revision();
  std::vector<TaughtExample> examples_of(int64_t word_id) const;

  std::string path_;
  mutable std::mutex mutex_;
  mutable Database db_;
};

// The default store file: $SUEO_HOME/var/vocabulary.db (var/ is gitignored).
std::string default_store_path();

}  // namespace sueo::store
