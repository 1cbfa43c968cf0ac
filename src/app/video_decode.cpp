#include "app/video_decode.h"

#include <gst/gst.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace sueo::app {

namespace {

struct GstUnref {
  void operator()(GstElement* e) const { gst_object_unref(e); }
  void operator()(GstSample* s) const { gst_sample_unref(s); }
  void operator()(GstMessage* m) const { gst_message_unref(m); }
  void operator()(GstBus* b) const { gst_object_unref(b); }
};
template <class T>
using GstPtr = std::unique_ptr<T, GstUnref>;

// Stops the pipeline before it is released, whatever way we leave.
struct PipelineStopper {
  GstElement* pipeline;
  ~PipelineStopper() { gst_element_set_state(pipeline, GST_STATE_NULL); }
};

std::string escape(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Copies one RGB sample into `frame`, dropping any row padding.
bool copy_sample(GstSample* sample, VideoFrame& frame) {
  // Width and height from the caps; the row stride from the buffer size (one packed plane), so we need
  // no libgstvideo.
  const GstStructure* caps = gst_caps_get_structure(gst_sample_get_caps(sample), 0);
  if (!gst_structure_get_int(caps, "width", &frame.width) ||
      !gst_structure_get_int(caps, "height", &frame.height) || frame.width <= 0 || frame.height <= 0) {
    return false;
  }
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return false;
  const size_t stride = map.size / static_cast<size_t>(frame.height);
  if (stride < static_cast<size_t>(frame.width) * 3) {
    gst_buffer_unmap(buffer, &map);
    return false;
  }
  frame.rgb.resize(static_cast<size_t>(frame.width) * frame.height * 3);
  for (int y = 0; y < frame.height; ++y) {
    std::memcpy(frame.rgb.data() + static_cast<size_t>(y) * frame.width * 3,
                map.data + static_cast<size_t>(y) * stride, static_cast<size_t>(frame.width) * 3);
  }
  frame.pts_us = GST_BUFFER_PTS_IS_VALID(buffer) ? static_cast<int64_t>(GST_BUFFER_PTS(buffer) / 1000) : 0;
  gst_buffer_unmap(buffer, &map);
  return true;
}

void throw_on_error(GstBus* bus, const std::string& path) {
  GstPtr<GstMessage> message(gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR));
  if (!message) return;
  GError* err = nullptr;
  gst_message_parse_error(message.get(), &err, nullptr);
  const std::string text = err ? err->message : "unknown error";
  if (err) g_error_free(err);
  throw std::runtime_error(path + ": " + text);
}

}  // namespace

void decode_video(const std::string& path, int every,
                  const std::function<void(const VideoFrame&)>& on_frame) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(path + ": no such file");
  gst_init(nullptr, nullptr);
  const std::string description = "filesrc location=\"" + escape(path) +
                                  "\" ! decodebin ! videoconvert ! videoflip video-direction=auto ! videoconvert ! "
                                  "video/x-raw,format=RGB ! "
                                  "appsink name=sink sync=false max-buffers=4";
  GError* error = nullptr;
  GstPtr<GstElement> pipeline(gst_parse_launch(description.c_str(), &error));
  if (error != nullptr) {
    const std::string message = error->message;
    g_error_free(error);
    throw std::runtime_error(path + ": " + message);
  }
  GstPtr<GstElement> sink(gst_bin_get_by_name(GST_BIN(pipeline.get()), "sink"));
  PipelineStopper stopper{pipeline.get()};
  if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    throw std::runtime_error(path + ": cannot start decoding");
  }
  // videoflip video-direction=auto turns the picture as the file's orientation tag says (an iPad
  // filming in portrait stores landscape frames and a rotation).
  // pull-sample would block forever when decoding fails (an error reaches the bus, not the sink):
  // wait in short slices and look at the bus in between.
  GstPtr<GstBus> bus(gst_element_get_bus(pipeline.get()));
  VideoFrame frame;
  int64_t index = 0;
  for (;;) {
    GstSample* raw = nullptr;
    g_signal_emit_by_name(sink.get(), "try-pull-sample", static_cast<GstClockTime>(100 * GST_MSECOND), &raw);
    if (raw != nullptr) {
      GstPtr<GstSample> sample(raw);
      if (index++ % every != 0) continue;
      if (!copy_sample(sample.get(), frame)) throw std::runtime_error(path + ": unreadable video frame");
      on_frame(frame);
      continue;
    }
    throw_on_error(bus.get(), path);
    gboolean eos = FALSE;
    g_object_get(sink.get(), "eos", &eos, nullptr);
    if (eos) break;
  }
  throw_on_error(bus.get(), path);
}

}  // namespace sueo::app
