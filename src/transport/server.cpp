#include "transport/server.h"

#include <glib-unix.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "metrics.h"
#include "transport/http_guard.h"
#include "transport/lan.h"
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

int worker_count(const ServeConfig& config) {
  if (config.workers > 0) return config.workers;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 ? static_cast<int>(cores) : 2;
}

void respond_json(SoupServerMessage* message, int status, const nlohmann::json& body) {
  const std::string text = body.dump(2) + "\n";
  soup_server_message_set_status(message, status, nullptr);
  soup_message_headers_replace(soup_server_message_get_response_headers(message), "Cache-Control", "no-store");
  soup_server_message_set_response(message, "application/json", SOUP_MEMORY_COPY, text.data(), text.size());
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
  soup_server_add_websocket_handler(soup_.get(), "/ws", nullptr, nullptr, route_ws, this, nullptr);
  workers_ = std::make_unique<frames::WorkerPool>(worker_count(config_), static_cast<size_t>(config_.worker_queue));
  log_line("serve", "WebRTC warmed up in " + std::to_string(static_cast<int>(Peer::warm_up(config_))) + " ms");
  // Create the counters /healthz always shows, so a reader sees zeros rather than missing keys.
  for (size_t i = 0; i < frames::kDropReasonCount; ++i) {
    Metrics::global().counter("frames.dropped." + std::string(frames::to_string(static_cast<frames::DropReason>(i))));
  }
  for (const char* name : {"frames.received", "frames.decoded", "sessions.total", "sessions.closed", "chunks.received",
                           "sequences.started", "sequences.completed", "sequences.abandoned", "chunks.via_websocket",
                           "sessions.websocket_frames"}) {
    Metrics::global().counter(name);
  }
}

Server::~Server() {
  if (expire_timer_ != 0) g_source_remove(expire_timer_);
  auto sessions = sessions_;
  for (auto& [id, session] : sessions) session->close("server stopping");
  sessions_.clear();
  if (soup_) soup_server_disconnect(soup_.get());
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
  expire_timer_ = g_timeout_add(
      100, [](gpointer self) -> gboolean {
        static_cast<Server*>(self)->expire_frames();
        return G_SOURCE_CONTINUE;
      },
      this);
  g_main_loop_run(loop_);
  g_source_remove(sigint);
  g_source_remove(sigterm);
  g_main_loop_unref(loop_);
  loop_ = nullptr;
  std::printf("sueo: stopped\n");
  std::fflush(stdout);
  return 0;
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
  if (!sessions_.empty() && elapsed_ms < config_.drain_seconds * 1000.0) return;
  // The last close handshakes carry the pages' final messages: give them a moment.
  constexpr double kCloseGraceMs = 2000;
  if (sessions_.empty() && !closing_.empty() && elapsed_ms < config_.drain_seconds * 1000.0 + kCloseGraceMs) {
    return;
  }
  if (!sessions_.empty()) {
    log_line("serve", "drain time is up: closing " + std::to_string(sessions_.size()) + " sessions");
    auto sessions = sessions_;
    for (auto& [id, session] : sessions) {
      session->send_error("server_draining", "the server is restarting now: the sequence in progress is lost", true);
    }
  }
  log_line("serve", "drained in " + std::to_string(static_cast<int>(elapsed_ms)) + " ms");
  stop_loop();
}

void Server::stop_loop() {
  if (loop_ != nullptr) g_main_loop_quit(loop_);
}

void Server::expire_frames() {
  const double now = now_ms();
  for (auto& [id, session] : sessions_) session->expire(now);
  if (draining_) check_drain();
}

void Server::session_closed(const std::string& id) {
  if (sessions_.erase(id) > 0) Metrics::global().add("sessions.closed");
}

void Server::websocket_closing(SoupWebsocketConnection* ws) {
  if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_CLOSED || closing_.count(ws) > 0) return;
  auto on_closed = +[](SoupWebsocketConnection* socket, gpointer self) {
    // Not here: disconnecting inside the emission. On the next turn of the loop.
    post_to_main([server = static_cast<Server*>(self), socket] {
      server->closing_.erase(socket);
      if (server->draining_) server->check_drain();
    });
  };
  const gulong handler = g_signal_connect(ws, "closed", G_CALLBACK(on_closed), this);
  closing_.emplace(ws, Closing{GObjectPtr<SoupWebsocketConnection>(SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws))), handler});
}

Server::Closing::~Closing() {
  if (ws && handler != 0) g_signal_handler_disconnect(ws.get(), handler);
}

std::unique_ptr<FrameConsumer> Server::make_consumer(const ConsumerLink& link) {
  return consumer_factory_ ? consumer_factory_(link) : nullptr;
}

void Server::route_ws(SoupServer*, SoupServerMessage*, const char*, SoupWebsocketConnection* connection, gpointer self) {
  try {
    static_cast<Server*>(self)->on_websocket(connection);
  } catch (const std::exception& error) {
    Metrics::global().add("errors.internal");
    log_line("ws", std::string("cannot start a session: ") + error.what());
  }
}

void Server::on_websocket(SoupWebsocketConnection* connection) {
  Metrics::global().add("sessions.attempted");
  if (draining_ || static_cast<int>(sessions_.size()) >= config_.max_sessions) {
    const std::string code = draining_ ? "server_draining" : "server_busy";
    Metrics::global().add("errors." + code);
    const nlohmann::json busy = {{"type", "error"},
                                 {"code", code},
                                 {"message", draining_ ? "the server is restarting: try again in a moment"
                                                       : "the server is busy: " + std::to_string(config_.max_sessions) +
                                                             " sessions are open; try again later"},
                                 {"fatal", true}};
    soup_websocket_connection_send_text(connection, busy.dump().c_str());
    // Close once the error is on its way: closing in this callback can drop the queued message.
    g_timeout_add_full(G_PRIORITY_DEFAULT, 50, [](gpointer ws) -> gboolean {
          auto* socket = static_cast<SoupWebsocketConnection*>(ws);
          if (soup_websocket_connection_get_state(socket) == SOUP_WEBSOCKET_STATE_OPEN) {
            soup_websocket_connection_close(socket, 1013, "server busy");  // 1013: try again later
          }
          return G_SOURCE_REMOVE;
        }, g_object_ref(connection), g_object_unref);
    return;
  }
  const uint64_t key = next_session_++;
  gchar* uuid = g_uuid_string_random();
  const std::string id = std::string(uuid).substr(0, 8) + "-" + std::to_string(key);
  g_free(uuid);
  auto session = std::make_shared<Session>(id, key, *this, connection);
  sessions_[id] = session;
  Metrics::global().add("sessions.total");
  session->start();
}

void Server::route_http(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self) {
  auto* server = static_cast<Server*>(self);
  const std::string method = soup_server_message_get_method(message);
  const std::string route = path != nullptr ? path : "/";
  close_after_response(message);  // see http_guard.h: no keep-alive with libsoup 3.2
  try {
    if (method != "GET" && method != "HEAD") {
      soup_server_message_set_status(message, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
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
                {"model", model_info_},
                {"counters", counters}});
}

void Server::handle_ca(SoupServerMessage* message, const std::string& path) {
  serve_ca(message, path, config_.ca_file);
}

void Server::handle_static(SoupServerMessage* message, const std::string& path) {
  serve_static(message, path, config_.web_dir, config_.vendor_dir);
}

}  // namespace sueo::transport
