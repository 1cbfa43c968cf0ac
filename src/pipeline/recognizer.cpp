#include "pipeline/recognizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "frames/sequence_stats.h"
#include "metrics.h"
#include "pipeline/landmark_runtimes.h"

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

}  // namespace

std::shared_ptr<RecognitionModels> RecognitionModels::load(const std::string& models_dir,
                                                           const std::string& classifier_path,
                                                           const landmarks::HolisticOptions& landmark_options) {
  auto models = std::make_shared<RecognitionModels>();
  models->landmarks = landmarks::HolisticModels::load(models_dir, landmark_options);
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
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& label : classifier->labels()) labels.push_back({{"word", label.word}, {"gloss", label.gloss}});
  return {{"name", name},
          {"labels", labels},
          {"input", {1, classifier->frames(), static_cast<int>(sign::kFrameValues)}},
          {"ready", true}};
}

nlohmann::json landmarks_message(uint32_t seq, uint32_t frame, const landmarks::FrameLandmarks& f, bool signing) {
  return {{"type", "landmarks"},
          {"seq", seq},
          {"frame", frame},
          {"signing", signing},
          {"pose", points(f, f.pose, 0, 33, 4)},
          {"left", points(f, f.left_hand, landmarks::kLeftHandOffset, 21, 3)},
          {"right", points(f, f.right_hand, landmarks::kRightHandOffset, 21, 3)}};
}

Recognizer::Recognizer(std::shared_ptr<const RecognitionModels> models, RecognizerSinks sinks, int landmark_every,
                       std::shared_ptr<const TeachingHooks> teaching, double shed_after_ms)
    : models_(std::move(models)),
      teaching_(std::move(teaching)),
      reader_(make_reader()),
      sinks_(std::move(sinks)),
      landmark_every_(std::max(1, landmark_every)),
      shed_after_ms_(shed_after_ms) {}

SignReader Recognizer::make_reader() const {
  return SignReader(models_->classifier, models_->spotter, models_->decision,
                    teaching_ ? teaching_->taught : TaughtSource());
}

// A swapped model is picked up between windows (or live runs): the landmark models are the same
// objects, only the classifier (and its Net) changes.
void Recognizer::pick_up_models() {
  if (!teaching_ || !teaching_->current_models) return;
  auto latest = teaching_->current_models();
  if (!latest || latest == models_) return;
  models_ = std::move(latest);
  reader_ = make_reader();
}

void Recognizer::on_sequence_start(const SequenceStart& start) {
  mode_ = start.mode;
  // A live sequence continues the live run before it: the person is mid-stream, perhaps mid-sign.
  const bool continues = mode_ == SequenceMode::kLive && live_running_;
  if (!continues) {
    signing_ = false;
    pick_up_models();
    tracker_.reset();
    reader_.reset();
    teach_take_ = teaching_ && teaching_->teach_takes && teaching_->teach_takes();
    reader_.keep_landmarks(teach_take_);
    answers_.clear();
    last_timestamp_us_ = 0;
  }
  live_running_ = mode_ == SequenceMode::kLive;
  landmark_ms_.clear();
  queue_wait_ms_.clear();
  classifier_ms_ = 0;
  used_ = with_pose_ = with_hands_ = skipped_ = shed_ = 0;
  shed_last_ = false;
  last_frame_ = nullptr;
}

void Recognizer::on_frame(const DecodedFrame& frame, frames::WorkerContext& context) {
  // --landmark-every, then the spotter's rest rate (--rest-fps): skipped frames were received and
  // decoded, but no landmarks are found for them and the spotter never sees them.
  if (frame.index % static_cast<uint32_t>(landmark_every_) != 0 || !reader_.spotter().wants(frame.capture_ms)) {
    ++skipped_;
    return;
  }
  const double started = wall_ms();
  const double waited = std::max(0.0, started - frame.complete_ms - frame.decode_ms);
  if (shed_after_ms_ > 0 && waited > shed_after_ms_ && !shed_last_) {
    ++skipped_;
    ++shed_;
    shed_last_ = true;
    Metrics::global().add("frames.shed");
    return;
  }
  shed_last_ = false;
  queue_wait_ms_.push_back(waited);
  // MediaPipe smooths ROIs by time: give it the capture time, kept strictly increasing.
  int64_t timestamp_us = static_cast<int64_t>(frame.capture_ms * 1000.0);
  if (timestamp_us <= last_timestamp_us_) timestamp_us = last_timestamp_us_ + 1;
  last_timestamp_us_ = timestamp_us;
  const landmarks::FrameLandmarks found =
      tracker_.process_at(worker_landmark_runtimes(context, models_->landmarks), frame.image->rgb.data(),
                          frame.image->width, frame.image->height, timestamp_us);
  const double landmarks_ms = wall_ms() - started;
  static Histogram& landmark_seconds = Metrics::global().histogram("stage_seconds.landmarks");  // /metrics
  landmark_seconds.observe(landmarks_ms / 1000.0);
  landmark_ms_.push_back(landmarks_ms);
  last_frame_ = {{"index", frame.index},
                 {"queue_wait", queue_wait_ms_.back()},
                 {"decode", frame.decode_ms},
                 {"landmarks", landmarks_ms}};
  ++used_;
  with_pose_ += found.pose ? 1 : 0;
  with_hands_ += (found.left_hand || found.right_hand) ? 1 : 0;
  const double aspect = static_cast<double>(frame.image->width) / std::max(1, frame.image->height);
  frame_aspect_ = aspect;
  const auto answer = reader_.add(found.values, {frame.seq, frame.index}, frame.capture_ms, aspect);
  const bool signing = reader_.spotter().signing();
  if (sinks_.landmarks) sinks_.landmarks(frame.seq, frame.index, found, signing);
  if (answer) take(*answer, &frame);
  if (mode_ == SequenceMode::kLive && signing != signing_ && sinks_.activity) {
    sinks_.activity({{"type", "activity"}, {"signing", signing}, {"capture_ms", frame.capture_ms}});
  }
  signing_ = signing;
}

// Keeps a sign's answer for the window's result and, in live mode, sends it at once. `deciding` is the
// frame that showed the sign had ended (null at the end of a window).
void Recognizer::take(const SignAnswer& answer, const DecodedFrame* deciding) {
  classifier_ms_ += answer.classifier_ms;
  if (answer.continuation) return;
  answers_.push_back(answer);
  // A live run can go on for hours; its final result lists the most recent signs only.
  constexpr size_t kAnswersKept = 200;
  if (answers_.size() > kAnswersKept) answers_.erase(answers_.begin());
  if (mode_ != SequenceMode::kLive || !sinks_.word) return;
  nlohmann::json message = answer.to_json();
  message["type"] = "word";
  message["seq"] = answer.last.seq;
  message["decided_ms"] = answer.segment.decided_ms;
  message["t_ready"] = wall_ms();
  message["stages_ms"] = {{"wait_for_rest", answer.segment.decided_ms - answer.segment.motion_end_ms},
                          {"queue_wait", deciding ? queue_wait_ms_.back() : 0.0},
                          {"landmarks", deciding ? landmark_ms_.back() : 0.0},
                          {"classifier", answer.classifier_ms}};
  message["model"] = models_->name;
  sinks_.word(std::move(message));
}

nlohmann::json Recognizer::on_sequence_end(const frames::SequenceStats& stats, const SequenceEnd& end,
                                           frames::WorkerContext&) {
  if (mode_ == SequenceMode::kLive && !end.final) return nullptr;  // the live run goes on
  if (auto answer = reader_.finish()) take(*answer, nullptr);
  live_running_ = false;
  return window_result(stats);
}

// The window's result: every sign found, in order; `word` is the best named one, for clients that
// show one word.
nlohmann::json Recognizer::window_result(const frames::SequenceStats& stats) {
  nlohmann::json words = nlohmann::json::array(), signs = nlohmann::json::array();
  const SignAnswer* best = nullptr;
  const SignAnswer* best_unnamed = nullptr;
  for (const SignAnswer& a : answers_) {
    signs.push_back(a.to_json());
    if (a.named()) {
      words.push_back(signs.back());
      if (!best || a.score > best->score) best = &a;
    } else if (!best_unnamed || a.score > best_unnamed->score) {
      best_unnamed = &a;
    }
  }
  nlohmann::json result;
  if (best) {
    result = best->to_json();
  } else {
    NoWord reason = NoWord::kNoSign;
    if (!models_->classifier) {
      reason = NoWord::kNoModel;
    } else if (best_unnamed) {
      reason = best_unnamed->reason;
    } else if (reader_.frames_with_person() * 5 < reader_.frames_seen() || reader_.frames_seen() == 0) {
      reason = NoWord::kNoPerson;  // seen in fewer than one frame in five
    }
    result = best_unnamed ? best_unnamed->to_json() : nlohmann::json{{"word", nullptr}, {"top", nlohmann::json::array()}};
    result["reason"] = to_code(reason);
    result["message"] = to_message(reason);
  }
  result["words"] = words;
  result["signs"] = signs;
  result["mode"] = mode_ == SequenceMode::kLive ? "live" : "window";
  const double t_inference = wall_ms();
  result["frames"] = {{"used", used_},
                      {"dropped", stats.drops.total()},
                      {"skipped", skipped_},
                      {"shed", shed_},
                      {"with_pose", with_pose_},
                      {"with_hands", with_hands_}};
  result["t_receive"] = stats.t_receive_ms;
  result["t_inference"] = t_inference;
  result["stages_ms"] = {{"decode", median_p90(stats.decode_ms)},
                         {"landmarks", median_p90(landmark_ms_)},
                         {"queue_wait", median_p90(queue_wait_ms_)},
                         {"classifier", classifier_ms_},
                         {"last_frame", last_frame_},
                         {"after_last_frame", stats.t_receive_ms > 0 ? t_inference - stats.t_receive_ms : 0.0}};
  result["model"] = models_->name;
  if (teach_take_) result["sign"] = take_landmarks();
  return result;
}

// A take in the Teach view: the sign the spotter found in it (the longest, when it found several),
// every value kept, so the page can replay it and send it back to teach the word. Null: no sign.
nlohmann::json Recognizer::take_landmarks() const {
  const SignAnswer* longest = nullptr;
  for (const SignAnswer& a : answers_) {
    if (!a.landmarks.empty() && (!longest || a.landmarks.size() > longest->landmarks.size())) longest = &a;
  }
  if (!longest) return nullptr;
  nlohmann::json frames = nlohmann::json::array();
  for (const auto& f : longest->landmarks) {
    nlohmann::json values = nlohmann::json::array();
    for (float v : f) values.push_back(std::round(v * 1e5f) / 1e5f);
    frames.push_back(std::move(values));
  }
  // The geometry the frames are in: the model's when it declares one (SignReader stretched them to it).
  const double model_aspect = models_->classifier ? models_->classifier->frame_aspect() : 0.0;
  return {{"frames", std::move(frames)}, {"of", used_}, {"aspect", model_aspect > 0 ? model_aspect : frame_aspect_}};
}

}  // namespace sueo
