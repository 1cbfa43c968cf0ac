#include "stream_client.h"

#include <algorithm>
#include <cmath>
#include <regex>

#include "frames/chunk.h"
#include "transport/glib_util.h"

namespace sueo::loadgen {
namespace {

using transport::now_ms;
using Weak = std::weak_ptr<StreamClient>;

// web/sender.js and web/sequence.js.
constexpr uint64_t kHighWaterBytes = 1024 * 1024;
constexpr double kReceiptTimeoutMs = 15000;
constexpr int kPingsOnConnect = 8;
constexpr guint kPingIntervalMs = 5000;
// protocol.js chunkLimit(): min(pc.sctp.maxMessageSize, 65536, max_chunk_bytes). webrtcbin's answer
// carries no max-message-size, so a browser's pc.sctp.maxMessageSize is 65536 here too.
constexpr size_t kSctpMaxMessage = 65536;

gpointer hold_weak(const std::shared_ptr<StreamClient>& self) { return new Weak(self); }
void release_weak(gpointer data, GClosure*) { delete static_cast<Weak*>(data); }
std::shared_ptr<StreamClient> lock_weak(gpointer data) { return static_cast<Weak*>(data)->lock(); }

std::string first_mid(const std::string& sdp) {
  static const std::regex pattern(R"(a=mid:(\S+))");
  std::smatch match;
  return std::regex_search(sdp, match, pattern) ? match[1].str() : "0";
}

bool same_word(const nlohmann::json& result, const std::string& word) {
  auto it = result.find("word");
  return it != result.end() && it->is_string() && it->get<std::string>() == word;
}

double number(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : NAN;
}

}  // namespace

StreamClient::StreamClient(int index, StreamSettings settings, SoupSession* session)
    : index_(index), settings_(std::move(settings)), session_(session),
      next_seq_(static_cast<uint32_t>(index + 1) << 20) {}

StreamClient::~StreamClient() { close(); }

void StreamClient::close() {
  if (timer_ != 0) g_source_remove(timer_);
  if (ping_timer_ != 0) g_source_remove(ping_timer_);
  timer_ = ping_timer_ = 0;
  peer_.reset();
  if (ws_ != nullptr) {
    g_signal_handlers_disconnect_matched(ws_, G_SIGNAL_MATCH_DATA, 0, 0, nullptr, nullptr, nullptr);
    if (soup_websocket_connection_get_state(ws_) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_close(ws_, SOUP_WEBSOCKET_CLOSE_NORMAL, "load generator done");
    }
    g_object_unref(ws_);
    ws_ = nullptr;
  }
}

void StreamClient::fail(const std::string& why) {
  if (failure_.empty()) failure_ = why;
  if (awaiting_ || current_ || waiting_ || ending_) {
    if (!sequences_.empty()) sequences_.back().problems.push_back("session failed: " + why);
  }
  close();
  if (auto ready = std::exchange(on_ready_, nullptr)) ready(false);
  if (auto done = std::exchange(on_done_, nullptr)) done();
}

void StreamClient::connect(std::function<void(bool)> on_ready) {
  on_ready_ = std::move(on_ready);
  SoupMessage* message = soup_message_new("GET", settings_.ws_url.c_str());
  if (message == nullptr) {
    fail("not a URL: " + settings_.ws_url);
    return;
  }
  auto* weak = new Weak(weak_from_this());
  soup_session_websocket_connect_async(
      session_, message, settings_.origin.empty() ? nullptr : settings_.origin.c_str(), nullptr, G_PRIORITY_DEFAULT,
      nullptr,
      [](GObject* source, GAsyncResult* result, gpointer data) {
        std::unique_ptr<Weak> weak(static_cast<Weak*>(data));
        GError* raw = nullptr;
        SoupWebsocketConnection* ws = soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &raw);
        transport::GErrorPtr error(raw);
        auto self = weak->lock();
        if (!self) {
          if (ws != nullptr) g_object_unref(ws);
          return;
        }
        if (ws == nullptr) {
          self->fail(std::string("WebSocket: ") + (error ? error->message : "no connection"));
          return;
        }
        self->on_ws_connected(ws);
      },
      weak);
  g_object_unref(message);
}

void StreamClient::on_ws_connected(SoupWebsocketConnection* ws) {
  ws_ = ws;  // the reference connect_finish gave us
  soup_websocket_connection_set_max_incoming_payload_size(ws_, 16 << 20);
  const auto self = shared_from_this();
  g_signal_connect_data(
      ws_, "message",
      G_CALLBACK(+[](SoupWebsocketConnection*, gint type, GBytes* bytes, gpointer data) {
        auto client = lock_weak(data);
        if (!client || type != SOUP_WEBSOCKET_DATA_TEXT) return;
        gsize size = 0;
        const auto* text = static_cast<const char*>(g_bytes_get_data(bytes, &size));
        client->on_ws_text(std::string(text != nullptr ? text : "", size));
      }),
      hold_weak(self), release_weak, GConnectFlags(0));
  g_signal_connect_data(
      ws_, "closed",
      G_CALLBACK(+[](SoupWebsocketConnection* ws, gpointer data) {
        if (auto client = lock_weak(data)) {
          client->fail("the server closed /ws (code " + std::to_string(soup_websocket_connection_get_close_code(ws)) +
                       ")");
        }
      }),
      hold_weak(self), release_weak, GConnectFlags(0));
}

void StreamClient::send_ws(const nlohmann::json& message) {
  if (ws_ == nullptr || soup_websocket_connection_get_state(ws_) != SOUP_WEBSOCKET_STATE_OPEN) return;
  soup_websocket_connection_send_text(ws_, message.dump().c_str());
}

void StreamClient::on_ws_text(const std::string& text) {
  const auto message = nlohmann::json::parse(text, nullptr, false);
  if (!message.is_object() || !message.contains("type") || !message["type"].is_string()) return;
  const std::string type = message["type"];
  if (type == "welcome") {
    on_welcome(message);
  } else if (type == "pong") {
    on_pong(message);
  } else if (type == "answer" && peer_) {
    std::string error;
    if (!peer_->set_answer(message.value("sdp", ""), error)) fail(error);
  } else if (type == "candidate" && peer_) {
    const auto& init = message.value("candidate", nlohmann::json::object());
    const auto line = init.value("candidate", "");
    peer_->add_candidate(init.value("sdpMLineIndex", 0), line);
  } else if (type == "receipt" || type == "result") {
    on_sequence_message(message);
  } else if (type == "error") {
    const std::string code = message.value("code", "?");
    errors_[code] += 1;
    if (message.value("fatal", false)) fail("server error " + code + ": " + message.value("message", ""));
  }
}

void StreamClient::on_welcome(const nlohmann::json& message) {
  welcome_ = message;
  const auto config = message.value("config", nlohmann::json::object());
  const auto limit = config.value("max_chunk_bytes", static_cast<int64_t>(kSctpMaxMessage));
  chunk_bytes_ = std::min<size_t>(kSctpMaxMessage, static_cast<size_t>(std::max<int64_t>(limit, frames::kHeaderBytes + 1)));
  expect_result_ = message.value("model", nlohmann::json()).is_object();
  fps_ = settings_.fps > 0 ? settings_.fps : config.value("fps", 15.0);
  pings_left_ = kPingsOnConnect;
  ping();
  ping_timer_ = g_timeout_add_full(
      G_PRIORITY_DEFAULT, kPingIntervalMs,
      [](gpointer data) -> gboolean {
        if (auto client = lock_weak(data)) client->ping();
        return G_SOURCE_CONTINUE;
      },
      new Weak(weak_from_this()), [](gpointer data) { delete static_cast<Weak*>(data); });
  start_peer();
}

// The page sends the configured rate as it has it: an integer for 15.
nlohmann::json StreamClient::fps_json() const {
  return fps_ == std::floor(fps_) ? nlohmann::json(static_cast<int>(fps_)) : nlohmann::json(fps_);
}

void StreamClient::ping() { send_ws({{"type", "ping"}, {"t0", now_ms()}}); }

void StreamClient::on_pong(const nlohmann::json& message) {
  const double t3 = now_ms();
  const double t0 = number(message, "t0"), t1 = number(message, "t1"), t2 = number(message, "t2");
  if (std::isfinite(t0) && std::isfinite(t1) && std::isfinite(t2)) {
    const double delay = (t3 - t0) - (t2 - t1);
    if (delay < best_delay_) {
      best_delay_ = delay;
      best_offset_ = ((t1 - t0) + (t2 - t3)) / 2;
    }
  }
  // The burst on connect: one ping after each pong, so they never queue behind each other.
  if (pings_left_ > 1) {
    --pings_left_;
    ping();
  } else {
    pings_left_ = 0;
  }
}

void StreamClient::start_peer() {
  ClientPeerEvents events;
  const Weak weak = weak_from_this();
  events.on_offer = [weak](const std::string& sdp) {
    if (auto self = weak.lock()) {
      self->mid_ = first_mid(sdp);
      self->send_ws({{"type", "offer"}, {"sdp", sdp}});
    }
  };
  events.on_candidate = [weak](int mline, const std::string& candidate) {
    if (auto self = weak.lock()) {
      self->send_ws({{"type", "candidate"},
                     {"candidate", {{"candidate", candidate}, {"sdpMid", self->mid_}, {"sdpMLineIndex", mline}}}});
    }
  };
  events.on_open = [weak] {
    auto self = weak.lock();
    if (!self || self->open_) return;
    self->open_ = true;
    self->offer_to_open_ms_ = now_ms() - self->offer_ms_;
    if (auto ready = std::exchange(self->on_ready_, nullptr)) ready(true);
  };
  events.on_buffered_low = [weak] {
    if (auto self = weak.lock()) self->pump();
  };
  events.on_failure = [weak](const std::string& why) {
    if (auto self = weak.lock()) self->fail(why);
  };
  offer_ms_ = now_ms();
  try {
    peer_ = std::make_unique<ClientPeer>(settings_.peer, std::move(events));
  } catch (const std::exception& error) {
    fail(error.what());
  }
}

void StreamClient::schedule(double at_ms, void (StreamClient::*method)()) {
  if (timer_ != 0) g_source_remove(timer_);
  struct Task {
    Weak weak;
    void (StreamClient::*method)();
  };
  const double delay = std::max(0.0, std::ceil(at_ms - now_ms()));
  timer_ = g_timeout_add_full(
      G_PRIORITY_DEFAULT, static_cast<guint>(delay),
      [](gpointer data) -> gboolean {
        auto* task = static_cast<Task*>(data);
        if (auto self = task->weak.lock()) {
          self->timer_ = 0;
          (self.get()->*task->method)();
        }
        return G_SOURCE_REMOVE;
      },
      new Task{weak_from_this(), method}, [](gpointer data) { delete static_cast<Task*>(data); });
}

void StreamClient::run(double start_ms, double stop_ms, std::function<void()> on_done) {
  on_done_ = std::move(on_done);
  stop_ms_ = stop_ms;
  if (!failure_.empty()) {
    if (auto done = std::exchange(on_done_, nullptr)) done();
    return;
  }
  schedule(start_ms, &StreamClient::start_sequence);
}

void StreamClient::start_sequence() {
  const bool enough = settings_.max_sequences > 0 && static_cast<int>(sequences_.size()) >= settings_.max_sequences;
  if (enough || (stop_ms_ > 0 && now_ms() >= stop_ms_) || !failure_.empty()) {
    if (auto done = std::exchange(on_done_, nullptr)) done();
    return;
  }
  SequenceRecord record;
  record.seq = next_seq_++;
  record.planned = static_cast<int>(settings_.clip->jpegs.size()) * settings_.passes;
  record.last_chunk_ms.assign(static_cast<size_t>(record.planned), 0.0);
  sequences_.push_back(std::move(record));
  ticks_ = 0;
  current_.reset();
  waiting_.reset();
  ending_ = awaiting_ = false;
  sequence_start_ms_ = now_ms();
  tick();
}

// One tick of the page's capture timer: a new frame is ready (web/sequence.js takeFrame + submit).
void StreamClient::tick() {
  auto& record = sequences_.back();
  const double interval = 1000.0 / fps_;
  if (waiting_) ++record.skipped;  // the newer frame replaces one that never got a turn
  waiting_ = std::make_pair(ticks_ % static_cast<int>(settings_.clip->jpegs.size()), now_ms());
  ++ticks_;
  if (ticks_ >= record.planned) {
    ending_ = true;  // the last frame is taken: end now, not one interval later
  } else {
    schedule(sequence_start_ms_ + ticks_ * interval, &StreamClient::tick);
  }
  pump();
}

// web/sender.js pump(): send while the buffer allows; resumes on bufferedamountlow.
void StreamClient::pump() {
  if (sequences_.empty() || awaiting_ || !peer_) return;
  auto& record = sequences_.back();
  const double interval = 1000.0 / fps_;
  while (current_ || waiting_) {
    if (!current_) {
      const auto [clip_frame, ready_ms] = *waiting_;
      waiting_.reset();
      const double now = now_ms();
      if (now - ready_ms > interval || record.sent >= record.planned) {
        ++record.skipped;  // stale: it sat behind a full buffer for more than a frame interval
        continue;
      }
      if (record.t_start == 0) {
        record.t_start = now;  // T_start: the first frame follows on an ordered channel
        nlohmann::json start = {{"type", "sequence-start"}, {"seq", record.seq},       {"frames", record.planned},
                                {"fps", fps_json()}, {"width", settings_.clip->width},
                                {"height", settings_.clip->height}, {"t_start", now}};
        if (settings_.detail) start["detail"] = true;
        peer_->send_text(start.dump());
      }
      const auto& jpeg = settings_.clip->jpegs[static_cast<size_t>(clip_frame)];
      current_ = Frame{frames::make_chunks(record.seq, static_cast<uint32_t>(record.sent), ready_ms, jpeg, chunk_bytes_),
                       0, record.sent};
    }
    if (peer_->buffered_amount() > kHighWaterBytes) return;
    peer_->send_binary(std::move(current_->chunks[current_->next]));
    if (++current_->next == current_->chunks.size()) {
      record.t_last_sent = now_ms();
      record.last_chunk_ms[static_cast<size_t>(current_->index)] = record.t_last_sent;
      ++record.sent;
      current_.reset();
    }
  }
  if (ending_) finish_sending();
}

void StreamClient::finish_sending() {
  ending_ = false;
  auto& record = sequences_.back();
  if (record.t_start == 0) {
    record.problems.push_back("no frame could be sent");
    sequence_done();
    return;
  }
  peer_->send_text(nlohmann::json{{"type", "sequence-end"}, {"seq", record.seq}, {"frames", record.sent},
                                  {"t_last_sent", record.t_last_sent}}
                       .dump());
  record.t_end_sent = now_ms();
  awaiting_ = true;
  schedule(record.t_end_sent + 2 * kReceiptTimeoutMs, &StreamClient::sequence_done);
}

void StreamClient::on_sequence_message(const nlohmann::json& message) {
  if (!awaiting_ || sequences_.empty()) return;
  auto& record = sequences_.back();
  if (message.value("seq", static_cast<uint32_t>(0)) != record.seq) return;  // a late one: the check counts it missing
  if (message["type"] == "receipt") {
    record.receipt = message;
    record.t_receipt = now_ms();
  } else {
    record.result = message;
    record.t_result = now_ms();
  }
  if (!record.receipt.is_null() && (!expect_result_ || !record.result.is_null())) sequence_done();
}

void StreamClient::sequence_done() {
  awaiting_ = false;
  if (timer_ != 0) g_source_remove(timer_);
  timer_ = 0;
  check(sequences_.back());
  schedule(now_ms() + settings_.gap_ms, &StreamClient::start_sequence);
}

void StreamClient::check(SequenceRecord& r) const {
  auto& problems = r.problems;
  if (r.receipt.is_null()) {
    problems.push_back("no receipt");
  } else {
    const auto frames = r.receipt.value("frames", nlohmann::json::object());
    if (frames.value("expected", -1) != r.planned) problems.push_back("receipt: expected != planned");
    if (frames.value("received", -1) != r.sent) {
      problems.push_back("receipt: received " + std::to_string(frames.value("received", -1)) + " of " +
                         std::to_string(r.sent) + " sent");
    }
    if (frames.value("decoded", -1) != r.sent) problems.push_back("receipt: decoded != sent");
    const auto dropped = frames.value("dropped", nlohmann::json::object());
    for (const auto& [reason, count] : dropped.items()) {
      if (count.is_number() && count.get<int>() != 0) problems.push_back("receipt: dropped " + reason);
    }
  }
  if (!expect_result_) return;
  if (r.result.is_null()) {
    problems.push_back("no result");
    return;
  }
  const auto frames = r.result.value("frames", nlohmann::json::object());
  if (frames.value("dropped", 0) != 0) problems.push_back("result: frames dropped");
  r.correct_word = !settings_.clip->word.empty() && same_word(r.result, settings_.clip->word);
}

}  // namespace sueo::loadgen
