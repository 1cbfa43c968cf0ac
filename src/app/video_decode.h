// Decodes a video file to packed RGB frames with GStreamer (filesrc ! decodebin ! videoconvert !
// appsink), for the offline commands (extract, bench). Thread: any; one call runs its own pipeline.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sueo::app {

struct VideoFrame {
  int width = 0, height = 0;
  int64_t pts_us = 0;        // presentation time
  std::vector<uint8_t> rgb;  // width × height × 3, rows packed
};

// Calls `on_frame` for every `every`-th decoded frame, in order. Throws std::runtime_error naming the
// file when it cannot be opened or decoded.
void decode_video(const std::string& path, int every, const std::function<void(const VideoFrame&)>& on_frame);

}  // namespace sueo::app
