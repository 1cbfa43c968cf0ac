// The page's side of one WebRTC session, on GStreamer webrtcbin: it makes the offer, opens the
// `frames` DataChannel (ordered, reliable, as web/connection.js does) and sends on it.
//
// Threads: construct, set_answer, add_candidate, send_*, buffered_amount and destroy on the main loop.
// The events are posted to the main loop (webrtcbin raises them on its own threads); a ClientPeer
// destroyed before they run must be guarded by the caller (the events hold weak references).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

namespace sueo::loadgen {

struct ClientPeerEvents {
  std::function<void(const std::string& sdp)> on_offer;  // the local offer, ready to send
  std::function<void(int mline, const std::string& candidate)> on_candidate;  // empty: gathering done
  std::function<void()> on_open;                          // the DataChannel is open
  std::function<void()> on_buffered_low;                  // bufferedAmount fell to the low-water mark
  std::function<void(const std::string& why)> on_failure;  // the channel or the pipeline failed
};

struct ClientPeerOptions {
  // Addresses libnice gathers host candidates from (nice_agent_add_local_address). Empty: libnice's
  // own choice, every interface but loopback, which on a loopback-only host finds nothing.
  std::vector<std::string> ice_addresses;
  uint64_t low_water_bytes = 256 * 1024;  // bufferedAmountLowThreshold, as web/sender.js
};

class ClientPeer {
 public:
  // Starts the pipeline, creates the `frames` channel and the offer (on_offer follows). Throws
  // std::runtime_error when webrtcbin is missing or an ICE address does not parse.
  ClientPeer(const ClientPeerOptions& options, ClientPeerEvents events);
  ~ClientPeer();
  ClientPeer(const ClientPeer&) = delete;
  ClientPeer& operator=(const ClientPeer&) = delete;

  // The server's answer. False with a message when it does not parse.
  bool set_answer(const std::string& sdp, std::string& error);
  // A server candidate line ("candidate:..."); empty = end of candidates (nothing to do).
  void add_candidate(int mline, const std::string& candidate);

  bool send_text(const std::string& text);
  bool send_binary(std::vector<uint8_t> bytes);  // the bytes are handed over, not copied
  uint64_t buffered_amount() const;

  struct Shared;  // what webrtcbin's handlers hold (client_peer.cpp)

 private:
  std::shared_ptr<Shared> shared_;
  GstElement* pipeline_ = nullptr;           // owned
  GstElement* webrtc_ = nullptr;             // owned by pipeline_
  GstWebRTCDataChannel* channel_ = nullptr;  // ref held
  guint bus_watch_ = 0;
};

// Restricts the host candidates of `webrtc` to `addresses` (IPv4/IPv6 literals) and turns off UPnP
// and ICE-TCP, as the server does. Throws std::runtime_error naming an address that does not parse.
void configure_ice_agent(GstElement* webrtc, const std::vector<std::string>& addresses);

}  // namespace sueo::loadgen
