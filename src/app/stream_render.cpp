#include "app/stream_render.h"

#include <atomic>
#include <cmath>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "app/video_decode.h"
#include "frames/jpeg.h"
#include "pipeline/page_capture.h"
#include "sign/layout.h"
#include "sign/npz.h"

namespace sueo::app {
namespace {

constexpr double kPi = 3.14159265358979323846;

// A clip's frames, scaled into the page's box once.
struct Clip {
  std::vector<frames::Image> frames;
  std::vector<int64_t> pts_us;
};

std::shared_ptr<const Clip> load_clip(const std::string& path, int box_width, int box_height) {
  auto clip = std::make_shared<Clip>();
  decode_video(path, 1, [&](const VideoFrame& f) {
    const FrameSize size = fit_size(f.width, f.height, box_width, box_height);
    frames::Image image{size.width, size.height, std::vector<uint8_t>(static_cast<size_t>(size.width) * size.height * 3)};
    const cv::Mat source(f.height, f.width, CV_8UC3, const_cast<uint8_t*>(f.rgb.data()));
    cv::Mat target(size.height, size.width, CV_8UC3, image.rgb.data());
    cv::resize(source, target, target.size(), 0, 0, cv::INTER_LINEAR);
    clip->frames.push_back(std::move(image));
    clip->pts_us.push_back(f.pts_us);
  });
  if (clip->frames.empty()) throw std::runtime_error(path + ": no video frames");
  return clip;
}

// A hand-held tablet: slow drift and wobble of position, angle and zoom (sums of sines with the
// stream's own phases), plus a little tremor each frame. `amount` 1 is about ±1.2 % of the width, ±0.8°
// and ±1.2 % zoom; 0 holds the camera still.
class Sway {
 public:
  Sway(double amount, std::mt19937& rng) : amount_(amount) {
    std::uniform_real_distribution<double> phase(0, 2 * kPi);
    for (double& p : phases_) p = phase(rng);
  }

  cv::Mat at(double t_s, int width, int height, std::mt19937& rng) const {
    auto wave = [&](int i, double period) { return std::sin(2 * kPi * t_s / period + phases_[i]); };
    std::normal_distribution<double> tremor(0, 0.4 * amount_);
    const double dx = amount_ * width * 0.012 * (0.6 * wave(0, 3.1) + 0.4 * wave(1, 1.3)) + tremor(rng);
    const double dy = amount_ * width * 0.012 * (0.6 * wave(2, 3.7) + 0.4 * wave(3, 1.7)) + tremor(rng);
    const double angle = amount_ * 0.8 * wave(4, 4.3);
    const double scale = 1 + amount_ * 0.012 * wave(5, 2.7);
    cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(width / 2.0f, height / 2.0f), angle, scale);
    m.at<double>(0, 2) += dx;
    m.at<double>(1, 2) += dy;
    return m;
  }

 private:
  double amount_;
  double phases_[6] = {};
};

// What one rendering thread owns.
struct Renderer {
  std::shared_ptr<const landmarks::HolisticModels> models;
  int box_width = 640, box_height = 480, quality = 70;
  std::map<std::string, std::shared_ptr<const Clip>> clips;  // a few recent clips
  frames::JpegDecoder jpeg;

  std::shared_ptr<const Clip> clip(const std::string& path) {
    if (auto it = clips.find(path); it != clips.end()) return it->second;
    if (clips.size() >= 8) clips.erase(clips.begin());
    return clips[path] = load_clip(path, box_width, box_height);
  }

  RenderedStream render(const nlohmann::json& spec);
};

RenderedStream Renderer::render(const nlohmann::json& spec) {
  RenderedStream out;
  out.name = spec.at("name").get<std::string>();
  const double fps = spec.value("fps", 15.0);
  const double drop = spec.value("drop", 0.0);
  std::mt19937 rng(spec.value("seed", 1u));
  const Sway sway(spec.value("sway", 1.0), rng);
  std::uniform_real_distribution<double> uniform(0, 1);
  landmarks::HolisticTracker tracker(models);
  const double period_ms = 1000.0 / fps;
  double t_ms = 0;
  frames::Image warped, decoded;
  std::string error;

  auto emit = [&](const frames::Image& image) {
    const double now = t_ms;
    t_ms += period_ms;
    if (drop > 0 && uniform(rng) < drop) return;  // never sent
    warped.width = image.width;
    warped.height = image.height;
    warped.rgb.resize(image.rgb.size());
    const cv::Mat source(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
    cv::Mat target(image.height, image.width, CV_8UC3, warped.rgb.data());
    cv::warpAffine(source, target, sway.at(now / 1000.0, image.width, image.height, rng), target.size(),
                   cv::INTER_LINEAR, cv::BORDER_REFLECT101);
    if (!jpeg.decode(frames::encode_jpeg(warped, quality), decoded, error)) throw std::runtime_error(error);
    const auto found = tracker.process_at(decoded.rgb.data(), decoded.width, decoded.height,
                                          static_cast<int64_t>(now * 1000.0) + 1);
    out.values.insert(out.values.end(), found.values.begin(), found.values.end());
    out.t_ms.push_back(static_cast<float>(now));
    out.aspect = static_cast<double>(decoded.width) / decoded.height;
  };

  out.truth = spec;
  out.truth.erase("parts");
  nlohmann::json signs = nlohmann::json::array();
  for (const auto& part : spec.at("parts")) {
    const auto clip = this->clip(part.at("clip").get<std::string>());
    if (part.value("play", false)) {
      const size_t first_frame = out.t_ms.size();
      const double start_ms = t_ms;
      FramePicker picker(fps);
      for (size_t i = 0; i < clip->frames.size(); ++i) {
        if (picker.take(clip->pts_us[i])) emit(clip->frames[i]);
      }
      signs.push_back({{"label", part.value("label", "")},
                       {"clip", part.at("clip")},
                       {"first", first_frame},
                       {"last", static_cast<int64_t>(out.t_ms.size()) - 1},
                       {"start_ms", start_ms},
                       {"end_ms", t_ms - period_ms}});
    } else {
      const double at_s = part.value("hold_at", 0.0);
      size_t index = clip->frames.size() - 1;
      if (at_s >= 0) {
        const int64_t target = clip->pts_us.front() + static_cast<int64_t>(at_s * 1e6);
        index = 0;
        while (index + 1 < clip->frames.size() && clip->pts_us[index + 1] <= target) ++index;
      }
      const auto count = static_cast<int>(std::lround(part.at("seconds").get<double>() * fps));
      for (int i = 0; i < count; ++i) emit(clip->frames[index]);
    }
  }
  out.truth["signs"] = signs;
  out.truth["frames"] = out.t_ms.size();
  out.truth["aspect"] = out.aspect;
  return out;
}

}  // namespace

std::vector<RenderedStream> render_streams(const nlohmann::json& spec,
                                           std::shared_ptr<const landmarks::HolisticModels> models, int jobs) {
  const auto& list = spec.at("streams");
  std::vector<RenderedStream> out(list.size());
  std::vector<std::exception_ptr> errors(list.size());
  std::atomic<size_t> next{0};
  std::mutex log;
  auto work = [&] {
    Renderer renderer;
    renderer.models = models;
    renderer.box_width = spec.value("width", 640);
    renderer.box_height = spec.value("height", 480);
    renderer.quality = static_cast<int>(std::lround(spec.value("quality", 0.7) * 100));
    for (size_t i; (i = next.fetch_add(1)) < list.size();) {
      try {
        out[i] = renderer.render(list[i]);
        const std::lock_guard lock(log);
        std::fprintf(stderr, "%s: %zu frames\n", out[i].name.c_str(), out[i].t_ms.size());
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return out;
}

void write_streams(const std::string& out, const std::vector<RenderedStream>& streams) {
  std::vector<float> values, t_ms, aspect;
  std::vector<int32_t> offsets{0};
  std::vector<std::string> names;
  nlohmann::json truth = nlohmann::json::array();
  for (const auto& s : streams) {
    values.insert(values.end(), s.values.begin(), s.values.end());
    t_ms.insert(t_ms.end(), s.t_ms.begin(), s.t_ms.end());
    offsets.push_back(static_cast<int32_t>(t_ms.size()));
    names.push_back(s.name);
    aspect.push_back(static_cast<float>(s.aspect));
    truth.push_back(s.truth);
  }
  sign::Npz npz;
  npz["X"] = sign::npy_float32({t_ms.size(), sign::kFrameValues}, values);
  npz["t_ms"] = sign::npy_float32({t_ms.size()}, t_ms);
  npz["offsets"] = sign::npy_int32(offsets);
  npz["names"] = sign::npy_strings(names);
  npz["aspect"] = sign::npy_float32({aspect.size()}, aspect);
  sign::write_npz(out, npz);
  std::ofstream(out + ".json") << truth.dump(1) << "\n";
}

LoadedStreams read_streams(const std::string& path) {
  const sign::Npz npz = sign::read_npz(path);
  const auto values = npz.at("X").floats();
  const auto t_ms = npz.at("t_ms").floats();
  const auto offsets = npz.at("offsets").ints();
  const auto names = npz.at("names").strings();
  const auto aspect = npz.at("aspect").floats();
  std::ifstream truth_file(path + ".json");
  const nlohmann::json truth = truth_file ? nlohmann::json::parse(truth_file) : nlohmann::json::array();
  LoadedStreams out;
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    RenderedStream s;
    s.name = names.at(i);
    s.aspect = aspect.at(i);
    const auto a = static_cast<size_t>(offsets[i]), b = static_cast<size_t>(offsets[i + 1]);
    s.values.assign(values.begin() + static_cast<long>(a * sign::kFrameValues),
                    values.begin() + static_cast<long>(b * sign::kFrameValues));
    s.t_ms.assign(t_ms.begin() + static_cast<long>(a), t_ms.begin() + static_cast<long>(b));
    if (i < truth.size()) s.truth = truth[i];
    out.streams.push_back(std::move(s));
  }
  return out;
}

}  // namespace sueo::app
