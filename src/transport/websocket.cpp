#include "transport/websocket.h"

#include <array>

namespace sueo::transport {
namespace {

int g_open_count = 0;  // main loop only

// Bytes read per turn of the loop before yielding to other sources.
constexpr size_t kReadBudget = 256 * 1024;

void on_stream_closed(GObject* stream, GAsyncResult* result, gpointer) {
  g_io_stream_close_finish(G_IO_STREAM(stream), result, nullptr);
  g_object_unref(stream);
}

}  // namespace

std::shared_ptr<WebSocket> WebSocket::create(GIOStream* stream, WebSocketLimits limits) {
  std::shared_ptr<WebSocket> ws(new WebSocket(stream, limits));
  ws->start();
  return ws;
}

WebSocket::WebSocket(GIOStream* stream, WebSocketLimits limits)
    : stream_(G_IO_STREAM(g_object_ref(stream))), limits_(limits), reader_(limits.max_message) {
  if (auto* socket = g_object_get_data(G_OBJECT(stream), "GSocket")) socket_.reset(G_SOCKET(g_object_ref(socket)));
  in_ = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(stream));
  out_ = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(stream));
  ++g_open_count;
}

WebSocket::~WebSocket() {
  if (state_ != State::kDone) {
    --g_open_count;
    stop_sources();
    g_io_stream_close_async(stream_.get(), G_PRIORITY_DEFAULT, nullptr, on_stream_closed, g_object_ref(stream_.get()));
  }
}

int WebSocket::open_count() { return g_open_count; }

void WebSocket::start() {
  // The first read at once: bytes that came with the upgrade request may already sit in libsoup's
  // buffer, where no socket readiness will announce them.
  read_source_ = g_idle_source_new();
  g_source_set_callback(read_source_, [](gpointer self) -> gboolean {
    auto* ws = static_cast<WebSocket*>(self);
    g_source_unref(ws->read_source_);
    ws->read_source_ = nullptr;
    ws->on_readable();
    return G_SOURCE_REMOVE;
  }, this, nullptr);
  g_source_attach(read_source_, nullptr);
  ping_timer_ = g_timeout_add_seconds(limits_.ping_interval_s, [](gpointer self) -> gboolean {
    auto* ws = static_cast<WebSocket*>(self);
    if (ws->state_ == State::kOpen) ws->queue(ws::encode_frame(ws::Opcode::kPing, {}));
    return G_SOURCE_CONTINUE;
  }, this);
}

void WebSocket::stop_sources() {
  for (GSource** source : {&read_source_, &write_source_}) {
    if (*source != nullptr) {
      g_source_destroy(*source);
      g_source_unref(*source);
      *source = nullptr;
    }
  }
  for (guint* timer : {&ping_timer_, &linger_timer_}) {
    if (*timer != 0) g_source_remove(*timer);
    *timer = 0;
  }
}

// Reads until the stream would block (then waits on a new source: a pollable source made while
// libsoup or TLS still held buffered bytes would fire forever), the budget is spent, or the end.
bool WebSocket::on_readable() {
  const auto keep = shared_from_this();  // a handler may drop the owner's reference
  std::array<uint8_t, 16384> buffer{};
  std::vector<ws::Event> events;
  size_t budget = kReadBudget;
  while (state_ != State::kDone) {
    GError* raw = nullptr;
    const gssize n = g_pollable_input_stream_read_nonblocking(in_, buffer.data(), buffer.size(), nullptr, &raw);
    GErrorPtr error(raw);
    if (n > 0) {
      bytes_in_ += static_cast<uint64_t>(n);
      events.clear();
      reader_.feed({buffer.data(), static_cast<size_t>(n)}, events);
      for (auto& event : events) {
        if (state_ == State::kDone) break;
        handle(event);
      }
      if (budget <= static_cast<size_t>(n)) break;  // come back on the next turn of the loop
      budget -= static_cast<size_t>(n);
      continue;
    }
    if (n == 0) {
      finish(state_ == State::kClosing ? close_code_ : ws::kCloseAbnormal, "the client closed the connection");
      return false;
    }
    if (!g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      finish(ws::kCloseAbnormal, error ? error->message : "read error");
      return false;
    }
    break;
  }
  if (state_ == State::kDone) return false;
  GSource* source = g_pollable_input_stream_create_source(in_, nullptr);
  read_source_ = source;
  g_source_set_callback(source, G_SOURCE_FUNC(+[](GObject*, gpointer self) -> gboolean {
    auto* ws = static_cast<WebSocket*>(self);
    g_source_unref(ws->read_source_);
    ws->read_source_ = nullptr;
    ws->on_readable();
    return G_SOURCE_REMOVE;
  }), this, nullptr);
  g_source_attach(source, nullptr);
  return false;
}

void WebSocket::handle(ws::Event& event) {
  using Kind = ws::Event::Kind;
  switch (event.kind) {
    // Each handler is called through a copy: it may destroy the owner, which replaces handlers_.
    case Kind::kText:
      if (auto on_text = handlers_.on_text; state_ == State::kOpen && on_text) on_text(event.payload);
      break;
    case Kind::kBinary:
      if (auto on_binary = handlers_.on_binary; state_ == State::kOpen && on_binary) on_binary(event.payload);
      break;
    case Kind::kPing:
      if (state_ == State::kOpen) queue(ws::encode_frame(ws::Opcode::kPong, event.payload));
      break;
    case Kind::kPong:
      break;
    case Kind::kClose:
      if (state_ == State::kOpen) {
        // Answer with the client's code (RFC 6455 §5.5.1), then close once it is written.
        close_code_ = event.code;
        close_reason_ = event.payload;
        state_ = State::kClosing;
        self_ = shared_from_this();
        queue(event.code == ws::kCloseNoStatus ? ws::encode_frame(ws::Opcode::kClose, {})
                                               : ws::encode_close(event.code, event.payload));
      }
      closed_by_peer_ = true;
      if (queue_.empty()) finish(close_code_, close_reason_);
      break;
    case Kind::kError:
      if (state_ != State::kOpen) break;
      if (auto on_error = handlers_.on_protocol_error) on_error(event.code, event.payload);
      if (state_ == State::kOpen) close(event.code, event.payload);
      break;
  }
}

bool WebSocket::send_text(std::string_view text) {
  if (state_ != State::kOpen) return false;
  std::string frame = ws::encode_frame(ws::Opcode::kText, text);
  if (queued_bytes_ + frame.size() > limits_.max_queued_bytes) {
    queue(std::move(frame));  // (finish() sees a non-empty queue and shuts the socket)
    finish(ws::kClosePolicy, "the client does not read: " + std::to_string(queued_bytes_) + " bytes are waiting");
    return false;
  }
  queue(std::move(frame));
  return true;
}

void WebSocket::close(uint16_t code, std::string_view reason) {
  if (state_ != State::kOpen) return;
  state_ = State::kClosing;
  close_code_ = code;
  close_reason_ = std::string(reason);
  self_ = shared_from_this();
  queue(ws::encode_close(code, reason));
  linger_timer_ = g_timeout_add(limits_.close_linger_ms, [](gpointer self) -> gboolean {
    auto* ws = static_cast<WebSocket*>(self);
    ws->linger_timer_ = 0;
    ws->finish(ws->close_code_, ws->close_reason_);
    return G_SOURCE_REMOVE;
  }, this);
}

void WebSocket::queue(std::string frame) {
  queued_bytes_ += frame.size();
  queue_.push_back(std::move(frame));
  if (write_source_ == nullptr) flush();
}

void WebSocket::flush() {
  while (!queue_.empty() && state_ != State::kDone) {
    const std::string& head = queue_.front();
    GError* raw = nullptr;
    const gssize n = g_pollable_output_stream_write_nonblocking(out_, head.data() + head_written_,
                                                                head.size() - head_written_, nullptr, &raw);
    GErrorPtr error(raw);
    if (n > 0) {
      head_written_ += static_cast<size_t>(n);
      if (head_written_ == head.size()) {
        queued_bytes_ -= head.size();
        queue_.pop_front();
        head_written_ = 0;
      }
      continue;
    }
    if (n < 0 && g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      write_source_ = g_pollable_output_stream_create_source(out_, nullptr);
      g_source_set_callback(write_source_, G_SOURCE_FUNC(+[](GObject*, gpointer self) -> gboolean {
        auto* ws = static_cast<WebSocket*>(self);
        const auto keep = ws->shared_from_this();
        g_source_unref(ws->write_source_);
        ws->write_source_ = nullptr;
        ws->flush();
        return G_SOURCE_REMOVE;
      }), this, nullptr);
      g_source_attach(write_source_, nullptr);
      return;
    }
    finish(ws::kCloseAbnormal, error ? error->message : "write error");
    return;
  }
  // Everything is out. After the client's close frame was answered, the connection is over.
  if (state_ == State::kClosing && closed_by_peer_ && queue_.empty()) finish(close_code_, close_reason_);
}

void WebSocket::finish(uint16_t code, const std::string& why) {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  --g_open_count;
  stop_sources();
  // Bytes still queued mean the client is not reading (or is gone): shut the socket so closing the TLS
  // stream (its close_notify) cannot wait on a full send buffer for the socket's timeout.
  if (!queue_.empty() && socket_) g_socket_shutdown(socket_.get(), TRUE, TRUE, nullptr);
  queue_.clear();
  queued_bytes_ = 0;
  g_io_stream_close_async(stream_.get(), G_PRIORITY_DEFAULT, nullptr, on_stream_closed, g_object_ref(stream_.get()));
  const auto keep = std::move(self_);  // released when this function returns
  if (!closed_reported_) {
    closed_reported_ = true;
    if (auto on_closed = handlers_.on_closed) on_closed(code, why);
  }
}

}  // namespace sueo::transport
