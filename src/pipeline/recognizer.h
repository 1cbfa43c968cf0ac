// Recognition for one stream: every decoded frame goes through MediaPipe Holistic on the session's
// worker as soon as it arrives, so when a sequence ends only the classifier is left.
//
//   auto models = RecognitionModels::load(models_dir, classifier_path);  // once per process
//   auto recognizer = std::make_unique<Recognizer>(models, on_landmarks);  // one per session
//
// Thread: RecognitionModels: any thread (immutable). Recognizer: the session's worker only (it is a
// FrameConsumer, called by FrameStream in frame order); `on_landmarks` runs there too.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "landmarks/holistic.h"
#include "sign/classifier.h"
#include "pipeline/stream.h"

namespace sueo {

struct RecognitionModels {
  std::shared_ptr<const landmarks::HolisticModels> landmarks;
  std::shared_ptr<const sign::ClassifierModel> classifier;  // null: landmarks only, no word
  std::string name;                                         // the classifier file's stem

  // Loads the landmark models from `models_dir` and the classifier from `classifier_path` (empty: no
  // classifier). Throws std::runtime_error (or sign::ModelError) saying what is wrong.
  static std::shared_ptr<const RecognitionModels> load(const std::string& models_dir,
                                                       const std::string& classifier_path,
                                                       const landmarks::HolisticOptions& landmark_options = {});

  // Runs every model once on a real-looking input so the first session pays no first-call costs.
  // Returns the milliseconds it took.
  double warm_up() const;

  // {"name", "labels", "input": [1, T, 258], "ready": true} for `welcome` and /healthz.
  nlohmann::json describe() const;
};

// The landmarks of one frame, for the preview overlay (docs/protocol.md §4).
nlohmann::json landmarks_message(uint32_t seq, uint32_t frame, const landmarks::FrameLandmarks& f);

class Recognizer : public FrameConsumer {
 public:
  using LandmarkSink = std::function<void(uint32_t seq, uint32_t frame, const landmarks::FrameLandmarks&)>;

  // `landmark_every` N > 1 runs the landmarks on every N-th frame of a sequence only (frame index % N
  // == 0), halving (N = 2) the CPU a stream costs; the other frames are still received and decoded, and
  // the result counts them as `skipped`.
  Recognizer(std::shared_ptr<const RecognitionModels> models, LandmarkSink on_landmarks = nullptr,
             int landmark_every = 1);

  void on_sequence_start(uint32_t seq, uint32_t planned_frames) override;
  void on_frame(const DecodedFrame& frame, frames::WorkerContext& context) override;
  nlohmann::json on_sequence_end(const frames::SequenceStats& stats, frames::WorkerContext& context) override;

 private:
  std::shared_ptr<const RecognitionModels> models_;
  landmarks::HolisticTracker tracker_;
  std::unique_ptr<sign::Classifier> classifier_;
  LandmarkSink on_landmarks_;
  sign::Sequence sequence_;
  std::vector<double> landmark_ms_;
  std::vector<double> queue_wait_ms_;
  int landmark_every_ = 1;
  int skipped_ = 0;
  int with_pose_ = 0;
  int with_hands_ = 0;
  int64_t last_timestamp_us_ = 0;
  nlohmann::json last_frame_;  // where the last landmarked frame's time went (stages_ms.last_frame)
};

}  // namespace sueo
