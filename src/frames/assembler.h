// Reassembles frames from chunks that may arrive in any order, per sequence, and drops frames that are
// incomplete after a timeout, duplicated, oversized or out of range — counting each by reason.
// Thread: not thread-safe; the owner (a transport session) serialises calls with its own lock. Time is
// passed in (milliseconds, any monotonic-or-wall clock the caller uses consistently) so tests control it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "frames/chunk.h"
#include "frames/drop.h"

namespace sueo::frames {

struct AssembledFrame {
  uint32_t seq = 0;
  uint32_t frame_index = 0;
  double capture_time_ms = 0;   // page clock, from the header
  double first_chunk_ms = 0;    // server clock: first chunk of this frame arrived
  double complete_ms = 0;       // server clock: last missing chunk arrived
  std::vector<uint8_t> jpeg;
};

// One frame drop, as counted in FrameAssembler::drops().
struct DroppedFrame {
  uint32_t seq = 0;
  uint32_t frame_index = 0;
  DropReason reason = DropReason::kIncomplete;
};

struct AssemblerLimits {
  uint32_t max_frame_bytes = 4u << 20;
  uint32_t max_sequence_frames = 600;
  double frame_timeout_ms = 2000;
  uint32_t max_frames_in_flight = 64;  // partial frames held at once (≥ 1); past that the oldest is dropped
  // Bytes reserved by partial frames at once (each holds frame_bytes + 8 per chunk from its first chunk);
  // past that the oldest is dropped. Bounds memory whatever a peer announces. A single frame may exceed it.
  uint64_t max_bytes_in_flight = 32u << 20;
};

class FrameAssembler {
 public:
  explicit FrameAssembler(AssemblerLimits limits);

  // Opens a sequence; a still-open sequence is closed first (its partial frames dropped as incomplete).
  // Resets the counts below: call end_sequence() first to read those of the sequence it closes.
  // Returns false (and changes nothing: an open sequence stays open) when `planned_frames` is 0 or
  // above the limit.
  bool start_sequence(uint32_t seq, uint32_t planned_frames, double now_ms);

  // Feeds one parsed chunk. Returns the frame when this chunk completed it. A chunk that does not fit
  // (no open sequence, other seq, index out of range, a frame already complete, inconsistent with the
  // frame's earlier chunks, a repeated chunk) is counted and `drop` tells why.
  //
  // `drop` is set for *every* chunk that was not used; drops() counts *frames*, each once where that can
  // be told, so count from drops(), not from `drop`:
  //  - out_of_range (no open sequence, other seq, index ≥ planned): counted on the frame's chunk 0.
  //  - duplicate (frame already complete): counted once per repeated copy of the frame (its first chunk).
  //  - oversized (frame_bytes above the limit): counted once, the frame index is then closed.
  //  - a chunk that contradicts the frame's earlier chunks (chunk_count, frame_bytes, capture_time,
  //    a gap or an overlap): the frame cannot complete, so it is dropped at once as incomplete (counted
  //    once, plus chunks_inconsistent()); its later chunks are refused without counting again.
  //  - a chunk index that already arrived for a partial frame: ignored (the frame keeps the first copy
  //    and still completes), `drop` = duplicate, counted in chunks_repeated() only.
  //  - chunks of a frame already dropped (timed out, inconsistent, oversized): refused with that
  //    reason, not counted again.
  std::optional<AssembledFrame> add(const Chunk& chunk, double now_ms, std::optional<DropReason>* drop = nullptr);

  // Drops partial frames whose first chunk is older than the timeout. Returns how many were dropped.
  int expire(double now_ms);

  // Closes the open sequence `seq`: partial frames are dropped as incomplete (frames of which no chunk
  // arrived are not counted: the receipt's expected − received shows them). Returns false when `seq`
  // is not the open sequence. The counts stay readable until the next start_sequence resets them.
  bool end_sequence(uint32_t seq);

  // The frames counted in drops() since the last call, oldest first, so the owner can tell the sender
  // which ones (docs/protocol.md, frame_dropped). At most kMaxDropLog are kept between calls; the
  // counts stay exact.
  static constexpr size_t kMaxDropLog = 4096;
  std::vector<DroppedFrame> take_dropped() { return std::exchange(drop_log_, {}); }

  bool sequence_open() const { return open_; }
  uint32_t current_seq() const { return seq_; }
  const DropCounts& drops() const { return drops_; }      // of the current (or last) sequence
  uint32_t frames_completed() const { return completed_count_; }
  uint64_t bytes_completed() const { return bytes_completed_; }
  uint32_t chunks_repeated() const { return chunks_repeated_; }          // see add()
  uint32_t chunks_inconsistent() const { return chunks_inconsistent_; }  // see add()
  size_t frames_in_flight() const { return partial_.size(); }
  uint64_t bytes_in_flight() const { return bytes_in_flight_; }

 private:
  // A frame of which some chunks arrived. Chunk i covers [begin[i], end[i]); end[i] == 0 means "not yet"
  // (a payload is never empty).
  struct Partial {
    uint16_t chunk_count = 0;
    uint32_t frame_bytes = 0;
    double capture_time_ms = 0;
    double first_chunk_ms = 0;
    uint32_t chunks_arrived = 0;
    uint64_t claim = 0;  // bytes counted in bytes_in_flight_
    std::vector<uint8_t> bytes;
    std::vector<uint32_t> begin, end;
  };
  enum class SlotState : uint8_t { kOpen, kComplete, kDropped };
  struct Slot {  // one per planned frame index of the open sequence
    SlotState state = SlotState::kOpen;
    DropReason reason = DropReason::kIncomplete;  // when kDropped
    uint16_t chunk_count = 0;                     // when kComplete
    uint32_t repeated_chunks = 0;                 // chunks seen after completion
  };

  std::optional<AssembledFrame> add_to_frame(const Chunk& chunk, double now_ms, std::optional<DropReason>* drop);
  std::optional<AssembledFrame> refuse_inconsistent(uint32_t frame_index, std::optional<DropReason>* drop);
  static bool same_frame(const Partial& frame, const ChunkHeader& h);
  static bool fits_frame(const Partial& frame, const Chunk& chunk);
  AssembledFrame finish(uint32_t frame_index, Partial&& frame, double now_ms);
  void make_room(uint64_t claim);
  void close_sequence();
  void drop_frame(uint32_t frame_index, DropReason reason);
  void count_drop(uint32_t seq, uint32_t frame_index, DropReason reason);

  AssemblerLimits limits_;
  bool open_ = false;
  uint32_t seq_ = 0;
  uint32_t planned_frames_ = 0;
  std::map<uint32_t, Partial> partial_;          // by frame index
  std::vector<Slot> slots_;                      // by frame index, this sequence
  uint64_t bytes_in_flight_ = 0;
  DropCounts drops_;
  uint32_t completed_count_ = 0;
  uint64_t bytes_completed_ = 0;
  uint32_t chunks_repeated_ = 0;
  uint32_t chunks_inconsistent_ = 0;
  std::vector<DroppedFrame> drop_log_;
};

}  // namespace sueo::frames
