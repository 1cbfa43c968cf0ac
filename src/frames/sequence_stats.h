// Measured facts about one sequence, gathered as its frames are assembled and decoded, turned into the
// receipt of docs/protocol.md §3. Thread: not thread-safe; a session's worker owns it (tasks of one
// session run in order on one worker).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "frames/drop.h"

namespace sueo::frames {

struct SequenceStats {
  uint32_t seq = 0;
  uint32_t expected = 0;      // frames the page said it sent (sequence-end), else planned
  uint32_t received = 0;      // frames complete
  uint32_t decoded = 0;
  uint64_t bytes = 0;         // JPEG bytes of the complete frames
  int width = 0, height = 0;  // of the last decoded frame
  double t_first_chunk_ms = 0;
  double t_receive_ms = 0;    // server clock: the last frame became complete
  DropCounts drops;
  std::vector<double> decode_ms;
  std::vector<double> assembly_ms;   // first chunk → complete, per frame
  std::vector<double> complete_ms;   // server clock per frame received, in completion order (bench detail)
  std::vector<uint32_t> frame_index; // the frame index of each element of complete_ms / assembly_ms

  // The receipt JSON of docs/protocol.md §3 without "type" and "t_receipt" (the sender adds both when it
  // sends): seq, frames {expected, received, decoded, dropped {each reason}}, bytes, width/height,
  // t_first_chunk, t_receive, decode_ms {median,max}, assembly_ms {p50,p95}. `detail` adds
  // "detail": {"frame_index": [...], "decode_ms": [...], "assembly_ms": [...], "complete_ms": [...]}.
  nlohmann::json to_json(bool detail) const;
};

// Percentile by linear interpolation between closest ranks; 0 for an empty set. `p` in [0, 100].
double percentile(std::vector<double> values, double p);

}  // namespace sueo::frames
