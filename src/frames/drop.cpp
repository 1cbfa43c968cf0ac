#include "frames/drop.h"

namespace sueo::frames {

std::string_view to_string(DropReason reason) {
  switch (reason) {
    case DropReason::kIncomplete: return "incomplete";
    case DropReason::kDuplicate: return "duplicate";
    case DropReason::kOversized: return "oversized";
    case DropReason::kOutOfRange: return "out_of_range";
    case DropReason::kBadJpeg: return "bad_jpeg";
    case DropReason::kOverloaded: return "overloaded";
  }
  return "unknown";
}

uint32_t DropCounts::total() const {
  uint32_t sum = 0;
  for (uint32_t n : by_reason) sum += n;
  return sum;
}

}  // namespace sueo::frames
