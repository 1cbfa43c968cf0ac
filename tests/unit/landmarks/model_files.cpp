#include "model_files.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace sueo::landmarks::testing {

std::string model_path(const std::string& name) {
  return std::string(SUEO_SOURCE_DIR) + "/models/" + name + ".tflite";
}

bool model_present(const std::string& name) { return std::filesystem::exists(model_path(name)); }

std::string models_missing_message() {
  return std::string("model files absent in ") + SUEO_SOURCE_DIR + "/models: run models/fetch.sh first";
}

std::vector<uint8_t> clip_frame_rgb(const std::string& clip, int width, int height, int frame,
                                    const std::string& crop) {
  const std::string path = std::string(SUEO_SOURCE_DIR) + "/tests/data/clips/" + clip;
  std::string filter = "select=eq(n\\," + std::to_string(frame) + ")";
  if (!crop.empty()) filter += ",crop=" + crop;
  filter += ",scale=" + std::to_string(width) + ":" + std::to_string(height);
  const std::string command = "ffmpeg -v error -nostdin -i '" + path + "' -vf '" + filter +
                              "' -frames:v 1 -f rawvideo -pix_fmt rgb24 -";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run ffmpeg");
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  if (std::fread(rgb.data(), 1, rgb.size(), pipe.get()) != rgb.size())
    throw std::runtime_error("ffmpeg gave no frame: " + command);
  return rgb;
}

std::vector<uint8_t> clip_frames_rgb(const std::string& clip_path, int every, const std::string& crop) {
  const std::string command = std::string(SUEO_SOURCE_DIR) + "/tools/golden/frames.sh '" + clip_path + "' " +
                              std::to_string(every) + " '" + crop + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::vector<uint8_t> data;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0) data.insert(data.end(), buf, buf + n);
  return data;
}

CommandResult run_command(const std::string& command) {
  CommandResult r;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
  if (!pipe) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe.get())) r.output += buf;
  r.status = pclose(pipe.release());
  return r;
}

void fill_input(Runtime& runtime, const std::vector<uint8_t>& rgb, float lo, float hi) {
  const size_t n = runtime.model().inputs()[0].elements();
  if (rgb.size() != n) throw std::runtime_error("image size does not match the model input");
  float* in = runtime.input(0);
  for (size_t i = 0; i < n; ++i) in[i] = lo + (hi - lo) * static_cast<float>(rgb[i]) / 255.0f;
}

const std::vector<ModelCase>& model_cases() {
  // Input ranges: MediaPipe's ImageToTensorCalculator options in each model's graph
  // (pose_detection_cpu.pbtxt: -1..1; palm_detection_cpu, hand_landmark_cpu, pose_landmark_by_roi_cpu,
  // hand_recrop_by_roi_cpu: 0..1; face_detection_short_range_cpu: -1..1; face_landmark_cpu: 0..1).
  static const std::vector<ModelCase> cases = {
      {"pose_detection", -1.0f, 1.0f},
      {"pose_landmark_full", 0.0f, 1.0f},
      {"palm_detection_full", 0.0f, 1.0f},
      {"hand_landmark_full", 0.0f, 1.0f},
      {"hand_recrop", 0.0f, 1.0f},
      // The lighter options (HolisticOptions): pose_landmark_lite from @mediapipe/holistic,
      // hand_landmark_lite from @mediapipe/hands.
      {"pose_landmark_lite", 0.0f, 1.0f},
      {"hand_landmark_lite", 0.0f, 1.0f},
      // Not used by the holistic pipeline (face landmarks are off), run here because they are cheap.
      {"face_detection_short_range", -1.0f, 1.0f},
      {"face_landmark", 0.0f, 1.0f},
  };
  return cases;
}

}  // namespace sueo::landmarks::testing
