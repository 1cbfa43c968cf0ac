// The sign classifier: an ONNX model that maps a landmark sequence to scores over a vocabulary of KSL
// words (contract: docs/model.md), run with OpenCV 4.6 DNN.
//
// Two objects, as in whisper.cpp's "weights loaded once, state per stream":
//  * ClassifierModel — the file read, validated against the contract and its labels parsed, once at
//    startup. Immutable after load(): share one shared_ptr<const ClassifierModel> with every worker.
//  * Classifier — one per worker thread: its own cv::dnn::Net (built from the model's bytes in memory)
//    because cv::dnn::Net::forward is not thread-safe. A Net costs ~weights size in memory (1–2 MB
//    for the default model) and saves a lock on the hot path; docs/model.md has the measurements.
//
// A model may have a second output, an embedding [1, D] of the sign (docs/model.md §4): Classification
// then carries it (L2-normalised), and the model may ship one prototype embedding per label.
// Thread: ClassifierModel: any thread. Classifier: one thread at a time (the worker that owns it).
#pragma once

#include <cstdint>
#include <memory>
#include <opencv2/dnn.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "sign/layout.h"

namespace sueo::sign {

struct Label {
  std::string word;   // Korean word (what the user sees)
  std::string gloss;  // English gloss
};

struct Prediction {
  std::string word;
  std::string gloss;
  float score = 0;
  int index = -1;
};

struct Classification {
  std::string word;
  std::string gloss;
  float score = 0;
  std::vector<Prediction> top;   // best first
  std::vector<float> embedding;  // L2-normalised; empty when the model has no embedding output
  double ms = 0;                 // fit_to_model + forward
};

// What one forward pass gives: a score per label and, when the model has one, the embedding.
struct ModelOutput {
  std::vector<float> scores;     // probabilities (softmax applied for logits models)
  std::vector<float> embedding;  // L2-normalised, or empty
};

// Thrown when a model file does not meet the contract; what() says exactly what is wrong.
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ClassifierModel {
 public:
  // Reads, validates and warms up (one forward pass on zeros). Throws ModelError.
  static std::shared_ptr<const ClassifierModel> load(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<Label>& labels() const { return labels_; }
  int frames() const { return frames_; }            // T the model takes; 0 when T is dynamic
  int trim_margin() const { return trim_margin_; }  // frames kept around the hand-visible span
  // Width / height of the frames the model was trained on (`sueo.frame_aspect`); 0: not declared, frames
  // of any shape are given as they are (sign/aspect.h).
  double frame_aspect() const { return frame_aspect_; }
  bool softmax_needed() const { return softmax_; }  // the model outputs logits, not probabilities
  // Size D of the embedding output; 0 when the model has none (teaching is then unavailable).
  int embedding_size() const { return embedding_size_; }
  const std::string& scores_output() const { return scores_output_; }
  const std::string& embedding_output() const { return embedding_output_; }
  // One L2-normalised embedding per label (metadata `sueo.prototypes`), or empty when not shipped.
  const std::vector<std::vector<float>>& prototypes() const { return prototypes_; }
  // Different for every model loaded in this process (even at a reused address): what derived data
  // such as taught-word prototypes records to know which model it belongs to.
  uint64_t id() const { return id_; }
  size_t size_bytes() const { return bytes_.size(); }
  std::vector<std::string> operators() const { return operators_; }

  // A new cv::dnn::Net for this model (what each Classifier owns).
  cv::dnn::Net make_net() const;

 private:
  ClassifierModel() = default;
  std::string path_;
  std::string bytes_;
  std::vector<Label> labels_;
  std::vector<std::string> operators_;
  std::string scores_output_;
  std::string embedding_output_;  // empty: no embedding
  std::vector<std::vector<float>> prototypes_;
  uint64_t id_ = 0;
  int frames_ = 0;
  int trim_margin_ = 4;
  double frame_aspect_ = 0;
  int embedding_size_ = 0;
  bool softmax_ = false;
};

class Classifier {
 public:
  explicit Classifier(std::shared_ptr<const ClassifierModel> model, size_t top_k = 5);

  // Fits the raw sequence to the model (trim + resample, resample.h) and classifies it. Throws
  // std::invalid_argument on an empty sequence.
  Classification classify(const Sequence& frames);

  // The model's scores (probabilities) for a sequence that already has the model's T frames.
  std::vector<float> scores(const Sequence& fitted);

  // Scores and embedding for a sequence that already has the model's T frames.
  ModelOutput run(const Sequence& fitted);

  const ClassifierModel& model() const { return *model_; }

 private:
  std::shared_ptr<const ClassifierModel> model_;
  cv::dnn::Net net_;
  size_t top_k_;
};

}  // namespace sueo::sign
