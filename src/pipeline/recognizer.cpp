#include "pipeline/recognizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "frames/sequence_stats.h"
#include "metrics.h"

namespace sueo {
namespace {

double wall_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

nlohmann::json median_p90(const std::vector<double>& values) {
  return {{"median", frames::percentile(values, 50)}, {"p90", frames::percentile(values, 90)}};
}

// x, y of `count` points starting at `offset`, `stride` values apart, rounded to 3 decimals.
nlohmann::json points(const landmarks::FrameLandmarks& f, bool present, int offset, int count, int stride) {
  nlohmann::json out = nlohmann::json::array();
  if (!present) return out;
  for (int i = 0; i < count; ++i) {
    for (int axis = 0; axis < 2; ++axis) {
      out.push_back(std::round(f.values[offset + i * stride + axis] * 1000.0f) / 1000.0);
    }
  }
  return out;
}

nlohmann::json no_word(const std::string& reason) { return {{"word", nullptr}, {"reason", reason}}; }

}  // namespace

std::shared_ptr<const RecognitionModels> RecognitionModels::load(const std::string& models_dir,
                                                                 const std::string& classifier_path) {
  auto models = std::make_shared<RecognitionModels>();
  models->landmarks = landmarks::HolisticModels::load(models_dir);
  if (!classifier_path.empty()) {
    models->classifier = sign::ClassifierModel::load(classifier_path);
    models->name = std::filesystem::path(classifier_path).stem().string();
  }
  return models;
}

double RecognitionModels::warm_up() const {
  const auto begin = std::chrono::steady_clock::now();
  // A mid-grey frame runs the pose detector (nothing to track yet), which pages the landmark weights
  // in; the classifier ran once on zeros when it was loaded.
  landmarks::HolisticTracker tracker(landmarks);
  std::vector<uint8_t> grey(256 * 256 * 3, 128);
  tracker.process(grey.data(), 256, 256);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
}

nlohmann::json RecognitionModels::describe() const {
  if (!classifier) return nullptr;
  return {{"name", name},
          {"labels", classifier->labels().size()},
          {"input", {1, classifier->frames(), static_cast<int>(sign::kFrameValues)}},
          {"ready", true}};
}

nlohmann::json landmarks_message(uint32_t seq, uint32_t frame, const landmarks::FrameLandmarks& f) {
  return {{"type", "landmarks"},
          {"seq", seq},
          {"frame", frame},
          {"pose", points(f, f.pose, 0, 33, 4)},
          {"left", points(f, f.left_hand, landmarks::kLeftHandOffset, 21, 3)},
          {"right", points(f, f.right_hand, landmarks::kRightHandOffset, 21, 3)}};
}

Recognizer::Recognizer(std::shared_ptr<const RecognitionModels> models, LandmarkSink on_landmarks,
                       int landmark_every)
    : models_(std::move(models)),
      tracker_(models_->landmarks),
      on_landmarks_(std::move(on_landmarks)),
      landmark_every_(std::max(1, landmark_every)) {
  // One Net per session: a session runs on one worker at a time, so it needs no lock (docs/model.md).
  if (models_->classifier) classifier_ = std::make_unique<sign::Classifier>(models_->classifier, 3);
}

void Recognizer::on_sequence_start(uint32_t, uint32_t planned_frames) {
  tracker_.reset();
  sequence_.clear();
  sequence_.reserve(planned_frames);
  landmark_ms_.clear();
  queue_wait_ms_.clear();
  with_pose_ = with_hands_ = skipped_ = 0;
  last_frame_ = nullptr;
}

void Recognizer::on_frame(const DecodedFrame& frame, frames::WorkerContext&) {
  if (frame.index % static_cast<uint32_t>(landmark_every_) != 0) {
    ++skipped_;
    return;
  }
  const double started = wall_ms();
  queue_wait_ms_.push_back(std::max(0.0, started - frame.complete_ms - frame.decode_ms));
  // MediaPipe smooths ROIs by time: give it the capture time, kept strictly increasing.
  int64_t timestamp_us = static_cast<int64_t>(frame.capture_ms * 1000.0);
  if (timestamp_us <= last_timestamp_us_) timestamp_us = last_timestamp_us_ + 1;
  last_timestamp_us_ = timestamp_us;
  const landmarks::FrameLandmarks found =
      tracker_.process_at(frame.image->rgb.data(), frame.image->width, frame.image->height, timestamp_us);
  const double landmarks_ms = wall_ms() - started;
  static Histogram& landmark_seconds = Metrics::global().histogram("stage_seconds.landmarks");  // /metrics
  landmark_seconds.observe(landmarks_ms / 1000.0);
  landmark_ms_.push_back(landmarks_ms);
  last_frame_ = {{"index", frame.index},
                 {"queue_wait", queue_wait_ms_.back()},
                 {"decode", frame.decode_ms},
                 {"landmarks", landmarks_ms}};
  sequence_.push_back(found.values);
  with_pose_ += found.pose ? 1 : 0;
  with_hands_ += (found.left_hand || found.right_hand) ? 1 : 0;
  if (on_landmarks_) on_landmarks_(frame.seq, frame.index, found);
}

nlohmann::json Recognizer::on_sequence_end(const frames::SequenceStats& stats, frames::WorkerContext&) {
  nlohmann::json result;
  double classifier_ms = 0;
  if (!classifier_) {
    result = no_word("the server runs without a classifier model");
  } else if (with_pose_ == 0) {
    result = no_word("no person was seen in the sequence");
  } else {
    try {
      const sign::Classification found = classifier_->classify(sequence_);
      classifier_ms = found.ms;
      nlohmann::json top = nlohmann::json::array();
      for (const auto& p : found.top) top.push_back({{"word", p.word}, {"gloss", p.gloss}, {"score", p.score}});
      result = {{"word", found.word}, {"gloss", found.gloss}, {"score", found.score}, {"top", top}};
    } catch (const std::exception& error) {
      result = no_word(std::string("the classifier failed: ") + error.what());
    }
  }
  const double t_inference = wall_ms();
  result["frames"] = {{"used", sequence_.size()},
                      {"dropped", stats.drops.total()},
                      {"skipped", skipped_},
                      {"with_pose", with_pose_},
                      {"with_hands", with_hands_}};
  result["t_receive"] = stats.t_receive_ms;
  result["t_inference"] = t_inference;
  result["stages_ms"] = {{"decode", median_p90(stats.decode_ms)},
                         {"landmarks", median_p90(landmark_ms_)},
                         {"queue_wait", median_p90(queue_wait_ms_)},
                         {"classifier", classifier_ms},
                         {"last_frame", last_frame_},
                         {"after_last_frame", stats.t_receive_ms > 0 ? t_inference - stats.t_receive_ms : 0.0}};
  result["model"] = models_->name;
  return result;
}

}  // namespace sueo
