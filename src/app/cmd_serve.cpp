// `sueo serve`: every setting of the server in one option table (flag, environment variable,
// default, help), then the server's main loop.
#include <gst/gst.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "app/commands.h"
#include "app/sign_options.h"
#include "app/landmark_options.h"
#include "config.h"
#include "pipeline/model_holder.h"
#include "pipeline/recognizer.h"
#include "store/teacher.h"
#include "store/vocab_store.h"
#include "transport/server.h"
#include "transport/teach_api.h"
#include "transport/upload_api.h"

namespace sueo::app {
namespace {

struct ModelOptions {
  std::string models_dir;  // landmark models (.tflite from models/fetch.sh)
  std::string model;       // the sign classifier (ONNX, docs/model.md); empty: no recognition
  int landmark_every = 1;  // landmarks on every N-th frame
  double shed_after_ms = 100;  // an overloaded worker thins streams (Recognizer)
  landmarks::HolisticOptions landmarks;
  SpotterSettings spotter;
  DecisionSettings decision;
  // Teaching (docs/teach.md).
  std::string store;
  std::string teach_token;
  transport::UploadConfig upload;  // recorded videos (POST /api/recognize)
};

std::vector<Option> serve_options(transport::ServeConfig& c, ModelOptions& m, const std::string& home) {
  const std::string certs = (std::filesystem::path(home) / "certs").string();
  auto turn = [&c](std::string_view text) { c.turn_servers = split_list(text); };
  auto ice_addresses = [&c](std::string_view text) { c.ice_addresses = split_list(text); };
  auto turn_uris = [&c](std::string_view text) { c.turn_uris = split_list(text); };
  auto turn_secret_file = [&c](std::string_view path) {
    if (path.empty()) return;
    std::ifstream file{std::string(path)};
    if (!file) throw ConfigError("--turn-secret-file: cannot read '" + std::string(path) + "'");
    std::getline(file, c.turn_secret);  // the first line; a trailing newline is not part of it
  };
  std::vector<Option> table = {
      {"--model", "SUEO_MODEL", home + "/models/sueo-ksl.onnx", "sign classifier (ONNX, docs/model.md) loaded once at start; empty: transport only, no recognition", set_string(m.model)},
      {"--models-dir", "SUEO_MODELS_DIR", home + "/models", "folder of the MediaPipe landmark models (models/fetch.sh)", set_string(m.models_dir)},
      {"--store", "SUEO_STORE", store::default_store_path(), "taught words (SQLite, created when the first word is taught)", set_string(m.store)},
      {"--teach-token", "SUEO_TEACH_TOKEN", "", "token that allows teaching, renaming and deleting words and swapping the model; empty: a random one, printed at start", set_string(m.teach_token)},
      {"--landmark-every", "SUEO_LANDMARK_EVERY", "1", "run the landmarks on every N-th frame of a sequence: 2 (7.5 a second) halves a stream's CPU and keeps the words of clips cut to one sign (src/landmarks/HOLISTIC.md), but the spotter then misses short signs in real streams (docs/spotting.md: held-out windows 17/18 -> 15/18, chained recall 0.944 -> 0.861)", set_int(m.landmark_every, 1, 10, "--landmark-every")},
      {"--shed-after-ms", "SUEO_SHED_AFTER_MS", "100", "overload: a frame that waited longer than this for a worker is not landmarked (at most every second frame), so an overloaded server thins its streams instead of falling behind and dropping frames (0: never; README \"What one core carries\")", set_double(m.shed_after_ms, 0, 10000, "--shed-after-ms")},
      {"--address", "SUEO_ADDRESS", "", "IP address to listen on; empty: every interface (IPv4 and IPv6)", set_string(c.address)},
      {"--port", "SUEO_PORT", "8443", "HTTPS port; 0 picks a free one", set_int(c.port, 0, 65535, "--port")},
      {"--cert", "SUEO_CERT", certs + "/cert.pem", "TLS certificate (PEM), made by scripts/make-certs.sh", set_string(c.cert_file)},
      {"--key", "SUEO_KEY", certs + "/key.pem", "TLS private key (PEM)", set_string(c.key_file)},
      {"--ca-cert", "SUEO_CA_CERT", certs + "/rootCA.pem", "mkcert root CA certificate served at /ca (public part only)", set_string(c.ca_file)},
      {"--web-dir", "SUEO_WEB_DIR", home + "/web", "folder of the page served at /", set_string(c.web_dir)},
      {"--vendor-dir", "SUEO_VENDOR_DIR", home + "/node_modules", "node_modules holding webrtc-adapter and simple-peer", set_string(c.vendor_dir)},
      {"--qr", "SUEO_QR", "1", "print the LAN URL as a QR code at start", set_bool(c.show_qr, "--qr")},
      {"--stun-server", "SUEO_STUN_SERVER", "", "STUN server, stun://host:port; none by default (LAN only)", set_string(c.stun_server)},
      {"--turn-servers", "SUEO_TURN_SERVERS", "", "comma-separated TURN servers, turn(s)://user:pass@host:port", turn},
      {"--turn-uris", "SUEO_TURN_URIS", "", "comma-separated TURN URIs handed to every page with its own time-limited credentials (TURN REST), e.g. turn:turn.example.org:3478,turns:turn.example.org:443?transport=tcp", turn_uris},
      {"--turn-secret", "SUEO_TURN_SECRET", "", "shared secret of the TURN server (coturn static-auth-secret) for --turn-uris; prefer the variable or --turn-secret-file (a flag shows in ps)", set_string(c.turn_secret)},
      {"--turn-secret-file", "SUEO_TURN_SECRET_FILE", "", "file whose first line is the TURN shared secret", turn_secret_file},
      {"--turn-ttl", "SUEO_TURN_TTL", "86400", "seconds a page's TURN credentials stay valid (cover the longest session: a relay is refreshed with them)", set_int(c.turn_ttl_s, 60, 30 * 86400, "--turn-ttl")},
      {"--ice-port-min", "SUEO_ICE_PORT_MIN", "0", "lowest UDP port for ICE (0: any)", set_int(c.ice_port_min, 0, 65535, "--ice-port-min")},
      {"--ice-port-max", "SUEO_ICE_PORT_MAX", "0", "highest UDP port for ICE (0: any)", set_int(c.ice_port_max, 0, 65535, "--ice-port-max")},
      {"--ice-addresses", "SUEO_ICE_ADDRESSES", "", "comma-separated IP addresses ICE offers host candidates on; empty: every interface but loopback", ice_addresses},
      {"--ice-loopback", "SUEO_ICE_LOOPBACK", "0", "also offer loopback ICE candidates (127.0.0.1, ::1): pages on this machine, hosts with only 'lo' (tests, containers); browsers use them only when allowed (Chromium: --allow-loopback-in-peer-connection)", set_bool(c.ice_loopback, "--ice-loopback")},
      {"--max-sessions", "SUEO_MAX_SESSIONS", "8", "sessions at once; more get 'server busy'", set_int(c.max_sessions, 1, 1000, "--max-sessions")},
      {"--ws-max-message", "SUEO_WS_MAX_MESSAGE", "65536", "largest /ws message in bytes", set_int(c.ws_max_message, 1024, 16 << 20, "--ws-max-message")},
      {"--max-frame-bytes", "SUEO_MAX_FRAME_BYTES", "2097152", "largest JPEG frame in bytes", set_int(c.max_frame_bytes, 1024, 64 << 20, "--max-frame-bytes")},
      {"--max-sequence-frames", "SUEO_MAX_SEQUENCE_FRAMES", "600", "most frames in one sequence", set_int(c.max_sequence_frames, 1, 100000, "--max-sequence-frames")},
      {"--frame-timeout-ms", "SUEO_FRAME_TIMEOUT_MS", "5000", "a frame still incomplete this long after its first chunk is dropped (the channel is reliable: this only bounds what a broken sender can hold)", set_double(c.frame_timeout_ms, 10, 600000, "--frame-timeout-ms")},
      {"--workers", "SUEO_WORKERS", "0", "CPU worker threads (JPEG decode, landmarks, classifier); 0: one per core", set_int(c.workers, 0, 256, "--workers")},
      {"--worker-queue", "SUEO_WORKER_QUEUE", "512", "frames of one session waiting for a worker before more are dropped as 'overloaded'", set_int(c.worker_queue, 1, 1000000, "--worker-queue")},
      {"--http-timeout-seconds", "SUEO_HTTP_TIMEOUT_SECONDS", "10", "a connection must finish TLS and send its request headers within this; any HTTP socket wait is bounded by it too", set_int(c.http_timeout_s, 1, 3600, "--http-timeout-seconds")},
      {"--ws-timeout-seconds", "SUEO_WS_TIMEOUT_SECONDS", "60", "a /ws socket that moves no byte in or out for this long is closed (the server pings every 20 s, so a live client answers)", set_int(c.ws_timeout_s, 21, 3600, "--ws-timeout-seconds")},
      {"--drain-seconds", "SUEO_DRAIN_SECONDS", "30", "on SIGTERM/SIGINT, how long sequences in flight may take to finish before the server exits (a second signal exits at once; give Kubernetes a longer terminationGracePeriodSeconds)", set_int(c.drain_seconds, 0, 3600, "--drain-seconds")},
      {"--idle-seconds", "SUEO_IDLE_SECONDS", "30", "a session that sends no valid message (/ws: offer, candidate, ping, options; or DataChannel traffic) for this long is closed with idle_timeout (the page pings every 5 s)", set_int(c.idle_s, 5, 3600, "--idle-seconds")},
      {"--max-messages-per-second", "SUEO_MAX_MESSAGES_PER_SECOND", "50", "client messages per session and second (/ws and DataChannel text; bursts of twice that); more are dropped unanswered, and a session that keeps it up is closed", set_int(c.max_messages_per_second, 1, 100000, "--max-messages-per-second")},
      {"--max-sessions-per-address", "SUEO_MAX_SESSIONS_PER_ADDRESS", "4", "sessions at once from one client address (0: no limit); behind a proxy see --trusted-proxies", set_int(c.max_sessions_per_address, 0, 1000, "--max-sessions-per-address")},
      {"--allowed-origins", "SUEO_ALLOWED_ORIGINS", "", "comma-separated origins whose pages may open /ws (https://host:port); empty: the server's own origin only; * allows any", [&c](std::string_view text) { c.allowed_origins = split_list(text); }},
      {"--trusted-proxies", "SUEO_TRUSTED_PROXIES", "", "comma-separated proxy IP addresses whose X-Forwarded-For names the client (per-address limit)", [&c](std::string_view text) { c.trusted_proxies = split_list(text); }},
      {"--ws-max-queued-bytes", "SUEO_WS_MAX_QUEUED_BYTES", "1048576", "unsent /ws bytes for one client before it counts as not reading and is disconnected", set_int(c.ws_max_queued_bytes, 64 << 10, 256 << 20, "--ws-max-queued-bytes")},
      {"--worker-queue-bytes", "SUEO_WORKER_QUEUE_BYTES", "33554432", "JPEG bytes of one session waiting for a worker before more frames are dropped as 'overloaded'", set_int(c.worker_queue_bytes, 1 << 20, int64_t{16} << 30, "--worker-queue-bytes")},
      {"--max-frame-pixels", "SUEO_MAX_FRAME_PIXELS", "2073600", "largest frame in pixels (width × height; 1920 × 1080 by default); larger ones are dropped as bad_jpeg", set_int(c.max_frame_pixels, 4096, 4096LL * 4096, "--max-frame-pixels")},
      {"--fps", "SUEO_FPS", "15", "frames per second the page captures", set_int(c.fps, 1, 60, "--fps")},
      {"--width", "SUEO_WIDTH", "640", "frame width the page sends", set_int(c.width, 64, 3840, "--width")},
      {"--height", "SUEO_HEIGHT", "480", "frame height the page sends", set_int(c.height, 64, 2160, "--height")},
      {"--jpeg-quality", "SUEO_JPEG_QUALITY", "0.7", "JPEG quality the page uses (0–1)", set_double(c.jpeg_quality, 0.05, 1.0, "--jpeg-quality")},
      {"--sequence-seconds", "SUEO_SEQUENCE_SECONDS", "10", "length of one recognition sequence in seconds", set_double(c.sequence_seconds, 0.2, 60, "--sequence-seconds")},
      {"--datachannel-timeout-ms", "SUEO_DATACHANNEL_TIMEOUT_MS", "5000", "the page sends its frames over the WebSocket (the fallback) when its DataChannel is not open this long after the offer", set_int(c.datachannel_timeout_ms, 100, 120000, "--datachannel-timeout-ms")},
      {"--max-chunk-bytes", "SUEO_MAX_CHUNK_BYTES", "65536", "largest frame chunk the page sends, over the DataChannel or /ws (header included)", set_int(c.max_chunk_bytes, 1024, 65536, "--max-chunk-bytes")},
  };
  auto upload_mb = [&m](std::string_view text) {
    int mb = 0;
    set_int(mb, 1, 4096, "--upload-max-mb")(text);
    m.upload.max_bytes = int64_t{mb} << 20;
  };
  const std::vector<Option> upload = {
      {"--upload-max-mb", "SUEO_UPLOAD_MAX_MB", "200", "largest recorded video the page may upload for recognition (POST /api/recognize), in MB", upload_mb},
      {"--upload-max-seconds", "SUEO_UPLOAD_MAX_SECONDS", "120", "longest uploaded video, in seconds", set_double(m.upload.max_seconds, 1, 3600, "--upload-max-seconds")},
      {"--upload-jobs", "SUEO_UPLOAD_JOBS", "1", "uploaded videos recognised at once (each runs `sueo spot` in a child process); more get server_busy", set_int(m.upload.jobs, 1, 64, "--upload-jobs")},
      {"--upload-timeout-seconds", "SUEO_UPLOAD_TIMEOUT_SECONDS", "300", "an upload still being recognised after this is stopped (timeout)", set_int(m.upload.timeout_s, 5, 86400, "--upload-timeout-seconds")},
  };
  table.insert(table.end(), upload.begin(), upload.end());
  for (auto& row : landmark_option_rows(m.landmarks)) table.push_back(std::move(row));
  return with_options(with_options(table, spotter_options(m.spotter)), decision_options(m.decision));
}

// TURN REST needs both the URIs and the secret; each URI must be a TURN URI (RFC 7065).
void check_turn(const transport::ServeConfig& config) {
  if (config.turn_uris.empty() != config.turn_secret.empty()) {
    throw ConfigError("--turn-uris and --turn-secret (or --turn-secret-file) go together");
  }
  for (const auto& uri : config.turn_uris) {
    if (uri.rfind("turn:", 0) != 0 && uri.rfind("turns:", 0) != 0) {
      throw ConfigError("--turn-uris: '" + uri + "' is not a turn: or turns: URI");
    }
  }
}

// The arguments of `sueo serve` that `sueo spot` shares (model, store, landmark and sign settings), so
// an uploaded video is read with the server's own settings. Variables (SUEO_*) reach the child anyway.
std::vector<std::string> spot_arguments(const std::vector<std::string>& args) {
  SpotterSettings spotter;
  DecisionSettings decision;
  landmarks::HolisticOptions landmarks;
  std::map<std::string, bool> shared = {{"--model", false}, {"--models-dir", false}, {"--store", false}};
  for (const auto& rows : {spotter_options(spotter), decision_options(decision), landmark_option_rows(landmarks)}) {
    for (const auto& row : rows) shared[row.flag] = row.is_switch;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto eq = args[i].find('=');
    const auto row = shared.find(args[i].substr(0, eq));
    if (row == shared.end()) continue;
    out.push_back(args[i]);
    if (eq == std::string::npos && !row->second && i + 1 < args.size()) out.push_back(args[++i]);
  }
  return out;
}

// Loads the models once and warms them up (before anything else starts, so a model that does not meet
// the contract stops the server at once). Null without --model.
std::shared_ptr<const RecognitionModels> load_models(const ModelOptions& options) {
  if (options.model.empty()) {
    std::printf("sueo: no --model: frames are received and decoded, nothing is recognised\n");
    return nullptr;
  }
  auto models = RecognitionModels::load(options.models_dir, options.model, options.landmarks);
  models->spotter = options.spotter;
  models->decision = options.decision;
  const double warm_ms = models->warm_up();
  std::printf("sueo: model %s (%zu words) loaded and warmed up in %.0f ms\n", models->name.c_str(),
              models->classifier->labels().size(), warm_ms);
  return models;
}

// Plugs a Recognizer into every session, with the hooks teaching needs: the model holder (hot swap),
// the teacher's taught words, and the session's Teach-view switch.
void attach_recognition(transport::Server& server, ModelHolder& holder, store::Teacher& teacher,
                        const ModelOptions& options) {
  auto base = std::make_shared<TeachingHooks>();
  base->current_models = [&holder] { return holder.current(); };
  base->taught = [&teacher] { return teacher.taught(); };
  const int every = options.landmark_every;
  const double shed_after_ms = options.shed_after_ms;
  server.set_consumer_factory(
      [&holder, base, every, shed_after_ms](const transport::ConsumerLink& link) -> std::unique_ptr<FrameConsumer> {
        RecognizerSinks sinks;
        sinks.landmarks = [link](uint32_t seq, uint32_t frame, const landmarks::FrameLandmarks& found, bool signing) {
          if (link.preview_enabled()) link.send(landmarks_message(seq, frame, found, signing));
        };
        sinks.word = [link](nlohmann::json message) { link.send(std::move(message)); };
        sinks.activity = sinks.word;
        auto hooks = std::make_shared<TeachingHooks>(*base);
        hooks->teach_takes = link.teach_enabled;
        return std::make_unique<Recognizer>(holder.current(), std::move(sinks), every, std::move(hooks), shed_after_ms);
      },
      holder.current()->describe());
}

}  // namespace

int run_serve(const std::vector<std::string>& args) {
  transport::ServeConfig config;
  ModelOptions models;
  const auto table = serve_options(config, models, project_home());
  const auto parsed = parse_options(table, args);
  if (parsed.help_requested) {
    std::printf("%s", format_help("sueo serve [options]", table).c_str());
    return 0;
  }
  if (!parsed.positional.empty()) throw ConfigError("unexpected argument '" + parsed.positional.front() + "'");
  if (config.ice_port_max < config.ice_port_min) throw ConfigError("--ice-port-max is below --ice-port-min");
  if (int64_t{config.width} * config.height > config.max_frame_pixels) {
    throw ConfigError("--width × --height is above --max-frame-pixels: the page's own frames would be refused");
  }
  check_turn(config);
  if (static_cast<double>(config.max_sequence_frames) < config.fps * config.sequence_seconds) {
    throw ConfigError("--max-sequence-frames is below --fps × --sequence-seconds");
  }
  auto recognition = load_models(models);
  // Declared before the server so they outlive it: its sessions' recognizers call into both until the
  // server has closed them and joined its workers.
  std::unique_ptr<ModelHolder> holder;
  std::unique_ptr<store::Teacher> teacher;
  if (recognition) {
    holder = std::make_unique<ModelHolder>(std::move(recognition));
    teacher = std::make_unique<store::Teacher>(models.store, *holder);
  }
  gst_init(nullptr, nullptr);
  transport::Server server(config);
  if (!holder) {
    transport::UploadApi no_model(transport::UploadConfig{});  // uploads answer 503 no_model
    server.set_upload_api(&no_model);
    return server.run();
  }
  const transport::TeachConfig teach{
      models.teach_token.empty() ? transport::random_teach_token() : models.teach_token, models.model};
  transport::TeachApi teach_api(teach, *teacher);
  server.set_teach_api(&teach_api);
  models.upload.program = std::filesystem::read_symlink("/proc/self/exe").string();
  models.upload.spot_args = spot_arguments(args);
  transport::UploadApi upload_api(models.upload);
  server.set_upload_api(&upload_api);
  attach_recognition(server, *holder, *teacher, models);
  server.set_model_info_source([&holder = *holder, &teacher = *teacher] {
    nlohmann::json info = holder.current()->describe();
    info["teach"] = teacher.available();
    return info;
  });
  std::printf("sueo: taught words in %s; teach token (가르치기 토큰): %s\n", models.store.c_str(), teach.token.c_str());
  if (!teacher->available()) std::printf("sueo: the model has no embedding output: teaching is unavailable\n");
  return server.run();
}

}  // namespace sueo::app
