#include "transport/session.h"

#include <algorithm>
#include <chrono>

#include "metrics.h"

namespace sueo::transport {
namespace {

using WeakSession = std::weak_ptr<Session>;

gpointer hold_weak(const std::shared_ptr<Session>& session) { return new WeakSession(session); }
void release_weak(gpointer data, GClosure*) { delete static_cast<WeakSession*>(data); }
std::shared_ptr<Session> lock_weak(gpointer data) { return static_cast<WeakSession*>(data)->lock(); }

double wall_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void on_ws_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer user) {
  auto session = lock_weak(user);
  if (!session) return;
  gsize size = 0;
  const auto* data = static_cast<const char*>(g_bytes_get_data(message, &size));
  if (type == SOUP_WEBSOCKET_DATA_BINARY) {
    session->on_ws_binary(message);
    return;
  }
  session->on_ws_text(std::string_view(data != nullptr ? data : "", size));
}

void on_ws_closed(SoupWebsocketConnection*, gpointer user) {
  if (auto session = lock_weak(user)) session->close("websocket closed");
}

void on_ws_error(SoupWebsocketConnection*, GError* error, gpointer user) {
  auto session = lock_weak(user);
  if (!session || error == nullptr) return;
  if (error->domain == SOUP_WEBSOCKET_ERROR && error->code == SOUP_WEBSOCKET_CLOSE_TOO_BIG) {
    Metrics::global().add("errors.message_too_large");
  }
  log_line("ws", "session " + session->id() + ": " + error->message);
}

const std::string* string_field(const nlohmann::json& message, const char* name) {
  auto it = message.find(name);
  if (it == message.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

bool uint32_field(const nlohmann::json& message, const char* name, uint32_t& out) {
  auto it = message.find(name);
  if (it == message.end() || !(it->is_number_integer() || it->is_number_unsigned())) return false;
  const auto value = it->get<int64_t>();
  if (value < 0 || value > UINT32_MAX) return false;
  out = static_cast<uint32_t>(value);
  return true;
}

frames::AssemblerLimits limits_of(const ServeConfig& config) {
  frames::AssemblerLimits limits;
  limits.max_frame_bytes = static_cast<uint32_t>(config.max_frame_bytes);
  limits.max_sequence_frames = static_cast<uint32_t>(config.max_sequence_frames);
  limits.frame_timeout_ms = config.frame_timeout_ms;
  return limits;
}

// Closes the WebSocket a moment later: closed at once, right after a last error was queued, the
// peer saw an abnormal close (1006) without that error whenever nothing else (a peer's teardown)
// happened to delay the close.
void close_soon(SoupWebsocketConnection* ws, unsigned short code, const std::string& reason) {
  if (soup_websocket_connection_get_state(ws) != SOUP_WEBSOCKET_STATE_OPEN) return;
  struct Closing {
    GObjectPtr<SoupWebsocketConnection> ws;
    unsigned short code;
    std::string reason;
  };
  auto* closing = new Closing{GObjectPtr<SoupWebsocketConnection>(SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws))), code,
                              reason.substr(0, 100)};
  g_timeout_add_full(
      G_PRIORITY_DEFAULT, 50,
      [](gpointer data) -> gboolean {
        auto* c = static_cast<Closing*>(data);
        if (soup_websocket_connection_get_state(c->ws.get()) == SOUP_WEBSOCKET_STATE_OPEN) {
          soup_websocket_connection_close(c->ws.get(), c->code, c->reason.c_str());
        }
        return G_SOURCE_REMOVE;
      },
      closing, [](gpointer data) { delete static_cast<Closing*>(data); });
}

}  // namespace

Session::Session(std::string id, uint64_t key, SessionHost& host, SoupWebsocketConnection* ws)
    : id_(std::move(id)),
      key_(key),
      host_(host),
      ws_(SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws))),
      created_ms_(now_ms()),
      assembler_(limits_of(host.config())) {}

Session::~Session() {
  for (gulong handler : ws_handlers_) {
    if (handler != 0) g_signal_handler_disconnect(ws_.get(), handler);
  }
}

void Session::start() {
  const auto self = shared_from_this();
  const auto& config = host_.config();
  ConsumerLink link;
  link.send = [weak = weak_from_this()](nlohmann::json message) {
    post_to_main([weak, message = std::move(message)] {
      if (auto session = weak.lock()) session->send_json(message);
    });
  };
  link.preview_enabled = [preview = preview_] { return preview->load(std::memory_order_relaxed); };
  stream_ = std::make_shared<FrameStream>(host_.make_consumer(link));  // before any channel message
  // Accept messages a bit above the limits so an oversized one can be answered with an error first.
  const int64_t largest = std::max<int64_t>(config.ws_max_message, config.max_chunk_bytes);
  soup_websocket_connection_set_max_incoming_payload_size(ws_.get(), static_cast<guint64>(largest) * 4);
  soup_websocket_connection_set_keepalive_interval(ws_.get(), 20);
  ws_handlers_[0] = g_signal_connect_data(ws_.get(), "message", G_CALLBACK(on_ws_message), hold_weak(self),
                                          release_weak, GConnectFlags(0));
  ws_handlers_[1] = g_signal_connect_data(ws_.get(), "closed", G_CALLBACK(on_ws_closed), hold_weak(self),
                                          release_weak, GConnectFlags(0));
  ws_handlers_[2] = g_signal_connect_data(ws_.get(), "error", G_CALLBACK(on_ws_error), hold_weak(self),
                                          release_weak, GConnectFlags(0));
  send_json({{"type", "welcome"},
             {"session", id_},
             {"server_time", now_ms()},
             {"config", config.page_config()},
             {"ice_servers", config.ice_servers(id_)},
             {"model", host_.model_info()}});
}

void Session::send_json(const nlohmann::json& message) {
  if (closed_) return;
  if (soup_websocket_connection_get_state(ws_.get()) != SOUP_WEBSOCKET_STATE_OPEN) return;
  soup_websocket_connection_send_text(ws_.get(), message.dump().c_str());
}

void Session::send_error(const std::string& code, const std::string& message, bool fatal) {
  Metrics::global().add("errors." + code);
  log_line("session", id_ + ": " + code + ": " + message);
  nlohmann::json error = {{"type", "error"}, {"code", code}, {"message", message}};
  if (fatal) error["fatal"] = true;
  send_json(error);
  if (fatal) close(code, code == "server_draining" ? SOUP_WEBSOCKET_CLOSE_GOING_AWAY : SOUP_WEBSOCKET_CLOSE_NORMAL);
}

void Session::post_error(const std::string& code, const std::string& message, bool fatal) {
  post_to_main([weak = weak_from_this(), code, message, fatal] {
    if (auto session = weak.lock()) session->send_error(code, message, fatal);
  });
}

void Session::on_ws_text(std::string_view text) {
  if (static_cast<int64_t>(text.size()) > host_.config().ws_max_message) {
    send_error("message_too_large",
               "a /ws message may be at most " + std::to_string(host_.config().ws_max_message) + " bytes", true);
    return;
  }
  const auto message = nlohmann::json::parse(text, nullptr, false);
  if (message.is_discarded()) {
    send_error("bad_json", "the message is not valid JSON");
    return;
  }
  const std::string* type = message.is_object() ? string_field(message, "type") : nullptr;
  if (type == nullptr) {
    send_error("bad_message", "a message must be a JSON object with a string \"type\"");
    return;
  }
  if (*type == "offer") {
    handle_offer(message);
  } else if (*type == "candidate") {
    handle_candidate(message);
  } else if (*type == "ping") {
    handle_ping(message);
  } else if (*type == "options") {
    handle_options(message);
  } else if (*type == "sequence-start" || *type == "sequence-end") {
    // The WebSocket fallback: sequence control on /ws, in order with the chunks that follow it there.
    note_ws_frames();
    if (*type == "sequence-start") start_sequence(message);
    else end_sequence(message);
  } else {
    send_error("unknown_type", "unknown message type '" + type->substr(0, 64) + "'");
  }
}

void Session::on_ws_binary(GBytes* data) {
  const int64_t limit = host_.config().max_chunk_bytes;
  if (static_cast<int64_t>(g_bytes_get_size(data)) > limit) {
    send_error("message_too_large", "a frame chunk on /ws may be at most " + std::to_string(limit) +
                                        " bytes (welcome config max_chunk_bytes)", true);
    return;
  }
  note_ws_frames();
  Metrics::global().add("chunks.via_websocket");
  on_channel_binary(data);
}

void Session::note_ws_frames() {
  if (ws_frames_) return;
  ws_frames_ = true;
  Metrics::global().add("sessions.websocket_frames");
  log_line("session", id_ + ": frames over the WebSocket (fallback)");
  // A page that fell back after offering has given up on its peer connection: free the webrtcbin
  // (a pipeline and ~10 threads) now rather than when the session ends.
  if (peer_) peer_.reset();
}

void Session::handle_offer(const nlohmann::json& message) {
  const std::string* sdp = string_field(message, "sdp");
  if (sdp == nullptr) {
    send_error("bad_message", "an offer needs a string \"sdp\"");
    return;
  }
  if (peer_) {
    send_error("second_offer", "this session already has a peer: one offer per session (reconnect to start over)");
    return;
  }
  try {
    peer_ = std::make_unique<Peer>(host_.config(), make_peer_events());
  } catch (const std::exception& error) {
    send_error("internal", error.what(), true);
    return;
  }
  std::string why;
  if (!peer_->set_offer(*sdp, why)) {
    peer_.reset();
    send_error("bad_sdp", why);
  }
}

void Session::handle_candidate(const nlohmann::json& message) {
  auto it = message.find("candidate");
  if (it == message.end() || !it->is_object()) {
    send_error("bad_candidate", "a candidate message needs an object \"candidate\" (RTCIceCandidateInit)");
    return;
  }
  if (!peer_) {
    send_error("no_offer", "a candidate arrived before the offer");
    return;
  }
  const auto& init = *it;
  const std::string* line = string_field(init, "candidate");
  const std::string* mid = string_field(init, "sdpMid");
  int mline = -1;
  if (auto index = init.find("sdpMLineIndex"); index != init.end() && index->is_number_integer()) {
    mline = index->get<int>();
  }
  if (init.contains("candidate") && line == nullptr) {
    send_error("bad_candidate", "\"candidate.candidate\" must be a string");
    return;
  }
  std::string why;
  if (!peer_->add_candidate(mline, mid ? *mid : "", line ? *line : "", why)) send_error("bad_candidate", why);
}

void Session::handle_ping(const nlohmann::json& message) {
  const double received = now_ms();
  auto it = message.find("t0");
  if (it == message.end() || !it->is_number()) {
    send_error("bad_message", "a ping needs a number \"t0\"");
    return;
  }
  send_json({{"type", "pong"}, {"t0", *it}, {"t1", received}, {"t2", now_ms()}});
}

void Session::handle_options(const nlohmann::json& message) {
  auto it = message.find("landmarks");
  if (it == message.end() || !it->is_boolean()) {
    send_error("bad_message", "options needs a boolean \"landmarks\"");
    return;
  }
  preview_->store(it->get<bool>(), std::memory_order_relaxed);
}

PeerEvents Session::make_peer_events() {
  PeerEvents events;
  const WeakSession weak = weak_from_this();
  events.on_answer = [weak](const std::string& sdp) {
    post_to_main([weak, sdp] {
      if (auto session = weak.lock()) session->send_json({{"type", "answer"}, {"sdp", sdp}});
    });
  };
  events.on_candidate = [weak](int mline, const std::string& mid, const std::string& candidate) {
    post_to_main([weak, mline, mid, candidate] {
      if (auto session = weak.lock()) {
        session->send_json({{"type", "candidate"},
                            {"candidate", {{"candidate", candidate}, {"sdpMid", mid}, {"sdpMLineIndex", mline}}}});
      }
    });
  };
  events.on_channel_open = [weak] {
    post_to_main([weak] {
      if (auto session = weak.lock()) {
        Metrics::global().add("channels.opened");
        session->send_json({{"type", "channel-open"}, {"server_time", now_ms()}});
      }
    });
  };
  events.on_binary = [weak](GBytes* data) {
    if (auto session = weak.lock()) session->on_channel_binary(data);
  };
  events.on_text = [weak](const std::string& text) {
    if (auto session = weak.lock()) session->on_channel_text(text);
  };
  events.on_failure = [weak](const std::string& code, const std::string& message) {
    post_to_main([weak, code, message] {
      auto session = weak.lock();
      if (!session) return;
      if (code == "peer_closed") {
        session->close("peer closed: " + message);
      } else {
        session->send_error(code, message, code == "peer_failed");
      }
    });
  };
  return events;
}

void Session::count_assembler_drops(const frames::DropCounts& before) {
  const auto& after = assembler_.drops();
  for (size_t i = 0; i < frames::kDropReasonCount; ++i) {
    if (after.by_reason[i] > before.by_reason[i]) {
      Metrics::global().add("frames.dropped." + std::string(frames::to_string(static_cast<frames::DropReason>(i))),
                            after.by_reason[i] - before.by_reason[i]);
    }
  }
}

void Session::on_channel_binary(GBytes* data) {
  gsize size = 0;
  const auto* bytes = static_cast<const uint8_t*>(g_bytes_get_data(data, &size));
  Metrics::global().add("chunks.received");
  frames::ParseError parse_error;
  // The size limit is the assembler's to enforce, so an oversized frame is counted once, in its sequence.
  const auto chunk = frames::parse_chunk({bytes, size}, UINT32_MAX, parse_error);
  if (!chunk) {
    post_error("bad_chunk", parse_error.message);
    return;
  }
  std::optional<frames::AssembledFrame> frame;
  std::optional<frames::DropReason> drop;
  bool dropped_frame = false;
  {
    std::lock_guard lock(assembler_mutex_);
    const frames::DropCounts before = assembler_.drops();
    frame = assembler_.add(*chunk, now_ms(), &drop);
    dropped_frame = assembler_.drops().total() > before.total();
    count_assembler_drops(before);
  }
  // One error per dropped frame (the assembler counts frames, not each refused chunk).
  if (dropped_frame && drop) {
    post_error("frame_dropped", "frame " + std::to_string(chunk->header.frame_index) + " of sequence " +
                                    std::to_string(chunk->header.seq) + " dropped: " + std::string(frames::to_string(*drop)));
  }
  if (frame) submit_frame(std::move(*frame));
}

void Session::submit_frame(frames::AssembledFrame frame) {
  auto stream = stream_;
  const WeakSession weak = weak_from_this();
  const uint32_t seq = frame.seq;
  const uint32_t index = frame.frame_index;
  const bool queued = host_.workers().submit(key_, [stream, weak, frame = std::move(frame)](frames::WorkerContext& context) mutable {
    std::string error;
    const uint32_t seq = frame.seq;
    const uint32_t index = frame.frame_index;
    if (!stream->add_frame(std::move(frame), context, error) && !error.empty()) {
      post_to_main([weak, seq, index, error] {
        if (auto session = weak.lock()) {
          session->send_error("bad_jpeg", "frame " + std::to_string(index) + " of sequence " + std::to_string(seq) +
                                              " is not a decodable JPEG: " + error);
        }
      });
    }
  });
  if (!queued) {
    overloaded_.fetch_add(1);
    Metrics::global().add("frames.dropped.overloaded");
    post_error("frame_dropped", "frame " + std::to_string(index) + " of sequence " + std::to_string(seq) +
                                    " dropped: the workers' queue is full (overloaded)");
  }
}

void Session::on_channel_text(const std::string& text) {
  const auto message = nlohmann::json::parse(text, nullptr, false);
  const std::string* type = message.is_object() ? string_field(message, "type") : nullptr;
  if (message.is_discarded()) {
    post_error("bad_json", "a DataChannel text message is not valid JSON");
  } else if (type == nullptr) {
    post_error("bad_message", "a DataChannel message must be a JSON object with a string \"type\"");
  } else if (*type == "sequence-start") {
    start_sequence(message);
  } else if (*type == "sequence-end") {
    end_sequence(message);
  } else {
    post_error("unknown_type", "unknown DataChannel message type '" + type->substr(0, 64) + "'");
  }
}

void Session::start_sequence(const nlohmann::json& message) {
  if (draining_.load()) {
    post_error("server_draining", "the server is restarting: no new sequence is accepted; reconnect in a moment");
    return;
  }
  uint32_t seq = 0, planned = 0;
  if (!uint32_field(message, "seq", seq) || !uint32_field(message, "frames", planned)) {
    post_error("bad_message", "sequence-start needs unsigned integers \"seq\" and \"frames\"");
    return;
  }
  bool started = false, was_open = false;
  {
    std::lock_guard lock(assembler_mutex_);
    was_open = assembler_.sequence_open();
    const frames::DropCounts before = assembler_.drops();
    started = assembler_.start_sequence(seq, planned, now_ms());
    count_assembler_drops(before);
    auto detail = message.find("detail");
    detail_ = detail != message.end() && detail->is_boolean() && detail->get<bool>();
  }
  if (was_open) post_error("sequence_error", "a new sequence started while one was open: the open one was abandoned");
  if (!started) {
    post_error("sequence_error", "sequence " + std::to_string(seq) + " refused: frames must be 1 … " +
                                     std::to_string(host_.config().max_sequence_frames));
    return;
  }
  Metrics::global().add("sequences.started");
  auto stream = stream_;
  host_.workers().submit(key_, [stream, seq, planned](frames::WorkerContext&) { stream->start(seq, planned, 0); },
                         /*force=*/true);
}

void Session::end_sequence(const nlohmann::json& message) {
  uint32_t seq = 0, sent = 0;
  if (!uint32_field(message, "seq", seq)) {
    post_error("bad_message", "sequence-end needs an unsigned integer \"seq\"");
    return;
  }
  uint32_field(message, "frames", sent);
  frames::DropCounts drops;
  bool detail = false;
  {
    std::lock_guard lock(assembler_mutex_);
    const frames::DropCounts before = assembler_.drops();
    if (!assembler_.end_sequence(seq)) {
      post_error("sequence_error", "sequence-end for sequence " + std::to_string(seq) + ", which is not open");
      return;
    }
    count_assembler_drops(before);
    drops = assembler_.drops();
    detail = detail_;
  }
  const uint32_t overloaded = overloaded_.exchange(0);
  auto stream = stream_;
  const WeakSession weak = weak_from_this();
  pending_results_.fetch_add(1);
  host_.workers().submit(
      key_,
      [stream, weak, seq, sent, drops, overloaded, detail](frames::WorkerContext& context) {
        FrameStream::Outcome outcome = stream->finish(seq, sent, drops, overloaded, wall_ms(), detail, context);
        post_to_main([weak, outcome = std::move(outcome)] {
          Metrics::global().add("sequences.completed");
          if (auto session = weak.lock()) {
            session->send_json(outcome.receipt);
            if (outcome.result.is_object()) session->send_json(outcome.result);
            session->pending_results_.fetch_sub(1);
            if (session->draining_.load() && !session->busy()) {
              session->send_error("server_draining", "the server is restarting: your result was sent; reconnect to go on",
                                  true);
            }
          }
        });
      },
      /*force=*/true);
}

void Session::expire(double now) {
  std::lock_guard lock(assembler_mutex_);
  const frames::DropCounts before = assembler_.drops();
  if (assembler_.expire(now) > 0) count_assembler_drops(before);
}

bool Session::busy() {
  if (pending_results_.load() > 0) return true;
  std::lock_guard lock(assembler_mutex_);
  return assembler_.sequence_open();
}

void Session::drain() {
  if (draining_.exchange(true) || closed_) return;
  if (busy()) {
    send_error("server_draining",
               "the server is restarting: the sequence in progress will finish, then this connection closes");
  } else {
    send_error("server_draining", "the server is restarting: reconnect in a moment", true);
  }
}

void Session::close(const std::string& reason, unsigned short code) {
  if (closed_) return;
  closed_ = true;
  log_line("session", id_ + " closed (" + reason + ") after " + std::to_string(static_cast<int>(now_ms() - created_ms_)) + " ms");
  {
    std::lock_guard lock(assembler_mutex_);
    if (assembler_.sequence_open()) Metrics::global().add("sequences.abandoned");
  }
  const double teardown_start = now_ms();
  peer_.reset();  // stops the pipeline: no more pc-thread callbacks after this
  const double teardown_ms = now_ms() - teardown_start;
  if (teardown_ms > 50) log_line("session", id_ + ": peer teardown took " + std::to_string(static_cast<int>(teardown_ms)) + " ms");
  if (soup_websocket_connection_get_state(ws_.get()) == SOUP_WEBSOCKET_STATE_OPEN) {
    close_soon(ws_.get(), code, reason);
    host_.websocket_closing(ws_.get());
  }
  host_.session_closed(id_);  // may drop the last reference: nothing after this line
}

}  // namespace sueo::transport
