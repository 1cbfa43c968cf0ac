#include "pipeline/sign_reader.h"

#include <algorithm>

#include "sign/aspect.h"

namespace sueo {
namespace {

// Frames kept for segments still to come: a whole segment (max_seconds) with its pre-roll, plus the
// stillness that ends it and a second of slack.
double keep_ms(const SpotterSettings& s) { return (s.max_seconds + s.pre_roll + s.end_seconds + 1.0) * 1000.0; }

nlohmann::json predictions_json(const std::vector<sign::Prediction>& top, size_t count) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < std::min(count, top.size()); ++i) {
    out.push_back({{"word", top[i].word}, {"gloss", top[i].gloss}, {"score", top[i].score}});
  }
  return out;
}

}  // namespace

const char* to_code(NoWord reason) {
  switch (reason) {
    case NoWord::kNone: return "";
    case NoWord::kNoPerson: return "no_person";
    case NoWord::kNoSign: return "no_sign";
    case NoWord::kUnknownSign: return "unknown_sign";
    case NoWord::kLowConfidence: return "low_confidence";
    case NoWord::kNoModel: return "no_model";
  }
  return "";
}

std::string to_message(NoWord reason) {
  switch (reason) {
    case NoWord::kNone: return "";
    case NoWord::kNoPerson: return "사람이 보이지 않아요 · No one was in view";
    case NoWord::kNoSign: return "수어 동작이 없었어요 · No sign was seen";
    case NoWord::kUnknownSign: return "모르는 수어예요 · A sign this model does not know";
    case NoWord::kLowConfidence: return "어떤 수어인지 확실하지 않아요 · Not sure which sign this was";
    case NoWord::kNoModel: return "서버에 수어 모델이 없어요 · The server runs without a sign model";
  }
  return "";
}

nlohmann::json SignAnswer::to_json() const {
  nlohmann::json out;
  if (named()) {
    out = {{"word", word}, {"gloss", gloss}, {"score", score}};
    if (taught) out["taught"] = true;
  } else {
    out = {{"word", nullptr}, {"reason", to_code(reason)}, {"message", to_message(reason)}};
    if (!top.empty()) out["guess"] = {{"word", top.front().word}, {"gloss", top.front().gloss}, {"score", score}};
  }
  out["top"] = predictions_json(top, 3);
  out["similarity"] = similarity;
  out["start_ms"] = segment.start_ms;
  out["end_ms"] = segment.motion_end_ms;
  out["frames"] = {{{"seq", first.seq}, {"index", first.index}}, {{"seq", last.seq}, {"index", last.index}}};
  return out;
}

SignReader::SignReader(std::shared_ptr<const sign::ClassifierModel> classifier, SpotterSettings spotter,
                       DecisionSettings decision, TaughtSource taught)
    : model_(std::move(classifier)), spotter_(spotter), decision_(decision), taught_(std::move(taught)) {
  // One Net per stream: a stream runs on one worker at a time, so it needs no lock (docs/model.md).
  if (model_) classifier_ = std::make_unique<sign::Classifier>(model_, 3);
}

void SignReader::reset() {
  spotter_.reset();
  last_word_.clear();
  last_end_ms_ = -1e18;
  kept_.clear();
  frames_seen_ = frames_with_person_ = 0;
}

std::optional<SignAnswer> SignReader::add(const sign::Frame& frame, FramePlace place, double capture_ms,
                                          double aspect) {
  // The spotter measures in square units itself; the classifier gets the frame at its model's aspect.
  kept_.push_back({spotter_.frames_seen(), capture_ms, place, frame});
  if (model_) sign::to_model_aspect(kept_.back().values, aspect, model_->frame_aspect());
  const auto segment = spotter_.add(frame, capture_ms, aspect);
  ++frames_seen_;
  frames_with_person_ += spotter_.last().person ? 1 : 0;
  std::optional<SignAnswer> out;
  if (segment) out = mark_continuation(answer(*segment));
  // Drop what no segment can reach any more: the reader's memory stays bounded in live mode.
  const double oldest_ms = capture_ms - keep_ms(spotter_.settings());
  while (kept_.size() > 1 && kept_.front().t_ms < oldest_ms) kept_.pop_front();
  return out;
}

std::optional<SignAnswer> SignReader::finish() {
  const auto segment = spotter_.flush();
  if (!segment) return std::nullopt;
  return mark_continuation(answer(*segment));
}

SignAnswer SignReader::mark_continuation(SignAnswer a) {
  // The motion began pre_roll after the segment's first frame.
  const double began_ms = a.segment.start_ms + spotter_.settings().pre_roll * 1000.0;
  const bool soon = began_ms - last_end_ms_ < decision_.join_gap * 1000.0;
  if (soon && (!a.named() || a.word == last_word_)) {
    a.continuation = true;
  } else {
    last_word_ = a.word;
  }
  last_end_ms_ = a.segment.motion_end_ms;
  return a;
}

SignAnswer SignReader::answer(const Segment& segment) {
  sign::Sequence frames;
  SignAnswer out;
  for (const Kept& k : kept_) {
    if (k.number < segment.first || k.number > segment.last) continue;
    if (frames.empty()) out.first = k.place;
    out.last = k.place;
    frames.push_back(k.values);
  }
  if (!classifier_ || frames.empty()) {
    out.reason = NoWord::kNoModel;
  } else {
    out = [&] {
      SignAnswer decided = decide(classifier_->classify(frames));
      decided.first = out.first;
      decided.last = out.last;
      if (keep_landmarks_) decided.landmarks = frames;
      return decided;
    }();
  }
  out.segment = segment;
  out.frames = static_cast<int>(frames.size());
  return out;
}

SignAnswer SignReader::decide(const sign::Classification& found) const {
  return decide_sign(found, model_, taught_ ? taught_() : nullptr, decision_);
}

SignAnswer decide_sign(const sign::Classification& found, const std::shared_ptr<const sign::ClassifierModel>& model,
                       std::shared_ptr<const sign::TaughtSet> taught, const DecisionSettings& decision) {
  SignAnswer out;
  out.top = found.top;
  out.score = found.score;
  out.classifier_ms = found.ms;
  sign::MatchSettings match = decision.match;
  match.min_probability = 0;  // the probability thresholds below say low_confidence or unknown_sign
  const sign::Decision d = sign::Matcher(model, std::move(taught), match).decide(found);
  out.similarity = d.similarity;
  if (d.taught) {
    out.word = d.word;
    out.gloss = d.gloss;
    out.score = d.score;
    out.taught = true;
    return out;
  }
  if (!d.known) {
    out.reason = NoWord::kUnknownSign;  // far from the word's prototype
  } else if (found.score >= decision.accept) {
    out.word = found.word;
    out.gloss = found.gloss;
  } else {
    out.reason = found.score >= decision.low ? NoWord::kLowConfidence : NoWord::kUnknownSign;
  }
  return out;
}

}  // namespace sueo
