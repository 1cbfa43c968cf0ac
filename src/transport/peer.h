// One WebRTC peer: a GStreamer pipeline holding one webrtcbin that answers the browser's offer and
// receives the `frames` DataChannel.
//
// Threads: construct, set_offer, add_candidate and destroy on the main loop. The events are called on
// webrtcbin's own `webrtc:pc` thread (answer, candidates, channel, messages) or on the main loop (bus
// errors); they must only copy data and post work elsewhere, never block, and never read webrtcbin
// properties (that deadlocks inside its signals).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include "transport/server_config.h"

namespace sueo::transport {

struct PeerEvents {
  std::function<void(const std::string& sdp)> on_answer;                          // pc thread
  std::function<void(int mline, const std::string& mid, const std::string& candidate)> on_candidate;  // pc
  std::function<void()> on_channel_open;                                           // pc thread
  std::function<void(GBytes* data)> on_binary;  // pc thread; null for an empty message
  std::function<void(const std::string& text)> on_text;                            // pc thread
  std::function<void(const std::string& code, const std::string& message)> on_failure;  // any thread
};

class Peer {
 public:
  Peer(const ServeConfig& config, PeerEvents events);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Checks the offer and starts answering it: on_answer then on_candidate follow on the pc thread.
  // Returns false with a message when the SDP is unusable.
  bool set_offer(const std::string& sdp, std::string& error);

  // Adds a remote ICE candidate ("candidate:..." line; empty = end of candidates). Returns false with a
  // message for a candidate that does not parse or names an m-line the offer did not have.
  bool add_candidate(int mline, const std::string& mid, const std::string& candidate, std::string& error);

  // Makes the process-wide DTLS certificate and loads every plugin a session uses, by answering an offer
  // from a throw-away webrtcbin, so the first session opens as fast as the rest. Call once at start-up
  // (main thread, before the main loop runs). Returns the milliseconds it took.
  static double warm_up(const ServeConfig& config);

 struct Shared;  // what the signal handlers hold: the events and the channel (peer.cpp)

 private:
  std::shared_ptr<Shared> shared_;
  GstElement* pipeline_ = nullptr;  // owned (unref in the destructor)
  GstElement* webrtc_ = nullptr;    // owned by pipeline_
  guint bus_watch_ = 0;
  std::vector<std::string> mids_;   // m-line index → mid, from the offer
  bool offered_ = false;
};

// True when `candidate` looks like an ICE candidate attribute (RFC 8839 §5.1): "candidate:" followed by
// foundation, component, transport, priority, address, port, "typ", type.
bool valid_candidate_line(const std::string& candidate);

}  // namespace sueo::transport
