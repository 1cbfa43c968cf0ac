// Recognition for one stream: every decoded frame goes through MediaPipe Holistic on the session's
// worker as soon as it arrives, then to the SignReader (spotter → classifier → decision), so when a
// sign ends only the classifier is left.
//
// Two modes (docs/protocol.md §4):
//  - window: a sequence is one recognition window; its result names every sign found in it
//    (`words`, in order; `word` the best one) or says why there is none (`reason`).
//  - live: sequences follow each other without a gap in the spotter's view; each sign is sent as a
//    `word` message the moment the person rests after it. Only the final live sequence gets a result.
//
//   auto models = RecognitionModels::load(models_dir, classifier_path);  // once per process
//   auto recognizer = std::make_unique<Recognizer>(models, sinks);       // one per session
//
// Thread: RecognitionModels: any thread (immutable). Recognizer: the session's worker only (it is a
// FrameConsumer, called by FrameStream in frame order); its sinks run there too.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "landmarks/holistic.h"
#include "pipeline/sign_reader.h"
#include "pipeline/stream.h"
#include "sign/classifier.h"

namespace sueo {

struct RecognitionModels {
  std::shared_ptr<const landmarks::HolisticModels> landmarks;
  std::shared_ptr<const sign::ClassifierModel> classifier;  // null: landmarks only, no word
  std::string name;                                         // the classifier file's stem
  SpotterSettings spotter;                                  // how signs are found
  DecisionSettings decision;                                // when they are named

  // Loads the landmark models from `models_dir` and the classifier from `classifier_path` (empty: no
  // classifier). Throws std::runtime_error (or sign::ModelError) saying what is wrong.
  static std::shared_ptr<RecognitionModels> load(const std::string& models_dir, const std::string& classifier_path,
                                                 const landmarks::HolisticOptions& landmark_options = {});

  // Runs every model once on a real-looking input so the first session pays no first-call costs.
  // Returns the milliseconds it took.
  double warm_up() const;

  // {"name", "labels": [{"word", "gloss"}, ...], "input": [1, T, 258], "ready": true} for `welcome`
  // and /healthz.
  nlohmann::json describe() const;
};

// The landmarks of one frame, for the preview overlay (docs/protocol.md §4). `signing`: the spotter's
// state after the frame.
nlohmann::json landmarks_message(uint32_t seq, uint32_t frame, const landmarks::FrameLandmarks& f,
                                 bool signing = false);

// Teaching (docs/teach.md): the classifier file may be swapped while the server runs, taught words join
// the decision, and a take recorded in the Teach view comes back with its sign's landmarks.
struct TeachingHooks {
  // The models to use from the next window or live run on (one in flight keeps the ones it started with).
  std::function<std::shared_ptr<const RecognitionModels>()> current_models;
  // The taught words' prototypes; read at each decision.
  TaughtSource taught;
  // True while the page's Teach view is open: results then carry "sign": the take's sign's landmarks.
  std::function<bool()> teach_takes;
};

struct RecognizerSinks {
  // Each landmarked frame (the preview overlay), with the spotter's state after it.
  std::function<void(uint32_t seq, uint32_t frame, const landmarks::FrameLandmarks&, bool signing)> landmarks;
  // Live mode: each sign's `word` message, and an `activity` message each time the spotter starts or
  // stops seeing a sign (docs/protocol.md §4).
  std::function<void(nlohmann::json message)> word;
  std::function<void(nlohmann::json message)> activity;
};

class Recognizer : public FrameConsumer {
 public:
  // `landmark_every` N > 1 runs the landmarks on every N-th frame of a sequence only (frame index % N
  // == 0), halving (N = 2) the CPU a stream costs; the other frames are still received and decoded, and
  // the result counts them as `skipped`.
  // `shed_after_ms` > 0 (the server; never offline tools): a frame that waited longer than this for a
  // worker is not landmarked either, unless the frame before it was shed too — an overloaded server
  // thins a stream to every second frame (the spotter still works at 7.5 frames a second) instead of
  // falling further behind until its queue is full and frames are dropped. The result counts these
  // frames in `skipped` and `shed`.
  Recognizer(std::shared_ptr<const RecognitionModels> models, RecognizerSinks sinks = {}, int landmark_every = 1,
             std::shared_ptr<const TeachingHooks> teaching = nullptr, double shed_after_ms = 0);

  void on_sequence_start(const SequenceStart& start) override;
  void on_frame(const DecodedFrame& frame, frames::WorkerContext& context) override;
  nlohmann::json on_sequence_end(const frames::SequenceStats& stats, const SequenceEnd& end,
                                 frames::WorkerContext& context) override;

 private:
  void take(const SignAnswer& answer, const DecodedFrame* deciding);
  void pick_up_models();
  SignReader make_reader() const;
  nlohmann::json take_landmarks() const;
  nlohmann::json window_result(const frames::SequenceStats& stats);

  std::shared_ptr<const RecognitionModels> models_;
  landmarks::HolisticTrack tracker_;  // this stream's state; the runtimes are the worker's
  std::shared_ptr<const TeachingHooks> teaching_;
  SignReader reader_;
  RecognizerSinks sinks_;
  bool teach_take_ = false;            // this window is a take in the Teach view
  SequenceMode mode_ = SequenceMode::kWindow;
  bool live_running_ = false;          // a live run is open: the next live sequence continues it
  bool signing_ = false;               // the spotter's state as last told to the page (live mode)
  std::vector<SignAnswer> answers_;    // this window's (or this live run's) signs, in order
  std::vector<double> landmark_ms_;
  std::vector<double> queue_wait_ms_;
  double classifier_ms_ = 0;
  int landmark_every_ = 1;
  double shed_after_ms_ = 0;
  bool shed_last_ = false;  // the previous frame was shed
  double frame_aspect_ = 0;  // width / height of the last landmarked frame
  int skipped_ = 0;
  int shed_ = 0;
  int used_ = 0;
  int with_pose_ = 0;
  int with_hands_ = 0;
  int64_t last_timestamp_us_ = 0;
  nlohmann::json last_frame_;  // where the last landmarked frame's time went (stages_ms.last_frame)
};

}  // namespace sueo
