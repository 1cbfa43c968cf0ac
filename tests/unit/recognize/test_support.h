// Shared by the recognize tests: paths, the real `sueo` binary, and JPEG frames made from a committed
// clip with ffmpeg (an encoder independent of ours). Thread: test main thread only.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sueo::recognize_test {

namespace fs = std::filesystem;

inline fs::path source(const std::string& relative) { return fs::path(SUEO_SOURCE_DIR) / relative; }
inline fs::path clip(const std::string& name) { return source("tests/data/clips/" + name); }

// The six committed KSL-77 clips (tests/data/NOTICE).
inline std::vector<std::string> clip_names() {
  return {"c01_hi_s11_f8e48f6c.mp4",  "c03_meat_s11_5bf5da80.mp4", "c04_bi_bim_rice_s11_82155dbd.mp4",
          "c07_me_s11_e109e858.mp4",  "c09_face_s11_c6804109.mp4", "c10_see_s11_7bbe5bb8.mp4"};
}

inline bool have_landmark_models() { return fs::exists(source("models/pose_landmark_full.tflite")); }

struct CommandRun {
  int status = -1;  // exit code, -1 when it did not exit normally
  std::string output;
};

inline CommandRun run_command(const std::string& command) {
  CommandRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

inline std::string quoted(const std::string& text) { return "'" + text + "'"; }

// `sueo recognize ARGS` with the worktree's models; stdout only (stderr goes to the test log).
inline CommandRun run_recognize(const std::string& args) {
  return run_command(std::string(SUEO_BINARY) + " recognize --models-dir " + quoted(source("models").string()) +
                     " --model " + quoted(source("models/sueo-ksl.onnx").string()) + " " + args);
}

inline std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

// A fresh temporary folder, removed with the object.
class TempDir {
 public:
  explicit TempDir(const std::string& tag)
      : path_(fs::temp_directory_path() / ("sueo_recognize_" + tag + "_" + std::to_string(getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline bool have_ffmpeg() { return run_command("ffmpeg -version >/dev/null 2>&1").status == 0; }

// Every second frame of a clip as JPEGs f0001.jpg … by ffmpeg. The clips are 29.83 fps, so these are
// the frames a 15 fps page would take (the first frame at or after each 1/15 s tick: frame 2k lies
// after tick k and frame 2k−1 before it while k < 90, i.e. for clips under 180 frames).
inline bool ffmpeg_frames(const fs::path& clip_path, const fs::path& folder) {
  const std::string command = "ffmpeg -v error -y -i " + quoted(clip_path.string()) +
                              " -vf 'select=not(mod(n\\,2))' -vsync vfr -q:v 3 " +
                              quoted((folder / "f%04d.jpg").string()) + " 2>&1";
  return run_command(command).status == 0 && fs::exists(folder / "f0001.jpg");
}

}  // namespace sueo::recognize_test
