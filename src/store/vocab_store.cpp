#include "store/vocab_store.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "config.h"

namespace sueo::store {
namespace {

constexpr int kSchemaVersion = 1;

// Schema v1. Examples hang off their word (ON DELETE CASCADE), so removing a word is one statement.
// Word ids are never reused (AUTOINCREMENT): a word replaced under the same name is a new id, which is
// how TaughtWords knows its prototype must be made again.
// Landmarks are float32 little-endian, frames x 258 values (sign/layout.h), the layout of the .npz sets.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS words(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  word TEXT NOT NULL UNIQUE,
  gloss TEXT NOT NULL DEFAULT '',
  taught_at INTEGER NOT NULL,
  session TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS examples(
  id INTEGER PRIMARY KEY,
  word_id INTEGER NOT NULL REFERENCES words(id) ON DELETE CASCADE,
  frames INTEGER NOT NULL,
  landmarks BLOB NOT NULL,
  taught_at INTEGER NOT NULL,
  session TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS examples_word ON examples(word_id);
INSERT OR IGNORE INTO meta(key, value) VALUES('revision', 0);
)sql";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Valid UTF-8 without control characters: what a word typed on a keyboard looks like.
bool clean_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 1 && (c < 0x20 || c == 0x7F))) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

std::string encode(const sign::Sequence& frames) {
  std::string bytes(frames.size() * sign::kFrameValues * sizeof(float), '\0');
  for (size_t t = 0; t < frames.size(); ++t) {
    std::memcpy(bytes.data() + t * sign::kFrameValues * sizeof(float), frames[t].data(),
                sign::kFrameValues * sizeof(float));
  }
  return bytes;  // x86-64 and ARM64 are little endian, as the format says
}

sign::Sequence decode(std::string_view bytes, int64_t frames, const std::string& path) {
  const size_t frame_bytes = sign::kFrameValues * sizeof(float);
  if (frames < 0 || bytes.size() != static_cast<size_t>(frames) * frame_bytes)
    throw StoreError("vocabulary store '" + path + "': an example's landmarks do not match its frame count");
  sign::Sequence out(static_cast<size_t>(frames));
  for (size_t t = 0; t < out.size(); ++t) std::memcpy(out[t].data(), bytes.data() + t * frame_bytes, frame_bytes);
  return out;
}

}  // namespace

std::string default_store_path() { return project_home() + "/var/vocabulary.db"; }

VocabStore::VocabStore(const std::string& path)
    : path_(path), db_([&] {
        const auto dir = std::filesystem::path(path).parent_path();
        std::error_code ignored;
        if (!dir.empty()) std::filesystem::create_directories(dir, ignored);
        return path;
      }()) {
  // WAL: readers never block the writer, and a commit is one append to the log. synchronous=FULL
  // fsyncs the log at every commit, so a committed word survives power loss too, not only kill -9.
  db_.exec("PRAGMA journal_mode=WAL");
  db_.exec("PRAGMA synchronous=FULL");
  db_.exec("PRAGMA foreign_keys=ON");
  auto version = db_.prepare("PRAGMA user_version");
  version.step();
  const int64_t found = version.integer(0);
  if (found > kSchemaVersion) {
    throw StoreError("vocabulary store '" + path + "' has schema version " + std::to_string(found) +
                     ", newer than this sueo reads (" + std::to_string(kSchemaVersion) + ")");
  }
  Transaction tx(db_);
  db_.exec(kSchema);
  db_.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
  tx.commit();
}

void VocabStore::validate(const std::string& word, const std::string& gloss,
                          const std::vector<sign::Sequence>& examples) {
  if (word.empty() || word.size() > kMaxWordBytes || !clean_utf8(word))
    throw InvalidInput("the word must be 1-" + std::to_string(kMaxWordBytes) + " bytes of UTF-8 text without control characters");
  if (word.find_first_not_of(' ') == std::string::npos) throw InvalidInput("the word is blank");
  if (gloss.size() > kMaxGlossBytes || !clean_utf8(gloss))
    throw InvalidInput("the gloss must be at most " + std::to_string(kMaxGlossBytes) + " bytes of UTF-8 text");
  if (examples.empty() || examples.size() > kMaxExamples)
    throw InvalidInput("a word needs 1-" + std::to_string(kMaxExamples) + " examples, not " +
                       std::to_string(examples.size()));
  for (size_t i = 0; i < examples.size(); ++i) {
    const auto& e = examples[i];
    if (e.size() < kMinExampleFrames || e.size() > kMaxExampleFrames) {
      throw InvalidInput("example " + std::to_string(i + 1) + " has " + std::to_string(e.size()) + " frames; " +
                         std::to_string(kMinExampleFrames) + "-" + std::to_string(kMaxExampleFrames) + " allowed");
    }
    for (const auto& frame : e) {
      for (float v : frame) {
        if (!std::isfinite(v)) throw InvalidInput("example " + std::to_string(i + 1) + " holds a non-finite value");
      }
    }
  }
}

void VocabStore::insert_examples(int64_t word_id, const std::vector<sign::Sequence>& examples,
                                 const std::string& session, int64_t now) {
  auto insert = db_.prepare(
      "INSERT INTO examples(word_id, frames, landmarks, taught_at, session) VALUES(?, ?, ?, ?, ?)");
  for (const auto& e : examples) {
    const std::string bytes = encode(e);
    insert.bind(1, word_id).bind(2, static_cast<int64_t>(e.size())).bind_blob(3, bytes.data(), bytes.size());
    insert.bind(4, now).bind(5, session).run();
    insert.reset();
  }
}

void VocabStore::bump_revision() { db_.exec("UPDATE meta SET value = value + 1 WHERE key = 'revision'"); }

int64_t VocabStore::insert_word(const NewWord& w, const std::string& session, int64_t now) {
  db_.prepare("INSERT INTO words(word, gloss, taught_at, session) VALUES(?, ?, ?, ?)")
      .bind(1, w.word).bind(2, w.gloss).bind(3, now).bind(4, session).run();
  const int64_t id = db_.last_insert_id();
  insert_examples(id, w.examples, session, now);
  return id;
}

int64_t VocabStore::add_word(const std::string& word, const std::string& gloss,
                             const std::vector<sign::Sequence>& examples, const std::string& session, bool replace) {
  validate(word, gloss, examples);
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  if (replace) {
    db_.prepare("DELETE FROM words WHERE word = ?").bind(1, word).run();
  } else {
    auto exists = db_.prepare("SELECT 1 FROM words WHERE word = ?");
    if (exists.bind(1, word).step()) throw InvalidInput("'" + word + "' is already taught");
  }
  const int64_t id = insert_word({word, gloss, examples}, session, now_ms());
  bump_revision();
  tx.commit();
  return id;
}

std::vector<std::string> VocabStore::add_words(const std::vector<NewWord>& words, const std::string& session,
                                               bool replace) {
  for (const auto& w : words) validate(w.word, w.gloss, w.examples);
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  std::vector<std::string> skipped;
  const int64_t now = now_ms();
  for (const auto& w : words) {
    if (replace) {
      db_.prepare("DELETE FROM words WHERE word = ?").bind(1, w.word).run();
    } else if (db_.prepare("SELECT 1 FROM words WHERE word = ?").bind(1, w.word).step()) {
      skipped.push_back(w.word);
      continue;
    }
    insert_word(w, session, now);
  }
  if (skipped.size() < words.size()) bump_revision();
  tx.commit();
  return skipped;
}

bool VocabStore::add_examples(const std::string& word, const std::vector<sign::Sequence>& examples,
                              const std::string& session) {
  validate(word, "", examples);
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  auto find = db_.prepare("SELECT id, (SELECT COUNT(*) FROM examples WHERE word_id = words.id) FROM words WHERE word = ?");
  if (!find.bind(1, word).step()) return false;
  const int64_t id = find.integer(0);
  if (static_cast<size_t>(find.integer(1)) + examples.size() > kMaxExamples)
    throw InvalidInput("'" + word + "' would have more than " + std::to_string(kMaxExamples) + " examples");
  insert_examples(id, examples, session, now_ms());
  bump_revision();
  tx.commit();
  return true;
}

bool VocabStore::remove_word(const std::string& word) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  db_.prepare("DELETE FROM words WHERE word = ?").bind(1, word).run();
  if (db_.changes() == 0) return false;
  bump_revision();
  tx.commit();
  return true;
}

bool VocabStore::rename_word(const std::string& word, const std::string& to, const std::string& gloss) {
  validate(to, gloss, {sign::Sequence(kMinExampleFrames)});
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  if (to != word) {
    auto taken = db_.prepare("SELECT 1 FROM words WHERE word = ?");
    if (taken.bind(1, to).step()) throw InvalidInput("'" + to + "' is already taught");
  }
  db_.prepare("UPDATE words SET word = ?, gloss = ? WHERE word = ?").bind(1, to).bind(2, gloss).bind(3, word).run();
  if (db_.changes() == 0) return false;
  bump_revision();
  tx.commit();
  return true;
}

std::vector<TaughtExample> VocabStore::examples_of(int64_t word_id) const {
  auto q = db_.prepare("SELECT id, frames, landmarks, taught_at, session FROM examples WHERE word_id = ? ORDER BY id");
  q.bind(1, word_id);
  std::vector<TaughtExample> out;
  while (q.step()) out.push_back({q.integer(0), decode(q.blob(2), q.integer(1), path_), q.integer(3), q.text(4)});
  return out;
}

std::vector<TaughtWord> VocabStore::list(bool with_examples) const {
  std::lock_guard lock(mutex_);
  // One read transaction, so the words and their examples come from the same committed state.
  Transaction tx(db_, Transaction::Kind::kRead);
  auto q = db_.prepare(
      "SELECT w.id, w.word, w.gloss, w.taught_at, w.session, COUNT(e.id), COALESCE(SUM(LENGTH(e.landmarks)), 0) "
      "FROM words w LEFT JOIN examples e ON e.word_id = w.id GROUP BY w.id ORDER BY w.taught_at, w.id");
  std::vector<TaughtWord> out;
  while (q.step()) {
    TaughtWord w{q.integer(0), q.text(1), q.text(2), q.integer(3), q.text(4), static_cast<int>(q.integer(5)),
                 q.integer(6), {}};
    out.push_back(std::move(w));
  }
  if (with_examples) {
    for (auto& w : out) w.examples = examples_of(w.id);
  }
  tx.commit();
  return out;
}

std::optional<TaughtWord> VocabStore::find(const std::string& word) const {
  std::lock_guard lock(mutex_);
  Transaction tx(db_, Transaction::Kind::kRead);
  auto q = db_.prepare("SELECT id, word, gloss, taught_at, session FROM words WHERE word = ?");
  if (!q.bind(1, word).step()) return std::nullopt;
  TaughtWord w{q.integer(0), q.text(1), q.text(2), q.integer(3), q.text(4), 0, 0, examples_of(q.integer(0))};
  w.example_count = static_cast<int>(w.examples.size());
  for (const auto& e : w.examples) w.landmark_bytes += static_cast<int64_t>(e.frames.size() * sign::kFrameValues * 4);
  tx.commit();
  return w;
}

int64_t VocabStore::revision() const {
  std::lock_guard lock(mutex_);
  auto q = db_.prepare("SELECT value FROM meta WHERE key = 'revision'");
  return q.step() ? q.integer(0) : 0;
}

int64_t VocabStore::file_bytes() const {
  std::error_code ec;
  int64_t total = 0;
  for (const std::string& f : {path_, path_ + "-wal"}) {
    const auto size = std::filesystem::file_size(f, ec);
    if (!ec) total += static_cast<int64_t>(size);
  }
  return total;
}

}  // namespace sueo::store
