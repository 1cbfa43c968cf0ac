// One client: its WebSocket, its WebRTC peer, its frame assembler and the hand-over of whole frames to
// the workers. Owned by the Server (main loop) through a shared_ptr; everything else holds weak_ptrs.
//
// Threads:
//  - main loop: construction, on_ws_text, on_ws_binary, send_*, expire, close, destruction;
//  - webrtcbin's pc thread: on_channel_binary/on_channel_text (only parse, assemble, submit: the
//    assembler is guarded by assembler_mutex_). The WebSocket fallback feeds the same path from the
//    main loop (chunks as binary /ws messages, sequence-start/-end as text);
//  - workers: the tasks this session submits (they own the FrameStream and post results back).
#pragma once

#include <atomic>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <glib.h>
#include <libsoup/soup.h>
#include <nlohmann/json.hpp>

#include "frames/assembler.h"
#include "frames/worker_pool.h"
#include "pipeline/stream.h"
#include "transport/glib_util.h"
#include "transport/peer.h"
#include "transport/server_config.h"

namespace sueo::transport {

// What a consumer may do with its session, from the session's worker: send a message to the page (it is
// posted to the main loop; dropped if the session is gone) and ask whether the page wants the landmark
// preview. Any thread.
struct ConsumerLink {
  std::function<void(nlohmann::json message)> send;
  std::function<bool()> preview_enabled;
};

// What a session needs from the server that owns it. Main thread only.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual const ServeConfig& config() const = 0;
  virtual frames::WorkerPool& workers() = 0;
  virtual void session_closed(const std::string& id) = 0;
  // The session asked its WebSocket to close: the host keeps the connection until the close handshake
  // is done, so the last messages reach the page even when the server is about to exit.
  virtual void websocket_closing(SoupWebsocketConnection* ws) = 0;
  // A new consumer for a session's frames (recognition plugs in here); may return nullptr.
  virtual std::unique_ptr<FrameConsumer> make_consumer(const struct ConsumerLink& link) = 0;
  // The `model` object of `welcome` (null without a model).
  virtual nlohmann::json model_info() const = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::string id, uint64_t key, SessionHost& host, SoupWebsocketConnection* ws);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& id() const { return id_; }

  // Main thread.
  void start();                                  // sends `welcome`, connects the WebSocket signals
  void on_ws_text(std::string_view text);
  void on_ws_binary(GBytes* data);                // a frame chunk on /ws (the fallback)
  void send_json(const nlohmann::json& message);
  void send_error(const std::string& code, const std::string& message, bool fatal = false);
  void expire(double now);                       // drops frames past the timeout
  // Idempotent; tells the host. `code` is the WebSocket close code (1000 normal, 1001 going away).
  void close(const std::string& reason, unsigned short code = 1000);

  // Drain (SIGTERM): the page is told with a `server_draining` error; a session with nothing in
  // flight is closed now (1001), a busy one once its sequence's result is sent. New sequences are
  // refused from now on.
  void drain();
  // A sequence is open, or one ended and its result is still being made.
  bool busy();

  // webrtcbin's pc thread.
  void on_channel_binary(GBytes* data);
  void on_channel_text(const std::string& text);

 private:
  void note_ws_frames();  // main thread: counts the session once as using the fallback
  void handle_offer(const nlohmann::json& message);
  void handle_candidate(const nlohmann::json& message);
  void handle_ping(const nlohmann::json& message);
  void handle_options(const nlohmann::json& message);
  void start_sequence(const nlohmann::json& message);
  void end_sequence(const nlohmann::json& message);
  void submit_frame(frames::AssembledFrame frame);
  void count_assembler_drops(const frames::DropCounts& before);
  PeerEvents make_peer_events();
  // Any thread: report an error to the page from the main loop.
  void post_error(const std::string& code, const std::string& message, bool fatal = false);

  const std::string id_;
  const uint64_t key_;  // worker affinity
  SessionHost& host_;
  GObjectPtr<SoupWebsocketConnection> ws_;
  std::unique_ptr<Peer> peer_;
  bool closed_ = false;
  bool ws_frames_ = false;  // main thread: frames came over /ws
  double created_ms_ = 0;
  gulong ws_handlers_[3] = {0, 0, 0};

  std::mutex assembler_mutex_;
  frames::FrameAssembler assembler_;  // guarded by assembler_mutex_
  bool detail_ = false;               // guarded by assembler_mutex_: per-frame arrays in the receipt
  std::atomic<uint32_t> overloaded_{0};
  std::atomic<bool> draining_{false};
  std::atomic<int> pending_results_{0};  // sequences ended whose receipt/result is not sent yet
  std::shared_ptr<std::atomic<bool>> preview_ = std::make_shared<std::atomic<bool>>(false);

  std::shared_ptr<FrameStream> stream_;  // made in start(); used only inside worker tasks
};

}  // namespace sueo::transport
