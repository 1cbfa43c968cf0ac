#include "transport/session.h"

#include <chrono>
#include <map>
#include <variant>

#include "metrics.h"
#include "transport/glib_util.h"

namespace sueo::transport {
namespace {

using WeakSession = std::weak_ptr<Session>;

double wall_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

frames::AssemblerLimits limits_of(const ServeConfig& config) {
  frames::AssemblerLimits limits;
  limits.max_frame_bytes = static_cast<uint32_t>(config.max_frame_bytes);
  limits.max_sequence_frames = static_cast<uint32_t>(config.max_sequence_frames);
  limits.frame_timeout_ms = config.frame_timeout_ms;
  // Partial frames held at once: eight of the largest allowed (a 15 fps stream has one or two).
  limits.max_bytes_in_flight = 8 * static_cast<uint64_t>(config.max_frame_bytes);
  return limits;
}

protocol::SequenceLimits sequence_limits(const ServeConfig& config) {
  protocol::SequenceLimits limits;
  limits.max_frames = static_cast<uint32_t>(config.max_sequence_frames);
  limits.max_pixels = config.max_frame_pixels;
  return limits;
}

// Non-fatal error messages a session is sent per second (and in a burst): enough for every real
// mistake, not one reply per message of a flood.
constexpr double kErrorRepliesPerSecond = 20;
// A session whose refused messages in kFloodWindowMs pass kFloodFactor × rate × window is closed: a
// client sending twice its rate for 10 s, or a burst of 10 s worth of messages.
constexpr double kFloodWindowMs = 10000;
constexpr double kFloodFactor = 1;
// Dropped frames named in one frame_dropped report (the counts cover all of them).
constexpr size_t kMaxFramesPerReport = 256;
// A sequence's end runs its frames before other sessions' (WorkerPool::submit_urgent) at most once a
// second a session, and only while at most a second of its frames (15 fps) waits: a client that ends
// sequences in a loop, or lets frames pile up, must not take the workers from the other sessions.
constexpr double kUrgentEveryMs = 1000;
constexpr size_t kUrgentBacklog = 15;

}  // namespace

Session::Session(std::string id, uint64_t key, SessionHost& host, std::shared_ptr<WebSocket> ws, std::string address)
    : id_(std::move(id)),
      key_(key),
      host_(host),
      ws_(std::move(ws)),
      address_(std::move(address)),
      created_ms_(now_ms()),
      error_replies_(kErrorRepliesPerSecond, 2 * kErrorRepliesPerSecond),
      assembler_(limits_of(host.config())),
      last_activity_ms_(now_ms()),
      messages_(host.config().max_messages_per_second, 2.0 * host.config().max_messages_per_second) {}

Session::~Session() {
  if (ws_) ws_->set_handlers({});
}

void Session::start() {
  const auto& config = host_.config();
  ConsumerLink link;
  link.send = [weak = weak_from_this()](nlohmann::json message) {
    post_to_main([weak, message = std::move(message)] {
      if (auto session = weak.lock()) session->send_json(message);
    });
  };
  link.preview_enabled = [preview = preview_] { return preview->load(std::memory_order_relaxed); };
  link.teach_enabled = [teach = teach_] { return teach->load(std::memory_order_relaxed); };
  // Before any channel message.
  stream_ = std::make_shared<FrameStream>(host_.consumer_maker(link), host_.config().max_frame_pixels);
  WebSocket::Handlers handlers;
  const WeakSession weak = weak_from_this();
  handlers.on_text = [weak](std::string_view text) {
    if (auto session = weak.lock()) session->on_ws_text(text);
  };
  handlers.on_binary = [weak](std::string_view bytes) {
    if (auto session = weak.lock()) session->on_ws_binary(bytes);
  };
  handlers.on_protocol_error = [weak](uint16_t code, const std::string& why) {
    auto session = weak.lock();
    if (!session) return;
    if (code == ws::kCloseTooBig) {
      session->send_error("message_too_large", "a /ws message may be at most " +
                                                   std::to_string(session->host_.config().ws_max_message) + " bytes",
                          true, code);
    } else {
      session->send_error("bad_message", "WebSocket protocol error: " + why, true, code);
    }
  };
  handlers.on_closed = [weak](uint16_t code, const std::string& why) {
    if (auto session = weak.lock()) {
      if (code == ws::kClosePolicy) Metrics::global().add("errors.slow_client");
      session->close("websocket closed (" + std::to_string(code) + (why.empty() ? "" : ": " + why) + ")", code);
    }
  };
  ws_->set_handlers(std::move(handlers));
  send_json({{"type", "welcome"},
             {"session", id_},
             {"server_time", now_ms()},
             {"config", config.page_config()},
             {"ice_servers", config.ice_servers(id_)},
             {"model", host_.model_info()}});
}

void Session::send_json(const nlohmann::json& message) {
  if (closed_ || !ws_->open()) return;
  // `replace`: a client's bytes echoed in a message can never make dump() throw.
  ws_->send_text(message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Session::send_error(const std::string& code, const std::string& message, bool fatal, uint16_t close_code) {
  Metrics::global().add("errors." + code);
  if (!fatal && !error_replies_.take(now_ms())) {
    ++errors_suppressed_;
    Metrics::global().add("replies.suppressed");
    return;
  }
  log_line("session", id_ + ": " + code + ": " + message);
  nlohmann::json error = {{"type", "error"}, {"code", code}, {"message", message}};
  if (fatal) error["fatal"] = true;
  send_json(error);
  if (!fatal) return;
  if (close_code == 0) close_code = code == "server_draining" ? ws::kCloseGoingAway : ws::kCloseNormal;
  close(code, close_code);
}

void Session::post_error(const std::string& code, const std::string& message, bool fatal, uint16_t close_code) {
  post_to_main([weak = weak_from_this(), code, message, fatal, close_code] {
    if (auto session = weak.lock()) session->send_error(code, message, fatal, close_code);
  });
}

bool Session::admit_message() {
  const double now = now_ms();
  bool notify = false, flood = false;
  {
    std::lock_guard lock(rate_mutex_);
    if (messages_.take(now)) return true;
    if (now - refused_since_ms_ > kFloodWindowMs) {
      refused_since_ms_ = now;
      refused_ = 0;
    }
    ++refused_;
    flood = refused_ > kFloodFactor * host_.config().max_messages_per_second * (kFloodWindowMs / 1000.0);
    notify = now - last_rate_notice_ms_ >= 1000;
    if (notify) last_rate_notice_ms_ = now;
  }
  Metrics::global().add("messages.refused.rate_limited");
  if (flood) {
    post_error("rate_limited", "too many messages for too long: the session is closed", true, ws::kClosePolicy);
  } else if (notify) {
    post_error("rate_limited", "too many messages: at most " + std::to_string(host_.config().max_messages_per_second) +
                                   " a second; the extra ones are dropped unanswered");
  }
  return false;
}

void Session::touch() { last_activity_ms_.store(now_ms(), std::memory_order_relaxed); }

void Session::on_ws_text(std::string_view text) {
  // The socket takes messages up to max(ws_max_message, max_chunk_bytes): binary ones are chunks.
  if (static_cast<int64_t>(text.size()) > host_.config().ws_max_message) {
    send_error("message_too_large", "a /ws text message may be at most " + std::to_string(host_.config().ws_max_message) +
                                        " bytes", true, ws::kCloseTooBig);
    return;
  }
  if (!admit_message()) return;
  const protocol::WsMessage message = protocol::parse_ws_message(text);
  if (const auto* error = std::get_if<protocol::Error>(&message); error != nullptr && error->code == "unknown_type") {
    // The WebSocket fallback: sequence-start/-end on /ws, in order with the chunks that follow there.
    const auto control = protocol::parse_channel_message(text, sequence_limits(host_.config()));
    if (const auto* start = std::get_if<protocol::SequenceStart>(&control)) {
      touch();
      note_ws_frames();
      start_sequence(*start);
      return;
    }
    if (const auto* end = std::get_if<protocol::SequenceEnd>(&control)) {
      touch();
      note_ws_frames();
      end_sequence(*end);
      return;
    }
    if (const auto* bad = std::get_if<protocol::Error>(&control); bad != nullptr && bad->code != "unknown_type") {
      send_error(bad->code, bad->message);  // a sequence message with a bad field: say which
      return;
    }
  }
  std::visit(
      [this](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol::Error>) {
          send_error(m.code, m.message);
        } else {
          touch();
          handle(m);
        }
      },
      message);
}

void Session::on_ws_binary(std::string_view bytes) {
  const int64_t limit = host_.config().max_chunk_bytes;
  if (static_cast<int64_t>(bytes.size()) > limit) {
    send_error("message_too_large", "a frame chunk on /ws may be at most " + std::to_string(limit) +
                                        " bytes (welcome config max_chunk_bytes)", true, ws::kCloseTooBig);
    return;
  }
  note_ws_frames();
  Metrics::global().add("chunks.via_websocket");
  on_chunk(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
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

void Session::handle(const protocol::Offer& offer) {
  if (peer_) {
    send_error("second_offer", "this session already has a peer: one offer per session (reconnect to start over)");
    return;
  }
  offer_ms_ = now_ms();
  try {
    peer_ = std::make_unique<Peer>(host_.config(), make_peer_events());
  } catch (const std::exception& error) {
    send_error("internal", error.what(), true, ws::kCloseServerError);
    return;
  }
  std::string why;
  if (!peer_->set_offer(offer.sdp, why)) {
    peer_.reset();
    send_error("bad_sdp", why);
  }
}

void Session::handle(const protocol::Candidate& candidate) {
  if (!peer_) {
    send_error("no_offer", "a candidate arrived before the offer");
    return;
  }
  std::string why;
  if (!peer_->add_candidate(candidate.sdp_mline_index.value_or(-1), candidate.sdp_mid.value_or(""),
                            candidate.candidate.value_or(""), why)) {
    send_error("bad_candidate", why);
  }
}

void Session::handle(const protocol::Ping& ping) {
  const double received = now_ms();
  send_json({{"type", "pong"}, {"t0", ping.t0}, {"t1", received}, {"t2", now_ms()}});
}

void Session::handle(const protocol::Options& options) {
  if (options.landmarks) preview_->store(*options.landmarks, std::memory_order_relaxed);
  if (options.teach) teach_->store(*options.teach, std::memory_order_relaxed);
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
        Metrics::global().observe("offer_to_open_seconds", (now_ms() - session->offer_ms_) / 1000.0);
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
        session->send_error(code, message, code == "peer_failed", ws::kCloseNormal);
      }
    });
  };
  return events;
}

void Session::collect_drops(const frames::DropCounts& before) {
  const auto& after = assembler_.drops();
  for (size_t i = 0; i < frames::kDropReasonCount; ++i) {
    if (after.by_reason[i] > before.by_reason[i]) {
      Metrics::global().add("frames.dropped." + std::string(frames::to_string(static_cast<frames::DropReason>(i))),
                            after.by_reason[i] - before.by_reason[i]);
    }
  }
  for (const auto& drop : assembler_.take_dropped()) {
    if (unreported_.size() < frames::FrameAssembler::kMaxDropLog) unreported_.push_back(drop);
  }
}

void Session::report_drops() {
  std::vector<frames::DroppedFrame> drops;
  {
    std::lock_guard lock(assembler_mutex_);
    drops.swap(unreported_);
  }
  if (drops.empty()) return;
  struct Report {
    nlohmann::json frames = nlohmann::json::array();
    std::map<std::string, int> reasons;
    size_t count = 0;
  };
  std::map<uint32_t, Report> by_seq;
  for (const auto& drop : drops) {
    Report& report = by_seq[drop.seq];
    if (report.frames.size() < kMaxFramesPerReport) report.frames.push_back(drop.frame_index);
    ++report.reasons[std::string(frames::to_string(drop.reason))];
    ++report.count;
  }
  for (auto& [seq, report] : by_seq) {
    std::string text = std::to_string(report.count) + " frame" + (report.count == 1 ? "" : "s") + " of sequence " +
                       std::to_string(seq) + " dropped:";
    for (const auto& [reason, n] : report.reasons) text += " " + reason + " " + std::to_string(n);
    Metrics::global().add("errors.frame_dropped");
    // Not through send_error's reply budget: one report per sequence per 100 ms is bounded already.
    send_json({{"type", "error"},
               {"code", "frame_dropped"},
               {"message", text},
               {"seq", seq},
               {"frames", report.frames},
               {"count", report.count},
               {"reasons", report.reasons}});
  }
}

void Session::on_channel_binary(GBytes* data) {
  gsize size = 0;
  const auto* bytes = data != nullptr ? static_cast<const uint8_t*>(g_bytes_get_data(data, &size)) : nullptr;
  on_chunk(bytes, size);
}

void Session::on_chunk(const uint8_t* bytes, size_t size) {
  Metrics::global().add("chunks.received");
  if (size == 0) {
    post_error("bad_chunk", "an empty frame chunk: a chunk is a 32-byte header and its payload");
    return;
  }
  frames::ParseError parse_error;
  // The size limit is the assembler's to enforce, so an oversized frame is counted once, in its sequence.
  const auto chunk = frames::parse_chunk({bytes, size}, UINT32_MAX, parse_error);
  if (!chunk) {
    post_error("bad_chunk", parse_error.message);
    return;
  }
  touch();
  std::optional<frames::AssembledFrame> frame;
  {
    std::lock_guard lock(assembler_mutex_);
    const frames::DropCounts before = assembler_.drops();
    frame = assembler_.add(*chunk, now_ms());
    collect_drops(before);
  }
  if (frame) submit_frame(std::move(*frame));
}

void Session::submit_frame(frames::AssembledFrame frame) {
  const uint32_t seq = frame.seq;
  const uint32_t index = frame.frame_index;
  const auto bytes = static_cast<int64_t>(frame.jpeg.size());
  auto task = [stream = stream_, weak = weak_from_this(), frame = std::move(frame), queued_bytes = queued_bytes_,
               bytes](frames::WorkerContext& context) mutable {
    queued_bytes->fetch_sub(bytes);
    std::string error;
    const uint32_t seq = frame.seq, index = frame.frame_index;
    if (!stream->add_frame(std::move(frame), context, error) && !error.empty()) {
      post_to_main([weak, seq, index, error] {
        if (auto session = weak.lock()) {
          session->send_error("bad_jpeg", "frame " + std::to_string(index) + " of sequence " + std::to_string(seq) +
                                              " is not a decodable JPEG: " + error);
        }
      });
    }
  };
  // Bounded twice: frames waiting (--worker-queue, the pool's count) and their bytes (--worker-queue-bytes).
  const bool fits = queued_bytes_->fetch_add(bytes) + bytes <= host_.config().worker_queue_bytes;
  if (fits && host_.workers().submit(key_, std::move(task))) return;
  queued_bytes_->fetch_sub(bytes);
  overloaded_.fetch_add(1);
  Metrics::global().add("frames.dropped.overloaded");
  std::lock_guard lock(assembler_mutex_);
  if (unreported_.size() < frames::FrameAssembler::kMaxDropLog) {
    unreported_.push_back({seq, index, frames::DropReason::kOverloaded});
  }
}

void Session::on_channel_text(const std::string& text) {
  if (!admit_message()) return;
  const protocol::ChannelMessage message = protocol::parse_channel_message(text, sequence_limits(host_.config()));
  if (const auto* error = std::get_if<protocol::Error>(&message)) {
    post_error(error->code, error->message);
  } else if (const auto* start = std::get_if<protocol::SequenceStart>(&message)) {
    touch();
    start_sequence(*start);
  } else if (const auto* end = std::get_if<protocol::SequenceEnd>(&message)) {
    touch();
    end_sequence(*end);
  }
}

void Session::start_sequence(const protocol::SequenceStart& start) {
  if (draining_.load()) {
    post_error("server_draining", "the server is restarting: no new sequence is accepted; reconnect in a moment");
    return;
  }
  bool started = false, was_open = false;
  uint32_t open_seq = 0;
  {
    std::lock_guard lock(assembler_mutex_);
    was_open = assembler_.sequence_open();
    open_seq = assembler_.current_seq();
    const frames::DropCounts before = assembler_.drops();
    started = assembler_.start_sequence(start.seq, start.frames, now_ms());
    collect_drops(before);
    if (started) detail_ = start.detail;
  }
  if (!started) {  // the parser already checked the range; kept for a limit that may differ
    post_error("bad_message", "sequence " + std::to_string(start.seq) + " refused: frames must be 1 … " +
                                  std::to_string(host_.config().max_sequence_frames));
    return;
  }
  if (was_open) {
    Metrics::global().add("sequences.abandoned");
    post_error("sequence_error", "sequence " + std::to_string(start.seq) + " started while sequence " +
                                     std::to_string(open_seq) + " was open: " + std::to_string(open_seq) +
                                     " was abandoned (its incomplete frames are dropped, it gets no receipt)");
  }
  Metrics::global().add("sequences.started");
  auto stream = stream_;
  const SequenceStart begin{start.seq, start.frames, start.live ? SequenceMode::kLive : SequenceMode::kWindow};
  host_.workers().submit(key_, [stream, begin](frames::WorkerContext&) { stream->start(begin); }, /*force=*/true);
}

void Session::end_sequence(const protocol::SequenceEnd& message) {
  const uint32_t seq = message.seq;
  const uint32_t sent = message.frames.value_or(0);
  const SequenceEnd end{seq, message.final};
  frames::DropCounts drops;
  bool detail = false, urgent = false;
  {
    std::lock_guard lock(assembler_mutex_);
    const frames::DropCounts before = assembler_.drops();
    if (!assembler_.end_sequence(seq)) {
      post_error("sequence_error", "sequence-end for sequence " + std::to_string(seq) + ", which is not open");
      return;
    }
    collect_drops(before);
    drops = assembler_.drops();
    detail = detail_;
    const double now = now_ms();
    urgent = now - last_urgent_ms_ >= kUrgentEveryMs;
    if (urgent) last_urgent_ms_ = now;
  }
  const uint32_t overloaded = overloaded_.exchange(0);
  auto stream = stream_;
  const WeakSession weak = weak_from_this();
  pending_results_.fetch_add(1);
  auto finish = [stream, weak, end, sent, drops, overloaded, detail](frames::WorkerContext& context) {
    FrameStream::Outcome outcome = stream->finish(end, sent, drops, overloaded, wall_ms(), detail, context);
    post_to_main([weak, outcome = std::move(outcome)] {
      Metrics::global().add("sequences.completed");
      auto session = weak.lock();
      if (!session) return;
      session->report_drops();  // every drop of the sequence is reported before its receipt
      session->send_json(outcome.receipt);
      if (outcome.result.is_object()) session->send_json(outcome.result);
      session->pending_results_.fetch_sub(1);
      if (session->draining_.load() && !session->busy()) {
        session->send_error("server_draining", "the server is restarting: your result was sent; reconnect to go on",
                            true);
      }
    });
  };
  // Urgent: the person now waits for the word, so this session's last frames go before other sessions'
  // frames, which have the rest of their sequences to catch up (WorkerPool) — within kUrgentEveryMs
  // and kUrgentBacklog.
  if (!urgent) {
    Metrics::global().add("sequences.not_urgent.rate");
    host_.workers().submit(key_, std::move(finish), /*force=*/true);
  } else if (!host_.workers().submit_urgent(key_, std::move(finish), kUrgentBacklog)) {
    Metrics::global().add("sequences.not_urgent.backlog");  // queued all the same, as an ordinary task
  }
}

void Session::expire(double now) {
  {
    std::lock_guard lock(assembler_mutex_);
    const frames::DropCounts before = assembler_.drops();
    if (assembler_.expire(now) > 0) collect_drops(before);
  }
  report_drops();
  const double idle_ms = now - last_activity_ms_.load(std::memory_order_relaxed);
  if (idle_ms > host_.config().idle_s * 1000.0 && pending_results_.load() == 0) {
    send_error("idle_timeout", "no message for " + std::to_string(host_.config().idle_s) +
                                   " s: the session is closed (the page pings every 5 s; reconnect to go on)",
               true);
  }
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

void Session::close(const std::string& reason, uint16_t code) {
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
  ws_->close(code, reason.substr(0, 100));  // no-op when the WebSocket is already closing or closed
  host_.session_closed(id_);  // may drop the last reference: nothing after this line
}

}  // namespace sueo::transport
