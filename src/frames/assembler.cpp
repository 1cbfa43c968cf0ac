#include "frames/assembler.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace sueo::frames {
namespace {

// Per-chunk bookkeeping of a partial frame (begin and end offsets), charged to the in-flight budget with
// the frame's bytes so that announcing many chunks costs as much as announcing many bytes.
constexpr uint64_t kBytesPerChunkRecord = 2 * sizeof(uint32_t);

void set_drop(std::optional<DropReason>* drop, DropReason reason) {
  if (drop) *drop = reason;
}

}  // namespace

FrameAssembler::FrameAssembler(AssemblerLimits limits) : limits_(limits) {
  limits_.max_frames_in_flight = std::max<uint32_t>(limits_.max_frames_in_flight, 1);
}

bool FrameAssembler::start_sequence(uint32_t seq, uint32_t planned_frames, double /*now_ms*/) {
  if (planned_frames == 0 || planned_frames > limits_.max_sequence_frames) return false;
  if (open_) close_sequence();
  open_ = true;
  seq_ = seq;
  planned_frames_ = planned_frames;
  slots_.assign(planned_frames, Slot{});
  drops_ = DropCounts{};
  completed_count_ = 0;
  bytes_completed_ = 0;
  chunks_repeated_ = 0;
  chunks_inconsistent_ = 0;
  return true;
}

bool FrameAssembler::end_sequence(uint32_t seq) {
  if (!open_ || seq != seq_) return false;
  close_sequence();
  return true;
}

void FrameAssembler::close_sequence() {
  while (!partial_.empty()) drop_frame(partial_.begin()->first, DropReason::kIncomplete);
  open_ = false;
  slots_.clear();
  slots_.shrink_to_fit();
}

std::optional<AssembledFrame> FrameAssembler::add(const Chunk& chunk, double now_ms, std::optional<DropReason>* drop) {
  if (drop) drop->reset();
  const ChunkHeader& h = chunk.header;
  if (!open_ || h.seq != seq_ || h.frame_index >= planned_frames_) {
    // No state is kept for frames outside the sequence (a peer could name 2^32 of them), so such a
    // frame is counted on its chunk 0: once per frame whose chunks all arrive.
    if (h.chunk_index == 0) count_drop(h.seq, h.frame_index, DropReason::kOutOfRange);
    set_drop(drop, DropReason::kOutOfRange);
    return std::nullopt;
  }
  Slot& slot = slots_[h.frame_index];
  if (slot.state == SlotState::kComplete) {
    // One repeated copy of a frame is chunk_count chunks: count a duplicate frame on the first of each.
    if (slot.repeated_chunks % slot.chunk_count == 0) count_drop(seq_, h.frame_index, DropReason::kDuplicate);
    ++slot.repeated_chunks;
    set_drop(drop, DropReason::kDuplicate);
    return std::nullopt;
  }
  if (slot.state == SlotState::kDropped) {  // counted when it was dropped
    set_drop(drop, slot.reason);
    return std::nullopt;
  }
  return add_to_frame(chunk, now_ms, drop);
}

std::optional<AssembledFrame> FrameAssembler::add_to_frame(const Chunk& chunk, double now_ms,
                                                           std::optional<DropReason>* drop) {
  const ChunkHeader& h = chunk.header;
  auto it = partial_.find(h.frame_index);
  if (it == partial_.end() && h.frame_bytes > limits_.max_frame_bytes) {
    drop_frame(h.frame_index, DropReason::kOversized);
    set_drop(drop, DropReason::kOversized);
    return std::nullopt;
  }
  if (it == partial_.end()) {
    Partial fresh;
    fresh.chunk_count = h.chunk_count;
    fresh.frame_bytes = h.frame_bytes;
    fresh.capture_time_ms = h.capture_time_ms;
    fresh.first_chunk_ms = now_ms;
    if (!fits_frame(fresh, chunk)) return refuse_inconsistent(h.frame_index, drop);
    if (h.chunk_count == 1) {  // the common case: the whole JPEG in one message, no copy held
      fresh.bytes.assign(chunk.payload.begin(), chunk.payload.end());
      return finish(h.frame_index, std::move(fresh), now_ms);
    }
    fresh.claim = uint64_t{h.frame_bytes} + kBytesPerChunkRecord * h.chunk_count;
    make_room(fresh.claim);
    fresh.bytes.resize(h.frame_bytes);
    fresh.begin.assign(h.chunk_count, 0);
    fresh.end.assign(h.chunk_count, 0);
    bytes_in_flight_ += fresh.claim;
    it = partial_.emplace(h.frame_index, std::move(fresh)).first;
  } else if (!same_frame(it->second, h)) {
    return refuse_inconsistent(h.frame_index, drop);
  } else if (it->second.end[h.chunk_index] != 0) {
    // This index already arrived: keep the first copy, so a repeat can never corrupt the frame.
    ++chunks_repeated_;
    set_drop(drop, DropReason::kDuplicate);
    return std::nullopt;
  } else if (!fits_frame(it->second, chunk)) {
    return refuse_inconsistent(h.frame_index, drop);
  }

  Partial& frame = it->second;
  const uint32_t begin = h.chunk_offset;
  const auto end = static_cast<uint32_t>(begin + chunk.payload.size());
  std::memcpy(frame.bytes.data() + begin, chunk.payload.data(), chunk.payload.size());
  frame.begin[h.chunk_index] = begin;
  frame.end[h.chunk_index] = end;
  if (++frame.chunks_arrived < frame.chunk_count) return std::nullopt;
  // Every index arrived and each pair of neighbours was checked to touch, chunk 0 starts at 0 and the
  // last ends at frame_bytes: the payloads tile the frame exactly.
  Partial done = std::move(frame);
  partial_.erase(it);
  bytes_in_flight_ -= done.claim;
  return finish(h.frame_index, std::move(done), now_ms);
}

std::optional<AssembledFrame> FrameAssembler::refuse_inconsistent(uint32_t frame_index,
                                                                 std::optional<DropReason>* drop) {
  ++chunks_inconsistent_;
  drop_frame(frame_index, DropReason::kIncomplete);
  set_drop(drop, DropReason::kIncomplete);
  return std::nullopt;
}

// Whether a chunk with header `h` says the same as the frame's first chunk (and names a chunk of it).
bool FrameAssembler::same_frame(const Partial& frame, const ChunkHeader& h) {
  return h.chunk_count == frame.chunk_count && h.frame_bytes == frame.frame_bytes &&
         h.capture_time_ms == frame.capture_time_ms && h.chunk_index < h.chunk_count;
}

// Whether `chunk` agrees with what `frame` knows: the same chunk_count, frame_bytes and capture time,
// and a payload that leaves room for the chunks before and after it and touches its neighbours
// that already arrived. (parse_chunk checked the single-chunk rules; they are rechecked here because
// a Chunk can be built by hand and the copy below must stay in bounds.)
bool FrameAssembler::fits_frame(const Partial& frame, const Chunk& chunk) {
  const ChunkHeader& h = chunk.header;
  if (!same_frame(frame, h) || chunk.payload.empty()) return false;
  const uint64_t begin = h.chunk_offset;
  const uint64_t end = begin + chunk.payload.size();
  if (end > h.frame_bytes) return false;
  const uint32_t i = h.chunk_index;
  const uint32_t last = h.chunk_count - 1u;
  // Each other chunk carries at least one byte.
  if (begin < i || h.frame_bytes - end < last - i) return false;
  if (i == 0 && begin != 0) return false;
  if (i == last && end != h.frame_bytes) return false;
  if (frame.end.empty()) return true;  // the frame's first chunk
  if (i > 0 && frame.end[i - 1] != 0 && frame.end[i - 1] != begin) return false;  // gap or overlap
  if (i < last && frame.end[i + 1] != 0 && frame.begin[i + 1] != end) return false;
  return true;
}

AssembledFrame FrameAssembler::finish(uint32_t frame_index, Partial&& frame, double now_ms) {
  Slot& slot = slots_[frame_index];
  slot.state = SlotState::kComplete;
  slot.chunk_count = frame.chunk_count;
  ++completed_count_;
  bytes_completed_ += frame.frame_bytes;
  AssembledFrame out;
  out.seq = seq_;
  out.frame_index = frame_index;
  out.capture_time_ms = frame.capture_time_ms;
  out.first_chunk_ms = frame.first_chunk_ms;
  out.complete_ms = now_ms;
  out.jpeg = std::move(frame.bytes);
  return out;
}

// Drops the oldest partial frames until one more claiming `claim` bytes fits both limits.
void FrameAssembler::make_room(uint64_t claim) {
  while (!partial_.empty() && (partial_.size() >= limits_.max_frames_in_flight ||
                               bytes_in_flight_ + claim > limits_.max_bytes_in_flight)) {
    auto oldest = partial_.begin();
    for (auto it = partial_.begin(); it != partial_.end(); ++it)
      if (it->second.first_chunk_ms < oldest->second.first_chunk_ms) oldest = it;
    drop_frame(oldest->first, DropReason::kIncomplete);
  }
}

int FrameAssembler::expire(double now_ms) {
  std::vector<uint32_t> stale;
  for (const auto& [index, frame] : partial_)
    if (now_ms - frame.first_chunk_ms > limits_.frame_timeout_ms) stale.push_back(index);
  for (uint32_t index : stale) drop_frame(index, DropReason::kIncomplete);
  return static_cast<int>(stale.size());
}

void FrameAssembler::drop_frame(uint32_t frame_index, DropReason reason) {
  if (auto it = partial_.find(frame_index); it != partial_.end()) {
    bytes_in_flight_ -= it->second.claim;
    partial_.erase(it);
  }
  if (frame_index < slots_.size()) {
    slots_[frame_index].state = SlotState::kDropped;
    slots_[frame_index].reason = reason;
  }
  count_drop(seq_, frame_index, reason);
}

void FrameAssembler::count_drop(uint32_t seq, uint32_t frame_index, DropReason reason) {
  drops_.add(reason);
  if (drop_log_.size() < kMaxDropLog) drop_log_.push_back({seq, frame_index, reason});
}

}  // namespace sueo::frames
