// `sueo vocab` as a user runs it: add from real KSL videos (landmarks by our pipeline), list, export,
// remove, import, and the errors a typo gets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace {

namespace fs = std::filesystem;

struct CliRun {
  int status = -1;
  std::string out;
};

CliRun run(const std::string& args) {
  const std::string cmd = std::string(SUEO_BINARY) + " vocab " + args + " 2>&1";
  CliRun r;
  std::FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string source(const std::string& rel) { return std::string(SUEO_SOURCE_DIR) + "/" + rel; }

TEST(VocabCli, TeachesFromVideosListsExportsRemovesImports) {
  if (!fs::exists(source("models/pose_landmark_full.tflite"))) GTEST_SKIP() << "models/*.tflite absent (models/fetch.sh)";
  const fs::path dir = fs::path(::testing::TempDir()) / ("sueo_vocab_cli_" + std::to_string(getpid()));
  fs::remove_all(dir);
  const std::string store = "--store " + (dir / "v.db").string();
  const std::string clips = source("tests/data/clips");
  CliRun r = run(store + " add --word 인사 --gloss greeting " + clips + "/c01_hi_s11_f8e48f6c.mp4 " + clips +
              "/c09_face_s11_c6804109.mp4");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("taught 인사 (2 examples)"), std::string::npos) << r.out;

  r = run(store + " list --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto words = nlohmann::json::parse(r.out);
  ASSERT_EQ(words.size(), 1u);
  EXPECT_EQ(words[0]["word"], "인사");
  EXPECT_EQ(words[0]["gloss"], "greeting");
  EXPECT_EQ(words[0]["examples"], 2);
  // A 2-3 s clip at 15 fps, trimmed to where hands show: tens of frames of 258 floats each.
  EXPECT_GT(words[0]["landmark_bytes"].get<int64_t>(), 2 * 15 * 258 * 4);

  r = run(store + " add --word 인사 " + clips + "/c07_me_s11_e109e858.mp4");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("already taught"), std::string::npos) << r.out;

  const std::string npz = (dir / "out.npz").string();
  ASSERT_EQ(run(store + " export --out " + npz).status, 0);
  EXPECT_TRUE(fs::exists(dir / "out.json"));
  EXPECT_EQ(run(store + " remove --word 인사").status, 0);
  EXPECT_EQ(run(store + " remove --word 인사").status, 1);
  EXPECT_EQ(nlohmann::json::parse(run(store + " list --json").out).size(), 0u);
  ASSERT_EQ(run(store + " import " + npz).status, 0);
  EXPECT_EQ(nlohmann::json::parse(run(store + " list --json").out)[0]["examples"], 2);
}

TEST(VocabCli, ExplainsMistakes) {
  const std::string store = "--store " + (fs::path(::testing::TempDir()) / "sueo_vocab_cli_err.db").string();
  CliRun r = run(store + " frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("unknown action 'frobnicate'"), std::string::npos) << r.out;
  r = run(store + " add some.npz");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("add needs --word WORD"), std::string::npos) << r.out;
  r = run(store + " add --word 우유 " + (fs::path(::testing::TempDir()) / "absent.npz").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(run("--help").status, 0);
}

}  // namespace
