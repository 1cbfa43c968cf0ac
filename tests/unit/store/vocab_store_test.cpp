// The vocabulary store on a real SQLite file: what goes in comes out bit for bit, limits are enforced,
// a failed write leaves nothing behind, and a process killed with SIGKILL in the middle of writing
// leaves a file that opens, passes SQLite's integrity check and holds only whole words.
#include "store/vocab_store.h"
#include "store/exchange.h"
#include "store/taught_words.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

namespace sueo::store {
namespace {

namespace fs = std::filesystem;

std::string fresh_path(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("sueo_store_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  return (dir / "sub" / "vocabulary.db").string();  // the directory does not exist yet
}

// A sequence whose every value tells where it came from, so a mixed-up or torn example is caught.
sign::Sequence example(int word, int take, size_t frames = 40) {
  sign::Sequence s(frames);
  for (size_t t = 0; t < frames; ++t) {
    for (size_t v = 0; v < sign::kFrameValues; ++v) s[t][v] = static_cast<float>(word * 1000 + take * 10) + 0.001f * static_cast<float>(t + v);
  }
  return s;
}

std::vector<sign::Sequence> examples(int word, int n, size_t frames = 40) {
  std::vector<sign::Sequence> out;
  for (int i = 0; i < n; ++i) out.push_back(example(word, i, frames));
  return out;
}

TEST(VocabStore, CreatesTheFileInWalModeAndKeepsWhatWasTaught) {
  const std::string path = fresh_path("roundtrip");
  {
    VocabStore store(path);
    EXPECT_TRUE(fs::exists(path));
    auto mode = Database(path).prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
    EXPECT_EQ(store.revision(), 0);
    store.add_word("우유", "milk", examples(1, 3), "session-a");
    store.add_word("병원", "", examples(2, 5), "session-b");
    EXPECT_EQ(store.revision(), 2);
  }
  VocabStore reopened(path);  // a restart
  const auto words = reopened.list(true);
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].word, "우유");
  EXPECT_EQ(words[0].gloss, "milk");
  EXPECT_EQ(words[0].session, "session-a");
  EXPECT_EQ(words[0].example_count, 3);
  EXPECT_EQ(words[0].landmark_bytes, 3 * 40 * 258 * 4);
  ASSERT_EQ(words[1].examples.size(), 5u);
  EXPECT_EQ(words[1].examples[4].frames, example(2, 4));  // bit for bit
  EXPECT_GT(words[1].examples[0].taught_at_ms, 1'700'000'000'000);
  EXPECT_TRUE(reopened.list(false)[0].examples.empty());
  EXPECT_EQ(reopened.find("병원")->examples[2].frames, example(2, 2));
  EXPECT_FALSE(reopened.find("없다").has_value());
}

TEST(VocabStore, RemoveRenameAddExamplesAndReplace) {
  VocabStore store(fresh_path("edit"));
  store.add_word("가다", "go", examples(1, 3), "s");
  store.add_word("자다", "sleep", examples(2, 3), "s");
  EXPECT_THROW(store.add_word("가다", "", examples(3, 3), "s"), InvalidInput);  // already taught
  store.add_word("가다", "go (2)", examples(3, 4), "s", /*replace=*/true);
  EXPECT_EQ(store.find("가다")->example_count, 4);
  EXPECT_EQ(store.find("가다")->examples[0].frames, example(3, 0));
  EXPECT_TRUE(store.add_examples("가다", examples(4, 2), "t"));
  EXPECT_EQ(store.find("가다")->example_count, 6);
  EXPECT_FALSE(store.add_examples("없다", examples(4, 1), "t"));
  EXPECT_THROW(store.add_examples("가다", examples(4, 5), "t"), InvalidInput);  // 11 > 10
  EXPECT_THROW(store.rename_word("가다", "자다", ""), InvalidInput);             // taken
  EXPECT_TRUE(store.rename_word("가다", "걷다", "walk"));
  EXPECT_EQ(store.find("걷다")->gloss, "walk");
  EXPECT_FALSE(store.find("가다").has_value());
  EXPECT_TRUE(store.remove_word("걷다"));
  EXPECT_FALSE(store.remove_word("걷다"));
  ASSERT_EQ(store.list(false).size(), 1u);
  auto left = Database(store.path()).prepare("SELECT COUNT(*) FROM examples");
  left.step();
  EXPECT_EQ(left.integer(0), 3);  // the removed word's examples went with it
}

TEST(VocabStore, RefusesBadInput) {
  VocabStore store(fresh_path("limits"));
  EXPECT_THROW(store.add_word("", "", examples(1, 3), "s"), InvalidInput);
  EXPECT_THROW(store.add_word("  ", "", examples(1, 3), "s"), InvalidInput);
  EXPECT_THROW(store.add_word("a\nb", "", examples(1, 3), "s"), InvalidInput);
  EXPECT_THROW(store.add_word(std::string("\xff\xfe"), "", examples(1, 3), "s"), InvalidInput);
  EXPECT_THROW(store.add_word(std::string(kMaxWordBytes + 1, 'a'), "", examples(1, 3), "s"), InvalidInput);
  EXPECT_THROW(store.add_word("우유", std::string(kMaxGlossBytes + 1, 'g'), examples(1, 3), "s"), InvalidInput);
  EXPECT_THROW(store.add_word("우유", "", {}, "s"), InvalidInput);
  EXPECT_THROW(store.add_word("우유", "", examples(1, 11), "s"), InvalidInput);
  EXPECT_THROW(store.add_word("우유", "", examples(1, 3, 1), "s"), InvalidInput);  // one frame
  EXPECT_THROW(store.add_word("우유", "", examples(1, 3, kMaxExampleFrames + 1), "s"), InvalidInput);
  auto nan = examples(1, 3);
  nan[1][5][7] = std::nanf("");
  EXPECT_THROW(store.add_word("우유", "", nan, "s"), InvalidInput);
  EXPECT_TRUE(store.list(false).empty());
  EXPECT_EQ(store.revision(), 0);
}

// A write that fails half-way (here SQLite refuses the third example) leaves no word and no example.
TEST(VocabStore, AFailedWriteLeavesNothing) {
  VocabStore store(fresh_path("atomic"));
  Database(store.path()).exec(
      "CREATE TRIGGER third_fails BEFORE INSERT ON examples WHEN (SELECT COUNT(*) FROM examples) >= 2 "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  EXPECT_THROW(store.add_word("우유", "milk", examples(1, 3), "s"), StoreError);
  EXPECT_TRUE(store.list(false).empty());
  auto left = Database(store.path()).prepare("SELECT COUNT(*) FROM examples");
  left.step();
  EXPECT_EQ(left.integer(0), 0);
  EXPECT_EQ(store.revision(), 0);
  store.add_word("우유", "milk", examples(1, 2), "s");  // the store is still usable
  EXPECT_EQ(store.list(false).size(), 1u);
}

TEST(VocabStore, ASecondConnectionSeesChangesThroughTheRevision) {
  const std::string path = fresh_path("revision");
  VocabStore server(path);
  VocabStore cli(path);  // e.g. `sueo vocab add` while the server runs
  const int64_t seen = server.revision();
  cli.add_word("감사", "thanks", examples(1, 3), "cli");
  EXPECT_NE(server.revision(), seen);
  EXPECT_EQ(server.list(false).at(0).word, "감사");
}

TEST(VocabStore, RefusesAFileThatIsNotADatabase) {
  const std::string path = fresh_path("garbage");
  fs::create_directories(fs::path(path).parent_path());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  std::fputs("this is not a database, just text that is long enough to look like a header of some sort", f);
  std::fclose(f);
  EXPECT_THROW(VocabStore{path}, StoreError);
}

// kill -9 while a child process writes words as fast as it can: every reopen must find a sound file
// holding only whole words (all five examples, each exactly as written) and never lose a word that
// an earlier reopen saw.
TEST(VocabStore, SurvivesKillNineDuringWrites) {
  const std::string path = fresh_path("kill9");
  { VocabStore create(path); }
  std::mt19937 rng(42);
  size_t seen = 0;
  int killed_mid_write = 0;
  for (int round = 0; round < 12; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      try {
        VocabStore store(path);
        for (int i = 0;; ++i) {
          const int id = round * 100000 + i;
          store.add_word("w" + std::to_string(id), "", examples(id % 997, 5, 120), "kill9");
        }
      } catch (...) {
      }
      _exit(3);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 60));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    killed_mid_write += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    VocabStore store(path);
    auto check = Database(path).prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.step());
    ASSERT_EQ(check.text(0), "ok") << "round " << round;
    const auto words = store.list(true);
    ASSERT_GE(words.size(), seen) << "a committed word was lost";
    seen = words.size();
    for (const auto& w : words) {
      ASSERT_EQ(w.examples.size(), 5u) << w.word;
      const int id = std::stoi(w.word.substr(1));
      for (int k = 0; k < 5; ++k) ASSERT_EQ(w.examples[static_cast<size_t>(k)].frames, example(id % 997, k, 120)) << w.word;
    }
  }
  EXPECT_EQ(killed_mid_write, 12);
  EXPECT_GT(seen, 12u);  // the children did write between kills
}

// Export writes what tools/train reads (sueo_data.load_npz: labels and signer groups); import brings it
// back into another store whole, skipping words it already has unless told to replace them.
TEST(Exchange, ExportReadByTrainingAndImportedBack) {
  VocabStore from(fresh_path("export"));
  from.add_word("우유", "milk", examples(1, 3), "session-a");
  from.add_word("병원", "hospital", examples(2, 4, 55), "session-b");
  const std::string out = fs::path(from.path()).parent_path() / "taught.npz";
  EXPECT_EQ(export_words(from, out), 2u);
  ASSERT_TRUE(fs::exists(sidecar_json(out)));
  const std::string probe = "/usr/bin/python3 -c \"import sys; sys.path.insert(0, '" + std::string(SUEO_SOURCE_DIR) +
                            "/tools/train'); from sueo_data import load_npz; d = load_npz('" + out +
                            "'); print(len(d.sequences), sorted(set(d.classes)), sorted(set(d.groups.tolist())), "
                            "len(d.sequences[3]))\"";
  std::FILE* p = popen(probe.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char line[512] = {};
  const bool got = std::fgets(line, sizeof line, p) != nullptr;
  pclose(p);
  ASSERT_TRUE(got) << probe;
  EXPECT_EQ(std::string(line), "7 ['병원', '우유'] ['session-a', 'session-b'] 55\n");

  VocabStore to(fresh_path("import"));
  to.add_word("우유", "old", examples(9, 2), "x");
  auto report = import_words(to, out, false, "imported");
  EXPECT_EQ(report.added, std::vector<std::string>{"병원"});
  EXPECT_EQ(report.skipped, std::vector<std::string>{"우유"});
  EXPECT_EQ(to.find("병원")->gloss, "hospital");
  EXPECT_EQ(to.find("병원")->examples[3].frames, example(2, 3, 55));
  EXPECT_EQ(to.find("우유")->gloss, "old");
  report = import_words(to, out, true, "imported");
  EXPECT_EQ(report.added.size(), 2u);
  EXPECT_EQ(to.find("우유")->gloss, "milk");
  EXPECT_EQ(to.find("우유")->example_count, 3);
}

sign::Sequence constant_take(float a, float b, float c) {
  sign::Sequence s(12);
  for (auto& f : s) {
    f[0] = a;
    f[1] = b;
    f[2] = c;
  }
  return s;
}

// The prototypes follow every change (and only changed words are embedded again): on the contract
// test model whose embedding is the mean of input values 0..2.
TEST(TaughtWords, PrototypesFollowTeachReplaceAddRenameRemoveAndModel) {
  const std::string model_file = std::string(SUEO_SOURCE_DIR) + "/tests/unit/sign/models/embedding.onnx";
  auto model = sign::ClassifierModel::load(model_file);
  sign::Classifier classifier(model);
  auto store = std::make_shared<VocabStore>(fresh_path("taught"));
  TaughtWords taught(store);
  EXPECT_TRUE(taught.refresh(classifier));
  EXPECT_TRUE(taught.current()->words.empty());
  EXPECT_FALSE(taught.refresh(classifier));  // nothing changed
  store->add_word("가", "", {constant_take(1, 0, 0)}, "s");
  ASSERT_TRUE(taught.refresh(classifier));
  ASSERT_EQ(taught.current()->words.size(), 1u);
  EXPECT_NEAR(taught.current()->words[0].prototype[0], 1.0f, 1e-5);
  store->add_word("가", "", {constant_take(0, 1, 0)}, "s", /*replace=*/true);
  taught.refresh(classifier);
  EXPECT_NEAR(taught.current()->words[0].prototype[1], 1.0f, 1e-5);
  store->add_examples("가", {constant_take(0, 0, 1)}, "s");
  taught.refresh(classifier);
  EXPECT_NEAR(taught.current()->words[0].prototype[1], std::sqrt(0.5f), 1e-5);
  EXPECT_NEAR(taught.current()->words[0].prototype[2], std::sqrt(0.5f), 1e-5);
  EXPECT_EQ(taught.current()->words[0].examples, 2);
  store->rename_word("가", "나", "me");
  taught.refresh(classifier);
  ASSERT_EQ(taught.current()->words.size(), 1u);
  EXPECT_EQ(taught.current()->words[0].word, "나");
  EXPECT_EQ(taught.current()->words[0].gloss, "me");
  EXPECT_NEAR(taught.current()->words[0].prototype[2], std::sqrt(0.5f), 1e-5);
  // Another model (here the same file loaded again: a new id) rebuilds every prototype.
  sign::Classifier other(sign::ClassifierModel::load(model_file));
  EXPECT_TRUE(taught.refresh(other));
  EXPECT_EQ(taught.current()->model_id, other.model().id());
  store->remove_word("나");
  taught.refresh(other);
  EXPECT_TRUE(taught.current()->words.empty());
}

}  // namespace
}  // namespace sueo::store
