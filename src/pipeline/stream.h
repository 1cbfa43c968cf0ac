// The CPU side of one client's stream: decodes each assembled frame, keeps the sequence's measured
// facts, hands every decoded frame to the session's consumer (landmarks, recognition) and builds the
// sequence's receipt. It lives in the pipeline library: no GLib, no network.
//
// Thread: only tasks of the WorkerPool submitted with the session's key call it, so it runs on one
// worker at a time, in the order the frames were submitted; it needs no lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "frames/assembler.h"
#include "frames/sequence_stats.h"
#include "frames/worker_pool.h"

namespace sueo {

// A decoded frame with its timestamps, as a consumer sees it.
struct DecodedFrame {
  uint32_t seq = 0;
  uint32_t index = 0;
  double capture_ms = 0;      // page clock
  double first_chunk_ms = 0;  // server clock
  double complete_ms = 0;     // server clock
  double decode_ms = 0;
  const frames::Image* image = nullptr;
};

// window: a sequence is one recognition window with one result. live: sequences follow one another as
// parts of one open-ended stream, and signs are reported as they end (docs/protocol.md §2, §4).
enum class SequenceMode { kWindow, kLive };

struct SequenceStart {
  uint32_t seq = 0;
  uint32_t planned_frames = 0;
  SequenceMode mode = SequenceMode::kWindow;
};

struct SequenceEnd {
  uint32_t seq = 0;
  bool final = true;  // live mode: the last sequence of the live run (the page stopped)
};

// What a session does with its frames besides the receipt (the landmark and recognition issues plug in
// here). Called on the session's worker only, in frame order.
class FrameConsumer {
 public:
  virtual ~FrameConsumer() = default;
  virtual void on_sequence_start(const SequenceStart& /*start*/) {}
  virtual void on_frame(const DecodedFrame& frame, frames::WorkerContext& context) = 0;
  // The sequence's `result` message (docs/protocol.md §4), or null for none.
  virtual nlohmann::json on_sequence_end(const frames::SequenceStats& stats, const SequenceEnd& end,
                                         frames::WorkerContext& context) = 0;
};

class FrameStream {
 public:
  explicit FrameStream(std::unique_ptr<FrameConsumer> consumer = nullptr, int64_t max_pixels = 4096LL * 4096);

  // Builds its consumer with `make_consumer` when the first sequence starts, on the worker, so a client
  // that connects and never streams costs no recognizer (its tracking state and classifier: a streaming
  // session is ~4.5 MB in all; the landmark runtimes are the workers', pipeline/landmark_runtimes.h).
  // `make_consumer` may return nullptr (no consumer).
  using ConsumerMaker = std::function<std::unique_ptr<FrameConsumer>()>;
  explicit FrameStream(ConsumerMaker make_consumer, int64_t max_pixels = 4096LL * 4096);

  void start(const SequenceStart& start);

  // Decodes and records one frame. Returns false (and counts a bad_jpeg drop) when it does not decode;
  // `error` then says why.
  bool add_frame(frames::AssembledFrame frame, frames::WorkerContext& context, std::string& error);

  // What a closed sequence yields: the receipt (docs/protocol.md §3) and the consumer's result (§4,
  // null without a consumer).
  struct Outcome {
    nlohmann::json receipt;
    nlohmann::json result;
  };

  // Closes the sequence: merges the assembler's drop counts, builds the receipt and asks the consumer
  // for its result.
  Outcome finish(const SequenceEnd& end, uint32_t frames_sent, const frames::DropCounts& assembler_drops,
                 uint32_t overloaded, double now_ms, bool detail, frames::WorkerContext& context);

  uint32_t current_seq() const { return stats_.seq; }

 private:
  std::unique_ptr<FrameConsumer> consumer_;
  ConsumerMaker make_consumer_;  // called once, at the first start()
  int64_t max_pixels_;
  frames::SequenceStats stats_;
  frames::Image image_;  // reused between frames
};

}  // namespace sueo
