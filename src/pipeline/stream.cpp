#include "pipeline/stream.h"

#include <algorithm>
#include <chrono>

#include "metrics.h"

namespace sueo {

namespace {

// The per-sequence times a result reports (docs/protocol.md §4), into /metrics.
void observe_stages(const nlohmann::json& result) {
  static Histogram& classifier = Metrics::global().histogram("stage_seconds.classifier");
  static Histogram& after_last_frame = Metrics::global().histogram("stage_seconds.after_last_frame");
  auto stages = result.find("stages_ms");
  if (stages == result.end() || !stages->is_object()) return;
  if (auto ms = stages->find("classifier"); ms != stages->end() && ms->is_number() && ms->get<double>() > 0) {
    classifier.observe(ms->get<double>() / 1000.0);
  }
  if (auto ms = stages->find("after_last_frame"); ms != stages->end() && ms->is_number() && ms->get<double>() > 0) {
    after_last_frame.observe(ms->get<double>() / 1000.0);
  }
}

}  // namespace

FrameStream::FrameStream(std::unique_ptr<FrameConsumer> consumer, int64_t max_pixels)
    : consumer_(std::move(consumer)), max_pixels_(max_pixels) {}

void FrameStream::start(uint32_t seq, uint32_t planned_frames, double) {
  stats_ = frames::SequenceStats{};
  stats_.seq = seq;
  stats_.expected = planned_frames;
  if (consumer_) consumer_->on_sequence_start(seq, planned_frames);
}

bool FrameStream::add_frame(frames::AssembledFrame frame, frames::WorkerContext& context, std::string& error) {
  if (frame.seq != stats_.seq) return false;  // a late frame of a closed sequence: already counted
  stats_.received += 1;
  stats_.bytes += frame.jpeg.size();
  stats_.assembly_ms.push_back(frame.complete_ms - frame.first_chunk_ms);
  stats_.complete_ms.push_back(frame.complete_ms);
  stats_.frame_index.push_back(frame.frame_index);
  if (stats_.t_first_chunk_ms == 0 || frame.first_chunk_ms < stats_.t_first_chunk_ms) {
    stats_.t_first_chunk_ms = frame.first_chunk_ms;
  }
  if (frame.complete_ms > stats_.t_receive_ms) stats_.t_receive_ms = frame.complete_ms;
  Metrics::global().add("frames.received");

  // Per-stage times for /metrics (the receipt and result carry the same per sequence).
  static Histogram& queue_wait = Metrics::global().histogram("stage_seconds.queue_wait");
  static Histogram& decode = Metrics::global().histogram("stage_seconds.decode");
  const double wall_now = std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
  queue_wait.observe(std::max(0.0, wall_now - frame.complete_ms) / 1000.0);
  const auto begin = std::chrono::steady_clock::now();
  const bool ok = context.jpeg.decode(frame.jpeg, image_, error, max_pixels_);
  const double decode_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
  decode.observe(decode_ms / 1000.0);
  if (!ok) {
    stats_.drops.add(frames::DropReason::kBadJpeg);
    Metrics::global().add("frames.dropped.bad_jpeg");
    return false;
  }
  stats_.decoded += 1;
  stats_.decode_ms.push_back(decode_ms);
  stats_.width = image_.width;
  stats_.height = image_.height;
  Metrics::global().add("frames.decoded");
  if (consumer_) {
    const DecodedFrame decoded{frame.seq,         frame.frame_index, frame.capture_time_ms, frame.first_chunk_ms,
                               frame.complete_ms, decode_ms,         &image_};
    consumer_->on_frame(decoded, context);
  }
  return true;
}

FrameStream::Outcome FrameStream::finish(uint32_t seq, uint32_t frames_sent, const frames::DropCounts& assembler_drops,
                                         uint32_t overloaded, double now_ms, bool detail, frames::WorkerContext& context) {
  stats_.seq = seq;
  if (frames_sent > 0) stats_.expected = frames_sent;
  for (size_t i = 0; i < frames::kDropReasonCount; ++i) {
    stats_.drops.by_reason[i] += assembler_drops.by_reason[i];
  }
  stats_.drops.add(frames::DropReason::kOverloaded, overloaded);
  Outcome outcome;
  outcome.receipt = stats_.to_json(detail);
  outcome.receipt["type"] = "receipt";
  outcome.receipt["seq"] = seq;
  outcome.receipt["t_receipt"] = now_ms;
  if (consumer_) {
    outcome.result = consumer_->on_sequence_end(stats_, context);
    if (outcome.result.is_object()) {
      outcome.result["type"] = "result";
      outcome.result["seq"] = seq;
      observe_stages(outcome.result);
    }
  }
  return outcome;
}

}  // namespace sueo
