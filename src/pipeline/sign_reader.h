// Reads signs from a stream of landmark frames: the spotter cuts the stream into sign segments, each
// finished segment goes to the classifier, and a decision names the word or says why it cannot
// (`unknown_sign`, `low_confidence`). Everything after the landmarks lives here, so the server (live
// and window mode), `sueo spot`, `sueo recognize` and the stream evaluation read signs with the same
// code.
//
//   SignReader reader(models.classifier);          // one per stream
//   for each frame: if (auto a = reader.add(landmarks, where, capture_ms, aspect)) show(*a);
//   at the end of a window: if (auto a = reader.finish()) show(*a);
//
// Thread: one at a time (the session's worker).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/spotter.h"
#include "sign/classifier.h"
#include "sign/matcher.h"

namespace sueo {

// Why a sign (or a window) has no word. The codes are the protocol's (docs/protocol.md §4).
enum class NoWord { kNone, kNoPerson, kNoSign, kUnknownSign, kLowConfidence, kNoModel };
const char* to_code(NoWord reason);
std::string to_message(NoWord reason);  // a sentence for people, Korean first

// When a classified segment is named (sign::Matcher decides first, then the probability):
//  - a taught word wins when the sign's embedding is at least `match.min_similarity` (cosine) near its
//    prototype and nearer than the classifier's word by `match.taught_margin` (docs/teach.md);
//  - a built-in word whose prototype (model metadata) is farther than `match.min_builtin_similarity`
//    is unknown_sign: the embedding tells signs the model never learnt from its words better than the
//    probability does;
//  - else the classifier's probability of its best word: at or above `accept` the word is given;
//    between `low` and `accept` the answer is low_confidence (with the guess); below `low`,
//    unknown_sign.
// Calibrated without the test signers: the cosine threshold 0.86 is where 80 % of the
// out-of-vocabulary calibration half is rejected while 99.3 % of out-of-fold known takes are accepted
// (tools/train/unknown_eval.py, docs/teach.md); with it, the probability thresholds change nothing on
// the tuning streams between 0.3 and 0.5 (tools/eval/streams score tune), so they are set low, for
// held-out signers' lower probabilities. Report: docs/spotting.md.
struct DecisionSettings {
  DecisionSettings() { match.min_builtin_similarity = 0.86f; }
  double accept = 0.35;
  double low = 0.2;
  double join_gap = 1.0;  // seconds between two segments within which the second may continue the first
  sign::MatchSettings match;
};

// The taught words' prototypes, read at each decision (null: none).
using TaughtSource = std::function<std::shared_ptr<const sign::TaughtSet>()>;

// Where a frame sits in what the client sent: its sequence and index there.
struct FramePlace {
  uint32_t seq = 0;
  uint32_t index = 0;
};

struct SignAnswer {
  std::string word;           // empty when `reason` is set
  std::string gloss;
  float score = 0;            // the classifier's probability of its best word (the guess)
  std::vector<sign::Prediction> top;
  NoWord reason = NoWord::kNone;
  Segment segment;            // in the reader's own frame numbers and capture times
  FramePlace first, last;     // the segment's first and last frame as the client numbered them
  int frames = 0;             // landmark frames handed to the classifier
  double classifier_ms = 0;
  // The tail of the sign before (it began right after that one ended, and is unnamed or named the
  // same): a pause within a sign or the hands going back to rest, not a new sign. Not reported.
  bool continuation = false;
  bool taught = false;        // the word is one people taught (docs/teach.md)
  float similarity = 0;       // cosine of the sign's embedding to the chosen word's prototype
  sign::Sequence landmarks;   // the segment's frames, when the reader keeps them (teaching takes)

  bool named() const { return reason == NoWord::kNone; }
  // {"word", "gloss", "score", "top", "start_ms", "end_ms", "frames": [first, last]} or, without a
  // word, {"word": null, "reason", "message", "guess", ...}.
  nlohmann::json to_json() const;
};

// The decision for one classified sign, the rule above: what a SignReader answers for a segment
// (without its place in the stream). `sueo eval --store` scores the same rule.
SignAnswer decide_sign(const sign::Classification& found, const std::shared_ptr<const sign::ClassifierModel>& model,
                       std::shared_ptr<const sign::TaughtSet> taught, const DecisionSettings& decision);

class SignReader {
 public:
  // `classifier` may be null: segments are still found, and answered with NoWord::kNoModel.
  SignReader(std::shared_ptr<const sign::ClassifierModel> classifier, SpotterSettings spotter = {},
             DecisionSettings decision = {}, TaughtSource taught = nullptr);

  // Answers carry their segment's landmark frames (the Teach view replays and saves a take's sign).
  void keep_landmarks(bool on) { keep_landmarks_ = on; }

  // One landmark frame of a frame `aspect` (width / height) wide: the spotter measures it in square units,
  // the classifier gets it at its model's aspect (sign/aspect.h). Returns the answer for a sign that this
  // frame showed to have ended.
  std::optional<SignAnswer> add(const sign::Frame& frame, FramePlace place, double capture_ms, double aspect);

  // The end of a window: a sign still open is cut here and answered.
  std::optional<SignAnswer> finish();

  void reset();

  const Spotter& spotter() const { return spotter_; }
  int frames_seen() const { return frames_seen_; }
  int frames_with_person() const { return frames_with_person_; }

 private:
  struct Kept {
    int64_t number = 0;  // the spotter's frame number
    double t_ms = 0;     // capture time
    FramePlace place;
    sign::Frame values;
  };

  SignAnswer answer(const Segment& segment);
  SignAnswer decide(const sign::Classification& found) const;

  std::shared_ptr<const sign::ClassifierModel> model_;
  std::unique_ptr<sign::Classifier> classifier_;
  Spotter spotter_;
  DecisionSettings decision_;
  TaughtSource taught_;
  bool keep_landmarks_ = false;
  SignAnswer mark_continuation(SignAnswer answer);

  std::deque<Kept> kept_;  // frames a segment may still need
  std::string last_word_;  // the last reported sign's word ("" when unnamed) and the end of its motion
  double last_end_ms_ = -1e18;
  int frames_seen_ = 0;
  int frames_with_person_ = 0;
};

}  // namespace sueo
