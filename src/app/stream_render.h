// Realistic test streams made from real sign clips, for the spotting evaluation (`sueo streams`):
// a person resting before and after a sign (a held frame of the clip, under a slightly swaying
// hand-held camera, not pixel-still), signs chained with rest between, idle video with no sign. Each
// stream is rendered as the page would send it (scaled into the page's box, JPEG at its quality, at its
// frame rate, frames optionally dropped) and run through the server's JPEG decode and landmarks, so
// what the spotter sees is what it would see live.
//
// Spec (JSON): {"width": 640, "height": 480, "quality": 0.7, "streams": [
//   {"name": "...", "fps": 15, "seed": 1, "sway": 1.0, "drop": 0.0, ...any extra keys, copied...,
//    "parts": [{"clip": "a.mp4", "hold_at": 0, "seconds": 2},        // hold the frame at 0 s
//              {"clip": "a.mp4", "play": true, "label": "안녕"},      // the clip, a true sign
//              {"clip": "a.mp4", "hold_at": -1, "seconds": 1.5}]}]}    // -1: the clip's last frame
// Thread: render_streams() on the calling thread plus `jobs` threads of its own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "landmarks/holistic.h"

namespace sueo::app {

struct RenderedStream {
  std::string name;
  double aspect = 1;             // frame width / height as sent
  std::vector<float> values;     // frames × 258
  std::vector<float> t_ms;       // capture time of each frame, from the stream's start
  nlohmann::json truth;          // the spec's stream with "signs": [{label, first, last, start_ms, end_ms}]
};

// Renders every stream of `spec`. Throws std::runtime_error on a bad spec or an unreadable clip.
std::vector<RenderedStream> render_streams(const nlohmann::json& spec,
                                           std::shared_ptr<const landmarks::HolisticModels> models, int jobs);

// Writes streams as OUT (.npz: X frames × 258, t_ms, offsets, names, aspect) and OUT + ".json" (truth).
void write_streams(const std::string& out, const std::vector<RenderedStream>& streams);

struct LoadedStreams {
  std::vector<RenderedStream> streams;
};
LoadedStreams read_streams(const std::string& path);

}  // namespace sueo::app
