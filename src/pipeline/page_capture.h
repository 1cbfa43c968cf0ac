// What the browser page does to a camera image before it sends it (web/capture.js), for offline
// tools that want the pipeline to see frames like the page's: pick frames at the page's rate, scale
// them into the page's width × height box (aspect kept, never enlarged), encode them as JPEG at the
// page's quality.
// Thread: pure functions; a FramePicker belongs to one video at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "frames/jpeg.h"

namespace sueo {

struct FrameSize {
  int width = 0;
  int height = 0;
};

// The canvas size for a `width` × `height` image: fitSize() of web/capture.js, i.e. scaled to fit
// the box, aspect kept, no upscaling, each side rounded to an even number (JPEG 4:2:0), at least 2.
FrameSize fit_size(int width, int height, int box_width, int box_height);

// Picks frames of a video at `fps` by timestamp, as a page capturing on a timer would: for each tick
// (every 1/fps from the first frame's time) the first frame at or after it is taken, and a frame is
// taken at most once (a video slower than `fps` gives every frame).
class FramePicker {
 public:
  explicit FramePicker(double fps);
  bool take(int64_t pts_us);

 private:
  double period_us_;
  bool started_ = false;
  int64_t first_us_ = 0;
  int64_t next_tick_ = 0;  // index of the next tick not yet served
};

// Scales packed RGB into `size` (bilinear, like a canvas drawImage with its default smoothing) and
// encodes it as JPEG at `quality` (1–100; the page's 0.7 is 70) with 4:2:0 chroma, as Chromium's
// canvas.toBlob('image/jpeg') does. `scratch` is reused between calls.
std::vector<uint8_t> page_jpeg(const uint8_t* rgb, int width, int height, FrameSize size, int quality,
                               frames::Image& scratch);

}  // namespace sueo
