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
#include "transport/teach_api.h"

namespace sueo::transport {

class Server : public SessionHost {
 public:
  // Loads the certificate and prepares the routes; throws std::runtime_error with a clear message when
  // the certificate, the key or the web folder is unusable.
  explicit Server(ServeConfig config);
  ~Server() override;

  // Listens, prints the URLs, and runs the main loop until SIGINT/SIGTERM. Returns the exit code.
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

  // SessionHost
  const ServeConfig& config() const override { return config_; }
  frames::WorkerPool& workers() override { return *workers_; }
  void session_closed(const std::string& id) override;
  std::unique_ptr<FrameConsumer> make_consumer(const ConsumerLink& link) override;
  nlohmann::json model_info() const override { return model_info_source_ ? model_info_source_() : model_info_; }
  // The model can change while the server runs (hot swap): welcome and /healthz then ask this.
  void set_model_info_source(std::function<nlohmann::json()> source) { model_info_source_ = std::move(source); }

 private:
  void listen();
  void print_banner() const;
  void on_websocket(SoupWebsocketConnection* connection);
  void handle_static(SoupServerMessage* message, const std::string& path);
  void handle_healthz(SoupServerMessage* message);
  void handle_ca(SoupServerMessage* message, const std::string& path);
  void expire_frames();

  static void route_http(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self);
  static void route_ws(SoupServer*, SoupServerMessage*, const char*, SoupWebsocketConnection* connection,
                       gpointer self);

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
  TeachApi* teach_api_ = nullptr;
};

}  // namespace sueo::transport
