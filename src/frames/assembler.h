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

struct AssemblerLimits {
  uint32_t max_frame_bytes = 4u << 20;
  uint32_t max_sequence_frames = 600;
  double frame_timeout_ms = 2000;
  uint32_t max_frames_in_flight = 64;  // partial frames held at once; past that the oldest is dropped
};

class FrameAssembler {
 public:
  explicit FrameAssembler(AssemblerLimits limits);

  // Opens a sequence; a still-open sequence is closed first (its partial frames dropped as incomplete).
  // Returns false (and opens nothing) when `planned_frames` is 0 or above the limit.
  bool start_sequence(uint32_t seq, uint32_t planned_frames, double now_ms);

  // Feeds one parsed chunk. Returns the frame when this chunk completed it. A chunk that does not fit
  // (no open sequence, other seq, index out of range, a frame already complete, inconsistent with the
  // frame's earlier chunks, a repeated chunk) is counted and `drop` tells why.
  std::optional<AssembledFrame> add(const Chunk& chunk, double now_ms, std::optional<DropReason>* drop = nullptr);

  // Drops partial frames whose first chunk is older than the timeout. Returns how many were dropped.
  int expire(double now_ms);

  // Closes the open sequence `seq`: partial frames are dropped as incomplete. Returns false when `seq`
  // is not the open sequence.
  bool end_sequence(uint32_t seq);

  bool sequence_open() const { return open_; }
  uint32_t current_seq() const { return seq_; }
  const DropCounts& drops() const { return drops_; }      // of the current (or last) sequence
  uint32_t frames_completed() const { return completed_count_; }
  uint64_t bytes_completed() const { return bytes_completed_; }

 private:
  struct Partial;
  void drop_frame(uint32_t frame_index, DropReason reason);

  AssemblerLimits limits_;
  bool open_ = false;
  uint32_t seq_ = 0;
  uint32_t planned_frames_ = 0;
  std::map<uint32_t, Partial> partial_;          // by frame index
  std::vector<bool> complete_;                   // by frame index, this sequence
  DropCounts drops_;
  uint32_t completed_count_ = 0;
  uint64_t bytes_completed_ = 0;
};

}  // namespace sueo::frames
