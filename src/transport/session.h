// One client: its WebSocket, its WebRTC peer, its frame assembler and the hand-over of whole frames to
// the workers. Owned by the Server (main loop) through a shared_ptr; everything else holds weak_ptrs.
//
// Threads:
//  - main loop: construction, on_ws_text, on_ws_binary, send_*, expire, drain, close, destruction;
//  - webrtcbin's pc thread: on_channel_binary/on_channel_text (only parse, assemble, submit: the
//    assembler and the drops not yet reported are guarded by assembler_mutex_, the message bucket by
//    rate_mutex_). The WebSocket fallback feeds the same path from the main loop (chunks as binary
//    /ws messages, sequence-start/-end as text);
//  - workers: the tasks this session submits (they own the FrameStream and post results back).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <glib.h>
#include <nlohmann/json.hpp>

#include "frames/assembler.h"
#include "frames/worker_pool.h"
#include "pipeline/stream.h"
#include "protocol/messages.h"
#include "transport/admission.h"
#include "transport/peer.h"
#include "transport/server_config.h"
#include "transport/websocket.h"

namespace sueo::transport {

// What a consumer may do with its session, from the session's worker: send a message to the page (it is
// posted to the main loop; dropped if the session is gone) and ask whether the page wants the landmark
// preview. Any thread.
struct ConsumerLink {
  std::function<void(nlohmann::json message)> send;
  std::function<bool()> preview_enabled;
  std::function<bool()> teach_enabled;  // the page's Teach view is open: results carry the sign's landmarks
};

// What a session needs from the server that owns it. Main thread only.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual const ServeConfig& config() const = 0;
  virtual frames::WorkerPool& workers() = 0;
  virtual void session_closed(const std::string& id) = 0;
  // How to make a consumer for a session's frames (recognition plugs in here): called on the
  // session's worker when its first sequence starts; null when the server has none. Main thread.
  virtual FrameStream::ConsumerMaker consumer_maker(const struct ConsumerLink& link) = 0;
  // The `model` object of `welcome` (null without a model).
  virtual nlohmann::json model_info() const = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::string id, uint64_t key, SessionHost& host, std::shared_ptr<WebSocket> ws, std::string address);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& id() const { return id_; }
  const std::string& address() const { return address_; }

  // Main thread.
  void start();                                  // sends `welcome`, takes the WebSocket's messages
  void on_ws_text(std::string_view text);
  void on_ws_binary(std::string_view bytes);      // a frame chunk on /ws (the fallback)
  void send_json(const nlohmann::json& message);
  // Sends an error (counted as errors.<code>). Non-fatal errors past the session's reply budget are
  // counted but not sent. Fatal ones close the connection with `close_code` (0: 1000, or 1001 for
  // server_draining).
  void send_error(const std::string& code, const std::string& message, bool fatal = false, uint16_t close_code = 0);
  // Every 100 ms: drops frames past the timeout, reports dropped frames, closes an idle session.
  void expire(double now);
  // Idempotent; tells the host. `code`: the WebSocket close code.
  void close(const std::string& reason, uint16_t code = ws::kCloseNormal);

  // Drain (SIGTERM): the page is told with a `server_draining` error; a session with nothing in
  // flight is closed now (1001), a busy one once its sequence's result is sent. New sequences are
  // refused from now on.
  void drain();
  // A sequence is open, or one ended and its result is still being made.
  bool busy();

  // webrtcbin's pc thread.
  void on_channel_binary(GBytes* data);  // null: an empty message
  void on_channel_text(const std::string& text);

 private:
  void note_ws_frames();  // main thread: counts the session once as using the fallback, drops its peer
  // Any thread: one frame chunk, from the DataChannel or /ws.
  void on_chunk(const uint8_t* bytes, size_t size);
  void handle(const protocol::Offer& offer);
  void handle(const protocol::Candidate& candidate);
  void handle(const protocol::Ping& ping);
  void handle(const protocol::Options& options);
  void start_sequence(const protocol::SequenceStart& start);
  void end_sequence(const protocol::SequenceEnd& end);
  void submit_frame(frames::AssembledFrame frame);
  // With assembler_mutex_ held: counts the assembler's new drops and queues them for the next report.
  void collect_drops(const frames::DropCounts& before);
  // Main thread: one frame_dropped error per sequence for the drops not reported yet.
  void report_drops();
  // Whether one more client message may be handled now (per-session rate limit). Any thread; tells
  // the page (at most once a second) and closes a session that keeps flooding.
  bool admit_message();
  void touch();  // the client showed it is there (a valid message)
  PeerEvents make_peer_events();
  // Any thread: report an error to the page from the main loop.
  void post_error(const std::string& code, const std::string& message, bool fatal = false, uint16_t close_code = 0);

  const std::string id_;
  const uint64_t key_;  // worker affinity
  SessionHost& host_;
  std::shared_ptr<WebSocket> ws_;
  const std::string address_;  // the client's address (per-address limit)
  std::unique_ptr<Peer> peer_;
  bool ws_frames_ = false;  // main thread: frames came over /ws
  bool closed_ = false;
  double created_ms_ = 0;
  double offer_ms_ = 0;  // when the offer arrived (offer → channel open, /metrics)
  TokenBucket error_replies_;  // main thread: non-fatal error messages sent per second
  uint64_t errors_suppressed_ = 0;

  std::mutex assembler_mutex_;
  frames::FrameAssembler assembler_;              // guarded by assembler_mutex_
  std::vector<frames::DroppedFrame> unreported_;  // guarded by assembler_mutex_: not yet in a frame_dropped
  bool detail_ = false;                           // guarded by assembler_mutex_: per-frame arrays in the receipt
  double last_urgent_ms_ = -1e18;                 // guarded by assembler_mutex_: last sequence end run first
  std::atomic<uint32_t> overloaded_{0};
  // JPEG bytes submitted to the workers and not yet taken up (--worker-queue-bytes); shared with tasks.
  std::shared_ptr<std::atomic<int64_t>> queued_bytes_ = std::make_shared<std::atomic<int64_t>>(0);
  std::atomic<bool> draining_{false};
  std::atomic<int> pending_results_{0};  // sequences ended whose receipt/result is not sent yet
  std::atomic<double> last_activity_ms_{0};
  std::shared_ptr<std::atomic<bool>> preview_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<bool>> teach_ = std::make_shared<std::atomic<bool>>(false);

  std::mutex rate_mutex_;
  TokenBucket messages_;       // guarded by rate_mutex_
  double refused_since_ms_ = 0;  // guarded by rate_mutex_: start of the current flood window
  uint32_t refused_ = 0;         // guarded by rate_mutex_: messages refused in that window
  double last_rate_notice_ms_ = 0;

  std::shared_ptr<FrameStream> stream_;  // made in start(); used only inside worker tasks
};

}  // namespace sueo::transport
