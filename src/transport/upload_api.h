// POST /api/recognize: a recorded video (the iPad's camera app, a file) is recognised as `sueo spot`
// would: every sign found in it, with its word (or why none) and its times (docs/protocol.md §6).
//
// The request is a multipart form with the video in its `video` field. The server writes it to a
// temporary file and runs `sueo spot` on it in a child process: a video's decoder (GStreamer's
// decodebin on whatever the client sent) and its seconds of landmarks stay out of the server's
// process and its workers, a broken file cannot take the server down, and a child that runs too long
// is stopped. At most `jobs` uploads are recognised at once; more get 503 server_busy.
//
// Answers are JSON: 200 with spot's line (`words`, `signs`, `reason`, timings), or an error object
// (code and message) with 400 (bad_request, bad_video), 405, 413 (too_large,
// too_long), 503 (server_busy, no_model) or 504 (timeout). Each is counted: uploads.<outcome>.
//
// Thread: GLib main loop only.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sueo::transport {

struct UploadConfig {
  std::string program;                 // the sueo executable to run `spot` with; empty: uploads refused
  std::vector<std::string> spot_args;  // options forwarded to `sueo spot` (model, store, sign settings)
  int64_t max_bytes = 200LL << 20;     // largest upload (413 too_large)
  double max_seconds = 120;            // longest video (413 too_long)
  int timeout_s = 300;                 // a recognition still running after this is stopped (504)
  int jobs = 1;                        // uploads recognised at once
};

class UploadApi {
 public:
  explicit UploadApi(UploadConfig config) : config_(std::move(config)) {}
  UploadApi(const UploadApi&) = delete;
  UploadApi& operator=(const UploadApi&) = delete;

  // Serves /api/recognize on `server` (its own handler), refusing a too large upload from its
  // Content-Length before the body is read.
  void attach(SoupServer* server);
  // Handles /api/recognize; returns false for any other route.
  bool handle(SoupServerMessage* message, const std::string& route, const std::string& method);
  int running() const { return running_; }

 private:
  struct Job;
  void start(SoupServerMessage* message, const std::string& name, GBytes* video);
  static void finished(GObject* source, GAsyncResult* result, gpointer data);
  static gboolean timed_out(gpointer data);

  UploadConfig config_;
  int running_ = 0;
};

}  // namespace sueo::transport
