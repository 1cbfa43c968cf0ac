// One server-side WebSocket on a connection libsoup has upgraded and handed over (see ws_frames.h for
// why the framing is ours): reads messages, queues and writes the server's frames with a bound, pings,
// and closes with any code and a reason.
//
//   auto ws = WebSocket::create(stream, limits);   // after the 101 response, from the stolen stream
//   ws->set_handlers({...});                        // messages and the end of the connection
//   ws->send_text(json);                            // queued; refused when the client does not read
//   ws->close(1013, "server busy");                 // queued after what was sent before
//
// Lifetime: shared. While its close handshake runs a WebSocket keeps itself alive (the session that
// owned it may be gone), then closes the stream; open_count() counts the ones not yet finished, so a
// draining server can wait for the last messages to leave.
//
// Thread: main loop only (construction, calls, handlers, destruction).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <gio/gio.h>

#include "transport/glib_util.h"
#include "transport/ws_frames.h"

namespace sueo::transport {

struct WebSocketLimits {
  uint64_t max_message = 64 * 1024;        // larger messages: close 1009
  size_t max_queued_bytes = 1 << 20;       // unsent bytes before the client counts as not reading
  unsigned ping_interval_s = 20;           // keep NATs open and make a live client send something
  unsigned close_linger_ms = 3000;         // after our close frame, wait this long for the client's
};

class WebSocket : public std::enable_shared_from_this<WebSocket> {
 public:
  struct Handlers {
    std::function<void(std::string_view text)> on_text;
    std::function<void(std::string_view bytes)> on_binary;
    // The client broke the protocol or sent a message above the limit: `code` is what the server will
    // close with (1002, 1007, 1009). The handler may send a last message; the close follows.
    std::function<void(uint16_t code, const std::string& why)> on_protocol_error;
    // The connection is over (once): the peer's or our close code, or 1006 when it just went away.
    std::function<void(uint16_t code, const std::string& why)> on_closed;
  };

  static std::shared_ptr<WebSocket> create(GIOStream* stream, WebSocketLimits limits);
  ~WebSocket();
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  void set_handlers(Handlers handlers) { handlers_ = std::move(handlers); }

  // Queues a message. Returns false when it was not queued: the connection is closing, or the queue
  // would pass max_queued_bytes — then the connection is dropped at once (the client is not reading).
  bool send_text(std::string_view text);

  // Starts the close handshake: the close frame goes after the messages already queued; reading goes
  // on (and is ignored) until the client's close frame, EOF or close_linger_ms.
  void close(uint16_t code, std::string_view reason);

  bool open() const { return state_ == State::kOpen; }
  size_t queued_bytes() const { return queued_bytes_; }
  uint64_t bytes_in() const { return bytes_in_; }

  static int open_count();  // WebSockets not yet finished (open or closing)

 private:
  enum class State { kOpen, kClosing, kDone };
  WebSocket(GIOStream* stream, WebSocketLimits limits);
  void start();
  bool on_readable();
  bool on_writable();
  void flush();
  void queue(std::string frame);
  void handle(ws::Event& event);
  void finish(uint16_t code, const std::string& why);  // drop everything, close the stream, report once
  void stop_sources();

  GObjectPtr<GIOStream> stream_;
  GObjectPtr<GSocket> socket_;            // under stream_ (libsoup attaches it); may be null
  GPollableInputStream* in_ = nullptr;    // owned by stream_
  GPollableOutputStream* out_ = nullptr;  // owned by stream_
  WebSocketLimits limits_;
  Handlers handlers_;
  ws::FrameReader reader_;
  State state_ = State::kOpen;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  size_t head_written_ = 0;   // bytes of queue_.front() already written
  uint64_t bytes_in_ = 0;
  GSource* read_source_ = nullptr;
  GSource* write_source_ = nullptr;
  guint ping_timer_ = 0;
  guint linger_timer_ = 0;
  bool closed_reported_ = false;
  bool closed_by_peer_ = false;      // the client's close frame arrived
  uint16_t close_code_ = ws::kCloseAbnormal;
  std::string close_reason_;
  std::shared_ptr<WebSocket> self_;  // set while closing: the handshake outlives its owner
};

}  // namespace sueo::transport
