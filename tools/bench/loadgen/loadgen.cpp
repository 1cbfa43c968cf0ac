// sueo-loadgen: N browserless pages streaming a real clip's frames to a real `sueo serve` over real
// WebRTC DataChannels (GStreamer webrtcbin, the server's own stack, so no Chromium is needed), speaking
// docs/protocol.md exactly as web/ does, and checking every receipt and result. A measuring tool for
// tools/bench/capacity and soaks, not part of the product: a program of its own beside `sueo`.
//
//   build/sueo-loadgen --url https://127.0.0.1:8443/ --streams 4 --seconds 30 [--server-pid PID]
//
// Prints a table, then one JSON line (report.h). Exit 0 when every check passed, 3 when one failed
// (a frame dropped, a receipt or result missing or wrong, a word wrong, a server error), 1 on an error.
#include <gst/gst.h>
#include <libsoup/soup.h>
#include <nice/interfaces.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "clip_frames.h"
#include "config.h"
#include "load_run.h"
#include "report.h"
#include "transport/glib_util.h"

namespace sueo::loadgen {
namespace {

struct Options {
  std::string url;
  std::vector<std::string> clips;
  std::string vocabulary;
  std::string ca_cert;
  std::string ice_addresses = "auto";
  PageFormat page;
  RunSettings run;
  int passes = 1;
  double gap_ms = 0;
  bool detail = false;
  bool check_words = true;
};

std::vector<Option> option_table(Options& o, const std::string& home) {
  auto list = [&o](std::string_view v) { o.clips = split_list(v); };
  return {
      {"--url", "SUEO_LOADGEN_URL", "https://127.0.0.1:8443/", "the server's page URL (its /ws is used)", set_string(o.url)},
      {"--streams", "SUEO_LOADGEN_STREAMS", "1", "simulated pages at once", set_int(o.run.streams, 1, 1000, "--streams")},
      {"--seconds", "SUEO_LOADGEN_SECONDS", "20", "length of the steady window (every stream streaming)", set_double(o.run.seconds, 1, 86400, "--seconds")},
      {"--sequences", "SUEO_LOADGEN_SEQUENCES", "0", "> 0: each stream sends exactly this many sequences instead of --seconds", set_int(o.run.sequences, 0, 1000000, "--sequences")},
      {"--clips", "SUEO_LOADGEN_CLIPS", home + "/tests/data/clips", "videos (or folders of them), comma-separated; stream i plays clip i mod count", list},
      {"--passes", "", "1", "clip passes per sequence", set_int(o.passes, 1, 100, "--passes")},
      {"--gap-ms", "", "0", "pause between a sequence's answer and the next sequence", set_double(o.gap_ms, 0, 600000, "--gap-ms")},
      {"--stagger", "", "1", "spread the streams' starts over one sequence (0: all start at once)", set_bool(o.run.stagger, "--stagger")},
      {"--hold-idle", "", "0", "seconds the opened sessions stay idle before streaming (memory figures)", set_double(o.run.hold_idle_s, 0, 3600, "--hold-idle")},
      {"--detail", "", "0", "ask for the receipts' per-frame arrays: frame-complete latency (a bench option of the protocol)", set_bool(o.detail, "--detail")},
      {"--check-words", "", "1", "a wrong word fails the run (clips named c<class>_<label>_s<signer>_<id>)", set_bool(o.check_words, "--check-words")},
      {"--vocabulary", "SUEO_VOCABULARY", home + "/models/vocabulary.json", "maps a clip's label to the word it signs", set_string(o.vocabulary)},
      {"--fps", "", "15", "the page's capture rate", set_double(o.page.fps, 1, 60, "--fps")},
      {"--width", "", "640", "the page's frame box width", set_int(o.page.width, 64, 3840, "--width")},
      {"--height", "", "480", "… and height", set_int(o.page.height, 64, 2160, "--height")},
      {"--jpeg-quality", "", "0.7", "the page's JPEG quality (0–1)", set_double(o.page.jpeg_quality, 0.05, 1, "--jpeg-quality")},
      {"--ice-addresses", "SUEO_LOADGEN_ICE_ADDRESSES", "auto", "addresses to gather ICE host candidates from, comma-separated; auto: every address of this host, loopback included (libnice alone skips loopback)", set_string(o.ice_addresses)},
      {"--ca-cert", "SUEO_LOADGEN_CA_CERT", "", "CA to verify the server's certificate with; empty: accept any (a bench of one's own server)", set_string(o.ca_cert)},
      {"--server-pid", "SUEO_LOADGEN_SERVER_PID", "0", "the server's pid on this host: its CPU and RSS over the window", set_int(o.run.server_pid, 0, 1 << 30, "--server-pid")},
      {"--open-timeout-ms", "", "20000", "how long one session may take to open its channel", set_double(o.run.open_timeout_ms, 100, 600000, "--open-timeout-ms")},
  };
}

std::vector<std::string> clip_files(const std::vector<std::string>& items) {
  std::vector<std::string> files;
  for (const auto& item : items) {
    if (std::filesystem::is_directory(item)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::directory_iterator(item)) {
        const auto ext = entry.path().extension().string();
        if (entry.is_regular_file() && (ext == ".mp4" || ext == ".webm" || ext == ".mov")) found.push_back(entry.path().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(item);
    }
  }
  if (files.empty()) throw ConfigError("--clips names no video");
  return files;
}

// wss://host:port/ws and the Origin a page served from `url` sends.
std::pair<std::string, std::string> endpoints(const std::string& url, std::string& host) {
  GUri* uri = g_uri_parse(url.c_str(), G_URI_FLAGS_NONE, nullptr);
  if (uri == nullptr || g_uri_get_host(uri) == nullptr) throw ConfigError("--url '" + url + "' is not a URL");
  host = g_uri_get_host(uri);
  const int port = g_uri_get_port(uri);
  const std::string scheme = g_uri_get_scheme(uri);
  g_uri_unref(uri);
  const std::string authority = (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                                (port > 0 ? ":" + std::to_string(port) : "");
  const bool tls = scheme == "https" || scheme == "wss";
  return {(tls ? "wss://" : "ws://") + authority + "/ws", (tls ? "https://" : "http://") + authority};
}

// "auto": every address of this host, loopback included. libnice on its own skips loopback, so two
// processes of one host would talk over the LAN address, and a host with only loopback (a container,
// a CI box) could not connect at all; pairs that cannot work (127.0.0.1 → a LAN address) just fail
// their checks while the others succeed.
std::vector<std::string> ice_addresses(const std::string& option) {
  if (option != "auto") return split_list(option);
  std::vector<std::string> out;
  GList* ips = nice_interfaces_get_local_ips(TRUE);
  for (GList* item = ips; item != nullptr; item = item->next) {
    const std::string ip = static_cast<const char*>(item->data);
    if (ip.rfind("fe80:", 0) != 0) out.push_back(ip);  // link-local needs a scope id the SDP cannot carry
  }
  g_list_free_full(ips, g_free);
  return out;
}

SoupSession* make_session(const std::string& ca_cert) {
  SoupSession* session = soup_session_new_with_options("max-conns", 4096, "max-conns-per-host", 4096, "timeout", 30, nullptr);
  if (!ca_cert.empty()) {
    GError* raw = nullptr;
    GTlsDatabase* database = g_tls_file_database_new(ca_cert.c_str(), &raw);
    transport::GErrorPtr error(raw);
    if (database == nullptr) throw ConfigError("--ca-cert: " + std::string(error ? error->message : "unreadable"));
    soup_session_set_tls_database(session, database);
    g_object_unref(database);
  }
  return session;
}

}  // namespace

int main_loadgen(int argc, char** argv) {
  Options o;
  const auto table = option_table(o, project_home());
  const auto parsed = parse_options(table, std::vector<std::string>(argv + 1, argv + argc));
  if (parsed.help_requested) {
    std::printf("%s", format_help("sueo-loadgen [options]", table).c_str());
    return 0;
  }
  if (!parsed.positional.empty()) throw ConfigError("unexpected argument '" + parsed.positional.front() + "'");
  gst_init(nullptr, nullptr);
  // The first dtlsdec makes the process-wide DTLS certificate (an RSA key) and keeps it: make it now,
  // so the first session's offer → open does not pay for it (the server does the same at start).
  if (GstElement* dtls = gst_element_factory_make("dtlsdec", nullptr)) gst_object_unref(dtls);
  std::string host;
  const auto [ws_url, origin] = endpoints(o.url, host);
  const auto addresses = ice_addresses(o.ice_addresses);
  std::optional<sign::Vocabulary> vocabulary;
  if (!o.vocabulary.empty() && std::filesystem::exists(o.vocabulary)) vocabulary = sign::Vocabulary::load(o.vocabulary);

  std::vector<ClipFrames> clips;
  for (const auto& file : clip_files(o.clips)) clips.push_back(load_clip_frames(file, o.page, vocabulary ? &*vocabulary : nullptr));
  std::printf("sueo-loadgen: %d stream(s) to %s; clips:", o.run.streams, ws_url.c_str());
  for (const auto& c : clips) {
    std::printf(" %s (%zu frames %dx%d, %.0f KB/frame, word %s)", c.name.c_str(), c.jpegs.size(), c.width, c.height,
                static_cast<double>(c.bytes()) / c.jpegs.size() / 1024, c.word.empty() ? "?" : c.word.c_str());
  }
  std::printf("\n");
  std::fflush(stdout);

  SoupSession* session = make_session(o.ca_cert);
  if (o.ca_cert.empty()) {
    // A bench of one's own server with its own (e.g. mkcert) certificate: accept it.
    g_signal_connect(session, "request-queued", G_CALLBACK(+[](SoupSession*, SoupMessage* message, gpointer) {
                       g_signal_connect(message, "accept-certificate",
                                        G_CALLBACK(+[](SoupMessage*, GTlsCertificate*, GTlsCertificateFlags, gpointer) -> gboolean {
                                          return TRUE;
                                        }),
                                        nullptr);
                     }),
                     nullptr);
  }
  const auto make = [&](int i) {
    StreamSettings s;
    s.ws_url = ws_url;
    s.origin = origin;
    s.peer.ice_addresses = addresses;
    s.clip = &clips[static_cast<size_t>(i) % clips.size()];
    s.fps = o.page.fps;
    s.passes = o.passes;
    s.detail = o.detail;
    s.gap_ms = o.gap_ms;
    s.max_sequences = o.run.sequences;
    return s;
  };
  RunOutcome run = run_load(o.run, session, make);
  const nlohmann::json summary = summarize(run, o.run, o.check_words);
  run.streams.clear();
  g_object_unref(session);
  std::ifstream loadavg("/proc/loadavg");
  std::string load;
  std::getline(loadavg, load);
  std::printf("%s", format_table(summary).c_str());
  std::printf("load average: %s\n", load.c_str());
  nlohmann::json line = summary;
  line["loadavg"] = load;
  std::printf("%s\n", line.dump().c_str());
  if (run.opened == 0) return 1;
  return summary["ok"].get<bool>() ? 0 : 3;
}

}  // namespace sueo::loadgen

int main(int argc, char** argv) {
  try {
    return sueo::loadgen::main_loadgen(argc, argv);
  } catch (const sueo::ConfigError& error) {
    std::fprintf(stderr, "sueo-loadgen: %s\n", error.what());
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "sueo-loadgen: error: %s\n", error.what());
    return 1;
  }
}
