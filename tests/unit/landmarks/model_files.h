// Where the tests find the real model files and a real image, shared by the engine tests and the
// latency tool. Thread: any.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "landmarks/model.h"

namespace sueo::landmarks::testing {

// <repo>/models/<name>.tflite (SUEO_SOURCE_DIR is set by CMake).
std::string model_path(const std::string& name);
bool model_present(const std::string& name);
// The message to skip with when models are absent.
std::string models_missing_message();

// Frame `frame` of a committed KSL clip (tests/data/clips/<clip>, 640×360), decoded by ffmpeg, cut to
// `crop` (ffmpeg crop "w:h:x:y"; empty = whole frame) and scaled to width×height, as packed RGB8.
// Throws std::runtime_error if ffmpeg fails.
std::vector<uint8_t> clip_frame_rgb(const std::string& clip, int width, int height, int frame = 0,
                                    const std::string& crop = "");

// Every `every`-th frame of a clip (any path) as packed RGB8 at its own size, concatenated, decoded by
// tools/golden/frames.sh (the frames the golden files were made from), cut to `crop` first if given.
// Empty when ffmpeg cannot run.
std::vector<uint8_t> clip_frames_rgb(const std::string& clip_path, int every, const std::string& crop = "");

// A shell command's exit status (as pclose gives it) and its stdout and stderr together.
struct CommandResult {
  int status = -1;
  std::string output;
};
CommandResult run_command(const std::string& command);

// Fills the runtime's input 0 from an RGB image already at the model's size, mapped to [lo, hi]
// (MediaPipe: [0, 1] for the landmark models and palm detection, [-1, 1] for pose detection).
void fill_input(Runtime& runtime, const std::vector<uint8_t>& rgb, float lo, float hi);

// The input range each model expects.
struct ModelCase {
  const char* name;
  float lo, hi;
};
const std::vector<ModelCase>& model_cases();
inline void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.name; }

}  // namespace sueo::landmarks::testing
