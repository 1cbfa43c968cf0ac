// Settings of `sueo serve`. Filled from the option table in app/cmd_serve.cpp (the one place each
// setting is named, with its flag, environment variable, default and help). Thread: read-only after
// start-up, so any thread may read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sueo::transport {

struct ServeConfig {
  // Network.
  std::string address;        // empty: every interface (IPv4 and IPv6)
  int port = 8443;            // 0: pick a free port
  std::string cert_file;
  std::string key_file;
  std::string ca_file;        // the mkcert root CA certificate (public part) served at /ca
  std::string web_dir;
  std::string vendor_dir;     // node_modules: webrtc-adapter, simple-peer
  bool show_qr = true;

  // WebRTC.
  std::string stun_server;    // stun://host:port, empty: none
  std::vector<std::string> turn_servers;  // turn(s)://user:pass@host:port (fixed credentials)
  // TURN REST: every session gets its own credentials for these URIs, valid turn_ttl_s seconds,
  // made with the secret the TURN server shares (coturn static-auth-secret). Empty: none.
  std::string turn_secret;
  std::vector<std::string> turn_uris;  // e.g. turn:turn.example.org:3478, turns:turn.example.org:443?transport=tcp
  int turn_ttl_s = 86400;
  int ice_port_min = 0;       // 0/0: any UDP port
  int ice_port_max = 0;
  // Addresses ICE gathers host candidates from; empty: every interface libnice finds (it skips
  // loopback). Lets an instance announce only the address a page can reach (e.g. the node's address).
  std::vector<std::string> ice_addresses;
  // Also offer 127.0.0.1 / ::1 candidates: a page on the same machine (tests, benches, several
  // instances on one host) then connects over loopback, and a host with only `lo` (a container, a CI
  // sandbox) can connect at all.
  bool ice_loopback = false;

  // Limits.
  int max_sessions = 8;
  int64_t ws_max_message = 64 * 1024;
  int64_t max_frame_bytes = 2 * 1024 * 1024;
  int max_sequence_frames = 600;
  double frame_timeout_ms = 5000;
  int workers = 0;            // 0: one per core
  int worker_queue = 512;     // frames of one session waiting before `overloaded` drops
  int64_t worker_queue_bytes = 32 << 20;  // JPEG bytes of one session waiting, same
  int64_t max_frame_pixels = 1920 * 1080;  // larger frames (decoded width × height) are bad_jpeg
  int http_timeout_s = 10;    // accept → request headers complete; and any stalled HTTP socket wait
  int ws_timeout_s = 60;
  int drain_seconds = 30;     // SIGTERM: how long sequences in flight may take to finish
  int idle_s = 30;            // a session with no valid message (/ws or DataChannel) this long is closed
  int max_messages_per_second = 50;   // client messages per session (/ws and DataChannel text)
  int max_sessions_per_address = 4;   // 0: no limit
  int64_t ws_max_queued_bytes = 1 << 20;  // unsent /ws bytes before a client counts as not reading
  std::vector<std::string> allowed_origins;   // empty: the server's own origin only; "*": any
  std::vector<std::string> trusted_proxies;   // peers whose X-Forwarded-For names the client      // a /ws socket that moves no byte in either direction this long is closed

  // What the page is told to capture (sent in `welcome`).
  int fps = 15;
  int width = 640;
  int height = 480;
  double jpeg_quality = 0.7;
  double sequence_seconds = 10;
  int max_chunk_bytes = 64 * 1024;
  int datachannel_timeout_ms = 5000;  // the page sends frames over /ws when its channel is not open by then

  // The `config` object of the `welcome` message.
  nlohmann::json page_config() const {
    return {{"fps", fps},
            {"width", width},
            {"height", height},
            {"jpeg_quality", jpeg_quality},
            {"sequence_seconds", sequence_seconds},
            {"max_chunk_bytes", max_chunk_bytes},
            {"datachannel_timeout_ms", datachannel_timeout_ms},
            {"max_frame_bytes", max_frame_bytes},
            {"max_sequence_frames", max_sequence_frames}};
  }

  // `RTCIceServer` objects for one session's page: the STUN and fixed-credential TURN servers the
  // server uses too, and the TURN REST servers with credentials made now for `session`.
  nlohmann::json ice_servers(const std::string& session) const;
};

}  // namespace sueo::transport
