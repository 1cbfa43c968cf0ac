// Why a frame was dropped (docs/protocol.md §2), and counts by reason. Thread: any (plain values).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sueo::frames {

enum class DropReason : uint8_t { kIncomplete, kDuplicate, kOversized, kOutOfRange, kBadJpeg, kOverloaded };
inline constexpr size_t kDropReasonCount = 6;

std::string_view to_string(DropReason reason);  // "incomplete", "duplicate", ... as in the protocol

struct DropCounts {
  std::array<uint32_t, kDropReasonCount> by_reason{};
  void add(DropReason reason, uint32_t n = 1) { by_reason[static_cast<size_t>(reason)] += n; }
  uint32_t get(DropReason reason) const { return by_reason[static_cast<size_t>(reason)]; }
  uint32_t total() const;
};

}  // namespace sueo::frames
