// `sueo serve`: the HTTPS server (page, /ws, /healthz, /ca), the sessions and the worker pool, all
// driven by the GLib main loop.
// Thread: main thread only (the one that calls run()).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <libsoup/soup.h>

#include "frames/worker_pool.h"
#include "transport/glib_util.h"
#include "transport/server_config.h"
#include "transport/session.h"
#include "transport/websocket.h"
#include "transport/teach_api.h"
#include "transport/upload_api.h"

namespace sueo::transport {

class Server : public SessionHost {
 public:
  // Loads the certificate and prepares the routes; throws std::runtime_error with a clear message when
  // the certificate, the key or the web folder is unusable.
  explicit Server(ServeConfig config);
  ~Server() override;

  // Listens, prints the URLs, and runs the main loop until SIGINT/SIGTERM. Returns the exit code.
  // The first signal drains: /healthz answers 503 "draining", new sessions are refused with
  // `server_draining`, sessions with a sequence in flight finish it (at most --drain-seconds), the
  // others are closed; then run() returns 0. A second signal stops at once.
  int run();

  // Where the server listens, after run() started listening (e.g. "https://127.0.0.1:8443/").
  const std::vector<std::string>& urls() const { return urls_; }

  // Recognition plugs in here: called once per session.
  using ConsumerFactory = std::function<std::unique_ptr<FrameConsumer>(const ConsumerLink&)>;
  void set_consumer_factory(ConsumerFactory factory, nlohmann::json model_info) {
    consumer_factory_ = std::move(factory);
    model_info_ = std::move(model_info);
  }

  // Teaching (docs/teach.md): its HTTP routes, and SIGHUP reloads the model. Not owned.
  void set_teach_api(TeachApi* api) { teach_api_ = api; }
  // Recorded videos (POST /api/recognize). Not owned; call before run().
  void set_upload_api(UploadApi* api);

  // SessionHost
  const ServeConfig& config() const override { return config_; }
  frames::WorkerPool& workers() override { return *workers_; }
  void session_closed(const std::string& id) override;
  FrameStream::ConsumerMaker consumer_maker(const ConsumerLink& link) override;
  nlohmann::json model_info() const override { return model_info_source_ ? model_info_source_() : model_info_; }
  // The model can change while the server runs (hot swap): welcome and /healthz then ask this.
  void set_model_info_source(std::function<nlohmann::json()> source) { model_info_source_ = std::move(source); }

 private:
  void listen();
  void print_banner() const;
  // GET /ws: the Origin check and the WebSocket handshake (libsoup's); the upgraded connection goes to
  // on_websocket once the 101 response is written.
  void handle_ws_upgrade(SoupServerMessage* message);
  void on_websocket(std::shared_ptr<WebSocket> ws, const std::string& address);
  // Answers a refused WebSocket with a fatal error `code` and closes it with 1013 (try again later).
  void refuse(const std::shared_ptr<WebSocket>& ws, const std::string& code, const std::string& message);
  void handle_static(SoupServerMessage* message, const std::string& path);
  void handle_healthz(SoupServerMessage* message);
  void handle_metrics(SoupServerMessage* message);
  void heartbeat();  // every 25 ms: how late the main loop runs (stalls delay every session)
  void handle_ca(SoupServerMessage* message, const std::string& path);
  void expire_frames();
  // SIGTERM/SIGINT: the first starts the drain, the second stops at once.
  void on_signal();
  void begin_drain();
  void check_drain();
  void stop_loop();

  static void route_http(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self);

  ServeConfig config_;
  GObjectPtr<SoupServer> soup_;
  std::unique_ptr<frames::WorkerPool> workers_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  ConsumerFactory consumer_factory_;
  nlohmann::json model_info_;  // null without a model
  std::function<nlohmann::json()> model_info_source_;
  std::vector<std::string> urls_;
  uint64_t next_session_ = 1;
  double started_ms_ = 0;
  guint expire_timer_ = 0;
  GMainLoop* loop_ = nullptr;
  bool draining_ = false;
  guint heartbeat_timer_ = 0;
  guint trim_timer_ = 0;             // a malloc_trim due after sessions closed
  int64_t heartbeat_due_us_ = 0;     // monotonic time the next heartbeat should run
  double max_loop_lag_s_ = 0;
  std::map<std::string, int> sessions_by_address_;
  double drain_started_ms_ = 0;
  TeachApi* teach_api_ = nullptr;
  UploadApi* upload_api_ = nullptr;
};

}  // namespace sueo::transport
