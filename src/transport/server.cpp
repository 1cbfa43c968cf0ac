#include "transport/server.h"

#include <glib-unix.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "metrics.h"
#include "transport/admission.h"
#include "transport/http_guard.h"
#include "transport/lan.h"
#include "transport/metrics_endpoint.h"
#include "transport/peer.h"
#include "transport/static_files.h"
#include "transport/turn_credentials.h"

namespace sueo::transport {
namespace {

GTlsCertificate* load_certificate(const ServeConfig& config) {
  GError* raw = nullptr;
  GTlsCertificate* certificate = g_tls_certificate_new_from_files(config.cert_file.c_str(), config.key_file.c_str(), &raw);
  GErrorPtr error(raw);
  if (certificate == nullptr) {
    throw std::runtime_error("cannot load the TLS certificate '" + config.cert_file + "' / key '" + config.key_file +
                             "': " + (error ? error->message : "unknown error") +
                             " (run scripts/make-certs.sh, or pass --cert and --key)");
  }
  return certificate;
}

constexpr guint kHeartbeatMs = 25;

int worker_count(const ServeConfig& config) {
  if (config.workers > 0) return config.workers;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 ? static_cast<int>(cores) : 2;
}

}  // namespace

nlohmann::json ServeConfig::ice_servers(const std::string& session) const {
  nlohmann::json servers = nlohmann::json::array();
  if (!stun_server.empty()) {
    std::string url = stun_server;
    if (url.rfind("stun://", 0) == 0) url = "stun:" + url.substr(7);
    servers.push_back({{"urls", url}});
  }
  for (const auto& turn : turn_servers) {
    // turn(s)://user:pass@host:port → {urls: "turn(s):host:port", username, credential}
    const auto scheme_end = turn.find("://");
    const auto at = turn.rfind('@');
    if (scheme_end == std::string::npos || at == std::string::npos || at < scheme_end) continue;
    const std::string scheme = turn.substr(0, scheme_end);
    const std::string credentials = turn.substr(scheme_end + 3, at - scheme_end - 3);
    const auto colon = credentials.find(':');
    servers.push_back({{"urls", scheme + ":" + turn.substr(at + 1)},
                       {"username", credentials.substr(0, colon)},
                       {"credential", colon == std::string::npos ? "" : credentials.substr(colon + 1)}});
  }
  if (!turn_secret.empty() && !turn_uris.empty()) {
    const auto now_s = static_cast<int64_t>(g_get_real_time() / G_USEC_PER_SEC);
    const TurnCredential issued = turn_rest_credential(turn_secret, session, now_s + turn_ttl_s);
    servers.push_back({{"urls", turn_uris}, {"username", issued.username}, {"credential", issued.credential}});
  }
  return servers;
}

Server::Server(ServeConfig config) : config_(std::move(config)) {
  if (!std::filesystem::exists(std::filesystem::path(config_.web_dir) / "index.html")) {
    throw std::runtime_error("no web/index.html under '" + config_.web_dir + "' (pass --web-dir)");
  }
  for (const auto& ip : config_.ice_addresses) {
    GInetAddress* parsed = g_inet_address_new_from_string(ip.c_str());
    if (parsed == nullptr) throw std::runtime_error("--ice-addresses: '" + ip + "' is not an IP address");
    g_object_unref(parsed);
  }
  GTlsCertificate* certificate = load_certificate(config_);
  soup_.reset(SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, "tls-certificate", certificate, "server-header", "sueo", nullptr)));
  g_object_unref(certificate);
  guard_http_connections(soup_.get(), static_cast<unsigned>(config_.http_timeout_s),
                         static_cast<unsigned>(config_.ws_timeout_s));
  soup_server_add_handler(soup_.get(), nullptr, route_http, this, nullptr);
  workers_ = std::make_unique<frames::WorkerPool>(worker_count(config_), static_cast<size_t>(config_.worker_queue));
  log_line("serve", "WebRTC warmed up in " + std::to_string(static_cast<int>(Peer::warm_up(config_))) + " ms");
  // Create the counters /healthz always shows, so a reader sees zeros rather than missing keys.
  for (size_t i = 0; i < frames::kDropReasonCount; ++i) {
    Metrics::global().counter("frames.dropped." + std::string(frames::to_string(static_cast<frames::DropReason>(i))));
  }
  for (const char* name : {"frames.received", "frames.decoded", "sessions.total", "sessions.closed", "chunks.received",
                           "sequences.started", "sequences.completed", "sequences.abandoned", "sessions.refused.server_busy",
                           "sessions.refused.server_draining", "sessions.refused.too_many_sessions",
                           "sessions.refused.forbidden_origin", "messages.refused.rate_limited", "chunks.via_websocket",
                           "sessions.websocket_frames", "sequences.not_urgent.rate", "sequences.not_urgent.backlog"}) {
    Metrics::global().counter(name);
  }
  for (const char* stage : {"decode", "queue_wait", "landmarks", "classifier", "after_last_frame"}) {
    Metrics::global().histogram(std::string("stage_seconds.") + stage);
  }
  Metrics::global().histogram("offer_to_open_seconds");
}

void Server::set_upload_api(UploadApi* api) {
  upload_api_ = api;
  api->attach(soup_.get());
}

Server::~Server() {
  if (expire_timer_ != 0) g_source_remove(expire_timer_);
  if (trim_timer_ != 0) g_source_remove(trim_timer_);
  auto sessions = sessions_;
  for (auto& [id, session] : sessions) session->close("server stopping");
  sessions_.clear();
  if (soup_) soup_server_disconnect(soup_.get());
  PeerReaper::instance().flush();  // every webrtcbin stopped before the process goes on to exit
  workers_.reset();  // drains and joins before the sessions' streams go
}

void Server::listen() {
  GError* raw = nullptr;
  gboolean ok = FALSE;
  const auto options = static_cast<SoupServerListenOptions>(SOUP_SERVER_LISTEN_HTTPS);
  if (config_.address.empty()) {
    ok = soup_server_listen_all(soup_.get(), static_cast<guint>(config_.port), options, &raw);
  } else {
    GSocketAddress* address = g_inet_socket_address_new_from_string(config_.address.c_str(), static_cast<guint>(config_.port));
    if (address == nullptr) throw std::runtime_error("--address '" + config_.address + "' is not an IP address");
    ok = soup_server_listen(soup_.get(), address, options, &raw);
    g_object_unref(address);
  }
  GErrorPtr error(raw);
  if (!ok) {
    throw std::runtime_error("cannot listen on " + (config_.address.empty() ? std::string("*") : config_.address) + ":" +
                             std::to_string(config_.port) + ": " + (error ? error->message : "unknown error"));
  }
  GSList* uris = soup_server_get_uris(soup_.get());
  for (GSList* item = uris; item != nullptr; item = item->next) {
    auto* uri = static_cast<GUri*>(item->data);
    gchar* text = g_uri_to_string(uri);
    urls_.emplace_back(text);
    g_free(text);
    g_uri_unref(uri);
  }
  g_slist_free(uris);
}

void Server::print_banner() const {
  int port = config_.port;
  if (!urls_.empty()) {
    GUri* uri = g_uri_parse(urls_.front().c_str(), G_URI_FLAGS_NONE, nullptr);
    if (uri != nullptr) {
      port = g_uri_get_port(uri);
      g_uri_unref(uri);
    }
  }
  std::vector<std::string> open;
  const bool all = config_.address.empty() || config_.address == "0.0.0.0" || config_.address == "::";
  if (all) {
    for (const auto& ip : lan_ipv4_addresses()) open.push_back("https://" + ip + ":" + std::to_string(port) + "/");
    open.push_back("https://localhost:" + std::to_string(port) + "/");
  } else {
    const bool v6 = config_.address.find(':') != std::string::npos;
    open.push_back("https://" + (v6 ? "[" + config_.address + "]" : config_.address) + ":" + std::to_string(port) + "/");
  }
  std::printf("sueo: listening on %s\n", open.front().c_str());
  for (size_t i = 1; i < open.size(); ++i) std::printf("      also on   %s\n", open[i].c_str());
  std::printf("      root CA for other devices: %sca\n", open.front().c_str());
  if (config_.show_qr && all && open.size() > 1) {
    std::printf("\nOpen on the iPad (same network) — iPad에서 열기:\n%s", terminal_qr(open.front()).c_str());
  }
  std::fflush(stdout);
}

int Server::run() {
  listen();
  started_ms_ = now_ms();
  print_banner();
  loop_ = g_main_loop_new(nullptr, FALSE);
  auto on_signal = [](gpointer self) -> gboolean {
    static_cast<Server*>(self)->on_signal();
    return G_SOURCE_CONTINUE;  // removed below, after the loop returns
  };
  const guint sigint = g_unix_signal_add(SIGINT, on_signal, this);
  const guint sigterm = g_unix_signal_add(SIGTERM, on_signal, this);
  const guint sighup = g_unix_signal_add(SIGHUP, [](gpointer self) -> gboolean {
        auto* server = static_cast<Server*>(self);
        if (server->teach_api_) server->teach_api_->reload_from_signal();
        return G_SOURCE_CONTINUE;
      }, this);
  expire_timer_ = g_timeout_add(
      100, [](gpointer self) -> gboolean {
        static_cast<Server*>(self)->expire_frames();
        return G_SOURCE_CONTINUE;
      },
      this);
  heartbeat_due_us_ = g_get_monotonic_time() + kHeartbeatMs * 1000;
  heartbeat_timer_ = g_timeout_add(kHeartbeatMs, [](gpointer self) -> gboolean {
    static_cast<Server*>(self)->heartbeat();
    return G_SOURCE_CONTINUE;
  }, this);
  g_main_loop_run(loop_);
  g_source_remove(heartbeat_timer_);
  heartbeat_timer_ = 0;
  g_source_remove(sigint);
  g_source_remove(sigterm);
  g_source_remove(sighup);
  g_main_loop_unref(loop_);
  loop_ = nullptr;
  std::printf("sueo: stopped\n");
  std::fflush(stdout);
  return 0;
}

void Server::heartbeat() {
  static Histogram& lag = Metrics::global().histogram("main_loop_lag_seconds");
  const int64_t now = g_get_monotonic_time();
  const double late_s = std::max<int64_t>(0, now - heartbeat_due_us_) / 1e6;
  lag.observe(late_s);
  max_loop_lag_s_ = std::max(max_loop_lag_s_, late_s);
  heartbeat_due_us_ = now + kHeartbeatMs * 1000;
}

void Server::on_signal() {
  if (draining_) {
    log_line("serve", "second signal: stopping now, " + std::to_string(sessions_.size()) + " sessions still open");
    stop_loop();
    return;
  }
  begin_drain();
}

void Server::begin_drain() {
  draining_ = true;
  drain_started_ms_ = now_ms();
  if (upload_api_ != nullptr) upload_api_->drain();  // new uploads refused; those in hand finish
  size_t busy = 0;
  auto sessions = sessions_;  // drain() may close a session, which erases it from sessions_
  for (auto& [id, session] : sessions) {
    if (session->busy()) ++busy;
    session->drain();
  }
  log_line("serve", "draining: " + std::to_string(busy) + " sessions finishing a sequence, up to " +
                        std::to_string(config_.drain_seconds) + " s (a second signal stops at once)");
  check_drain();
}

void Server::check_drain() {
  const double elapsed_ms = now_ms() - drain_started_ms_;
  const bool uploads = upload_api_ != nullptr && upload_api_->busy();  // received, stored or recognised
  if ((!sessions_.empty() || uploads) && elapsed_ms < config_.drain_seconds * 1000.0) return;
  // The last close handshakes carry the pages' final messages: give them a moment.
  constexpr double kCloseGraceMs = 2000;
  if (sessions_.empty() && WebSocket::open_count() > 0 && elapsed_ms < config_.drain_seconds * 1000.0 + kCloseGraceMs) {
    return;
  }
  if (!sessions_.empty()) {
    log_line("serve", "drain time is up: closing " + std::to_string(sessions_.size()) + " sessions");
    auto sessions = sessions_;
    for (auto& [id, session] : sessions) {
      session->send_error("server_draining", "the server is restarting now: the sequence in progress is lost", true);
    }
  }
  if (uploads) log_line("serve", "drain time is up: the uploads still being received or recognised are dropped");
  log_line("serve", "drained in " + std::to_string(static_cast<int>(elapsed_ms)) + " ms");
  stop_loop();
}

void Server::stop_loop() {
  if (loop_ != nullptr) g_main_loop_quit(loop_);
}

void Server::expire_frames() {
  const double now = now_ms();
  auto sessions = sessions_;  // expire() may close a session, which erases it from sessions_
  for (auto& [id, session] : sessions) session->expire(now);
  if (draining_) check_drain();
}

void Server::session_closed(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  const auto address = sessions_by_address_.find(it->second->address());
  if (address != sessions_by_address_.end() && --address->second <= 0) sessions_by_address_.erase(address);
  Metrics::global().add("sessions.closed");
  // Memory back to the system once the session's last references (worker tasks) are gone too; one
  // trim for a burst of closes.
  if (trim_timer_ == 0) {
    trim_timer_ = g_timeout_add_seconds(2, [](gpointer self) -> gboolean {
      static_cast<Server*>(self)->trim_timer_ = 0;
      PeerReaper::instance().trim_memory();
      return G_SOURCE_REMOVE;
    }, this);
  }
  sessions_.erase(it);  // may destroy the session, whose close() called this: nothing after this line
}

FrameStream::ConsumerMaker Server::consumer_maker(const ConsumerLink& link) {
  if (!consumer_factory_) return nullptr;
  return [factory = consumer_factory_, link] { return factory(link); };  // a copy: runs on a worker
}

void Server::handle_ws_upgrade(SoupServerMessage* message) {
  auto* request = soup_server_message_get_request_headers(message);
  const char* origin = soup_message_headers_get_one(request, "Origin");
  const char* host = soup_message_headers_get_one(request, "Host");
  if (!origin_allowed(origin ? origin : "", host ? host : "", config_.allowed_origins)) {
    // Refused before the upgrade: a page of another site gets nothing it can read.
    Metrics::global().add("errors.forbidden_origin");
    Metrics::global().add("sessions.refused.forbidden_origin");
    log_line("ws", std::string("refused a WebSocket from origin ") + origin);
    static const std::string body = "403: this server accepts WebSockets from its own pages only (--allowed-origins)\n";
    soup_server_message_set_status(message, SOUP_STATUS_FORBIDDEN, nullptr);
    soup_server_message_set_response(message, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, body.data(), body.size());
    return;
  }
  // The upgrade answer carries "Connection: Upgrade", not route_http's "close".
  soup_message_headers_remove(soup_server_message_get_response_headers(message), "Connection");
  if (!soup_websocket_server_process_handshake(message, nullptr, nullptr, nullptr, nullptr)) {
    close_after_response(message);  // libsoup set 400 and said why
    Metrics::global().add("errors.bad_upgrade");
    return;
  }
  const char* forwarded = soup_message_headers_get_one(request, "X-Forwarded-For");
  const char* peer = soup_server_message_get_remote_host(message);
  struct Upgrade {
    Server* server;
    std::string address;
  };
  auto* upgrade = new Upgrade{this, client_address(peer ? peer : "", forwarded ? forwarded : "", config_.trusted_proxies)};
  g_signal_connect_data(
      message, "wrote-informational",
      G_CALLBACK(+[](SoupServerMessage* upgraded, gpointer data) {
        auto* context = static_cast<Upgrade*>(data);
        GIOStream* stream = soup_server_message_steal_connection(upgraded);
        if (stream == nullptr) return;
        WebSocketLimits limits;
        // Binary messages are frame chunks (the WebSocket fallback) up to max_chunk_bytes; the session
        // holds text messages to ws_max_message itself.
        limits.max_message = static_cast<uint64_t>(
            std::max<int64_t>(context->server->config_.ws_max_message, context->server->config_.max_chunk_bytes));
        limits.max_queued_bytes = static_cast<size_t>(context->server->config_.ws_max_queued_bytes);
        auto ws = WebSocket::create(stream, limits);
        g_object_unref(stream);
        try {
          context->server->on_websocket(std::move(ws), context->address);
        } catch (const std::exception& error) {
          Metrics::global().add("errors.internal");
          log_line("ws", std::string("cannot start a session: ") + error.what());
        }
      }),
      upgrade, [](gpointer data, GClosure*) { delete static_cast<Upgrade*>(data); }, GConnectFlags(0));
}

void Server::refuse(const std::shared_ptr<WebSocket>& ws, const std::string& code, const std::string& message) {
  Metrics::global().add("errors." + code);
  Metrics::global().add("sessions.refused." + code);
  const nlohmann::json error = {{"type", "error"}, {"code", code}, {"message", message}, {"fatal", true}};
  ws->send_text(error.dump());
  ws->close(ws::kCloseTryAgainLater, code);  // 1013: the client may come back later (or elsewhere)
}

void Server::on_websocket(std::shared_ptr<WebSocket> ws, const std::string& address) {
  Metrics::global().add("sessions.attempted");
  if (draining_) {
    refuse(ws, "server_draining", "the server is restarting: try again in a moment");
    return;
  }
  if (static_cast<int>(sessions_.size()) >= config_.max_sessions) {
    refuse(ws, "server_busy", "the server is busy: " + std::to_string(config_.max_sessions) +
                                  " sessions are open; try again later");
    return;
  }
  if (config_.max_sessions_per_address > 0 && sessions_by_address_[address] >= config_.max_sessions_per_address) {
    refuse(ws, "too_many_sessions", std::to_string(config_.max_sessions_per_address) +
                                        " sessions are open from your address; close one first");
    return;
  }
  const uint64_t key = next_session_++;
  gchar* uuid = g_uuid_string_random();
  const std::string id = std::string(uuid).substr(0, 8) + "-" + std::to_string(key);
  g_free(uuid);
  auto session = std::make_shared<Session>(id, key, *this, std::move(ws), address);
  sessions_[id] = session;
  ++sessions_by_address_[address];
  Metrics::global().add("sessions.total");
  session->start();
}

void Server::route_http(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self) {
  auto* server = static_cast<Server*>(self);
  const std::string method = soup_server_message_get_method(message);
  const std::string route = path != nullptr ? path : "/";
  close_after_response(message);  // see http_guard.h: no keep-alive with libsoup 3.2
  try {
    if (server->teach_api_ && server->teach_api_->handle(message, route, method)) return;
    if (method != "GET" && method != "HEAD") {
      soup_server_message_set_status(message, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    } else if (route == "/ws") {
      server->handle_ws_upgrade(message);
    } else if (route == "/metrics") {
      server->handle_metrics(message);
    } else if (route == "/healthz") {
      server->handle_healthz(message);
    } else if (route == "/ca" || route.rfind("/ca/", 0) == 0) {
      server->handle_ca(message, route);
    } else {
      server->handle_static(message, route);
    }
  } catch (const std::exception& error) {
    Metrics::global().add("errors.internal");
    log_line("http", route + ": " + error.what());
    soup_server_message_set_status(message, SOUP_STATUS_INTERNAL_SERVER_ERROR, nullptr);
  }
}

void Server::handle_healthz(SoupServerMessage* message) {
  nlohmann::json frames = {{"received", 0}, {"decoded", 0}, {"dropped", nlohmann::json::object()}};
  nlohmann::json errors = nlohmann::json::object();
  nlohmann::json counters = nlohmann::json::object();
  for (const auto& [name, value] : Metrics::global().snapshot()) {
    counters[name] = value;
    if (name.rfind("errors.", 0) == 0) errors[name.substr(7)] = value;
    if (name.rfind("frames.dropped.", 0) == 0) frames["dropped"][name.substr(15)] = value;
  }
  frames["received"] = Metrics::global().get("frames.received");
  frames["decoded"] = Metrics::global().get("frames.decoded");
  // Draining: 503 tells a load balancer to send no new client here; the body says why.
  respond_json(message, draining_ ? SOUP_STATUS_SERVICE_UNAVAILABLE : SOUP_STATUS_OK,
               {{"status", draining_ ? "draining" : "ok"},
                {"uptime_s", (now_ms() - started_ms_) / 1000.0},
                {"sessions", {{"active", sessions_.size()}, {"max", config_.max_sessions}, {"total", Metrics::global().get("sessions.total")}}},
                {"frames", frames},
                {"errors", errors},
                {"workers", {{"threads", workers_->size()}, {"queued", workers_->queued()}}},
                {"main_loop", {{"max_lag_ms", max_loop_lag_s_ * 1000.0}}},
                {"model", model_info()},
                {"counters", counters}},
               2);
}

void Server::handle_metrics(SoupServerMessage* message) {
  std::vector<GaugeValue> gauges = {
      {"sueo_sessions", "Sessions open", {}, static_cast<double>(sessions_.size())},
      {"sueo_sessions_max", "Sessions allowed at once (--max-sessions)", {}, static_cast<double>(config_.max_sessions)},
      {"sueo_websockets", "WebSockets open or closing (sessions and refusals)", {}, static_cast<double>(WebSocket::open_count())},
      {"sueo_worker_threads", "CPU worker threads", {}, static_cast<double>(workers_->size())},
      {"sueo_worker_queue_depth", "Tasks (mostly frames) waiting for a worker, all sessions", {}, static_cast<double>(workers_->queued())},
      {"sueo_draining", "1 while the server drains after SIGTERM/SIGINT", {}, draining_ ? 1.0 : 0.0},
      {"sueo_main_loop_lag_max_seconds", "The longest main loop stall seen since start", {}, max_loop_lag_s_},
  };
  const nlohmann::json model = model_info();
  if (model.is_object()) {
    const auto labels = model.find("labels");
    const std::size_t label_count =
        labels == model.end()              ? 0
        : labels->is_array()               ? labels->size()
        : labels->is_number_unsigned()     ? labels->get<std::size_t>()
                                           : 0;
    gauges.push_back({"sueo_model_info", "The sign model the server runs (value 1; labels name it)",
                      {{"name", model.value("name", "")}, {"labels", std::to_string(label_count)}},
                      1});
  }
  const std::string text = prometheus_text(Metrics::global().snapshot(), Metrics::global().histograms(), gauges);
  soup_server_message_set_status(message, SOUP_STATUS_OK, nullptr);
  soup_message_headers_replace(soup_server_message_get_response_headers(message), "Cache-Control", "no-store");
  soup_server_message_set_response(message, "text/plain; version=0.0.4; charset=utf-8", SOUP_MEMORY_COPY, text.data(),
                                   text.size());
}

void Server::handle_ca(SoupServerMessage* message, const std::string& path) {
  serve_ca(message, path, config_.ca_file);
}

void Server::handle_static(SoupServerMessage* message, const std::string& path) {
  serve_static(message, path, config_.web_dir, config_.vendor_dir);
}

}  // namespace sueo::transport
