// `sueo vocab` as a user runs it: add from real KSL videos (landmarks by our pipeline, the sign spotted
// in each take), list, export, remove, import, and the errors a typo gets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
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

// Runs ffmpeg with the filter graph `graph` (output pad [v]) on `clip` into `out` (mp4). False when
// ffmpeg is missing or fails.
bool ffmpeg(const std::string& clip, const std::string& graph, const fs::path& out) {
  const std::string cmd = "ffmpeg -v error -y -i " + clip + " -filter_complex '" + graph +
                          "' -map '[v]' -an -c:v libx264 -preset veryfast -pix_fmt yuv420p " + out.string() + " 2>&1";
  return std::system(cmd.c_str()) == 0 && fs::exists(out);
}

// The frames of one taught word's examples, from `vocab list --json` (float32 × 258 per frame).
int64_t frames_of(const nlohmann::json& word) { return word["landmark_bytes"].get<int64_t>() / (258 * 4); }

nlohmann::json listed(const std::string& store, const std::string& word) {
  const auto r = run(store + " list --json");
  for (const auto& w : nlohmann::json::parse(r.out)) {
    if (w["word"] == word) return w;
  }
  return nullptr;
}

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
  // Two signs of 1.7–2.1 s, landmarks at 15 a second (the server's default): tens of frames of 258 floats.
  EXPECT_GT(frames_of(words[0]), 30);

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

// A take holds rest before and after the sign, as people record one: the example must be the sign the
// spotter finds in it (about the bare clip's frames), not the whole video; a video with no sign in it
// teaches nothing. The rest before the sign is a person holding the hands still in view (a frame from
// the middle of the sign held 2 s), so the take cannot be found by where hands are visible: at 15
// landmark frames a second the hand-visibility trim kept 62 frames of this video (31 of the bare clip),
// the spotter keeps 35 (28: the bare clip has no rest for the pre-roll).
TEST(VocabCli, TakesTheSpottedSignNotTheWholeVideo) {
  if (!fs::exists(source("models/pose_landmark_full.tflite"))) GTEST_SKIP() << "models/*.tflite absent (models/fetch.sh)";
  const fs::path dir = fs::path(::testing::TempDir()) / ("sueo_vocab_spot_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string store = "--store " + (dir / "v.db").string();
  const std::string clip = source("tests/data/clips/c01_hi_s11_f8e48f6c.mp4");  // 2.1 s, cut to the sign
  const fs::path rested = dir / "hi_rested.mp4", idle = dir / "idle.mp4";
  // Hands held still for 2 s, the sign, then its last frame held 2 s: 60 landmark frames of rest.
  ASSERT_TRUE(ffmpeg(clip, "[0:v]trim=start=1.0:end=1.04,setpts=PTS-STARTPTS,tpad=stop_duration=2:stop_mode=clone[h];"
                           "[0:v]setpts=PTS-STARTPTS,tpad=stop_duration=2:stop_mode=clone[c];[h][c]concat=n=2:v=1:a=0[v]",
                     rested));
  ASSERT_TRUE(ffmpeg(clip, "[0:v]trim=end_frame=1,tpad=stop_duration=3:stop_mode=clone[v]", idle));

  CliRun r = run(store + " add --word 안녕 " + clip);
  ASSERT_EQ(r.status, 0) << r.out;
  r = run(store + " add --word 안녕2 " + rested.string());
  ASSERT_EQ(r.status, 0) << r.out;
  const int64_t bare = frames_of(listed(store, "안녕")), padded = frames_of(listed(store, "안녕2"));
  // Landmarks on every frame at 15 fps (the server's default). The take may hold the spotter's pre- and
  // post-roll (0.55 s) beyond the bare clip, not the 4 s of rest.
  constexpr int64_t kSlack = 12;  // 0.8 s
  EXPECT_GE(bare, 20) << r.out;
  EXPECT_LE(padded, bare + kSlack) << "the take kept rest around the sign: " << r.out;
  EXPECT_GE(padded, bare - kSlack) << "the take lost part of the sign: " << r.out;

  r = run(store + " add --word 쉼 " + idle.string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("no sign found"), std::string::npos) << r.out;
  EXPECT_TRUE(listed(store, "쉼").is_null()) << "nothing is taught from a video without a sign";
  fs::remove_all(dir);
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
