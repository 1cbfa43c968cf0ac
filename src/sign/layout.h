// The landmark layout every sign model in sueo reads: one frame is 258 float32 values, MediaPipe
// Holistic (legacy solution) landmarks in normalised image coordinates, zeros where a part was not
// detected. This is the layout most KSL projects feed their models (docs/model.md).
// Thread: constants only.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace sueo::sign {

inline constexpr size_t kFrameValues = 258;
using Frame = std::array<float, kFrameValues>;
using Sequence = std::vector<Frame>;

// [begin, end) of each part inside a frame.
struct Part {
  size_t begin;
  size_t end;
};
inline constexpr Part kPose{0, 132};         // 33 x (x, y, z, visibility)
inline constexpr Part kLeftHand{132, 195};   // 21 x (x, y, z)
inline constexpr Part kRightHand{195, 258};  // 21 x (x, y, z)
inline constexpr std::array<Part, 3> kParts{kPose, kLeftHand, kRightHand};

// A part is present in a frame when any of its values is non-zero (zeros mean "not detected").
bool part_present(const Frame& frame, Part part);
bool hand_visible(const Frame& frame);

}  // namespace sueo::sign
