// POST /api/recognize: a recorded video (the iPad's camera app, a file) is recognised as `sueo spot`
// would: every sign found in it, with its word (or why none) and its times (docs/protocol.md §6).
//
// The request is a multipart form with the video in its `video` field. The server writes that field
// to a temporary file as the body arrives (UploadSpool: off the main loop, never whole in memory) and
// runs `sueo spot` on it in a child process (started off the main loop too: fork and exec of a
// server with hundreds of MB mapped take milliseconds): a video's decoder (GStreamer's
// decodebin on whatever the client sent) and its seconds of landmarks stay out of the server's
// process and its workers, a broken file cannot take the server down, and a child that runs too long
// is stopped. At most `jobs` uploads are recognised at once; more get 503 server_busy, from their
// headers when the slots are already taken (their bodies are then read and dropped, never kept).
// A draining server refuses new uploads (503 server_draining) and waits for those it has
// (Server::check_drain()); when it stops, the children still running are stopped.
//
// Answers are JSON: 200 with spot's line (`words`, `signs`, `reason`, timings), or an error object
// (code and message) with 400 (bad_request, bad_video), 405, 413 (too_large,
// too_long), 503 (server_busy, server_draining, no_model) or 504 (timeout). Each is counted:
// uploads.<outcome>.
//
// Thread: GLib main loop only.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <memory>
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

class UploadSpool;

class UploadApi {
 public:
  explicit UploadApi(UploadConfig config) : config_(std::move(config)) {}
  // Stops the recognitions still running (their children and files): the server is stopping.
  ~UploadApi();
  UploadApi(const UploadApi&) = delete;
  UploadApi& operator=(const UploadApi&) = delete;

  // Serves /api/recognize on `server` (its own early and normal handlers): whatever will be refused
  // (method, size from Content-Length, no model, busy, draining) is refused from the headers; an
  // accepted upload's body is streamed to disk as it arrives.
  void attach(SoupServer* server);
  int running() const { return running_; }
  // Refuse new uploads from now on (server_draining).
  void drain() { draining_ = true; }
  // Uploads being received, stored or recognised.
  bool busy() const;

 private:
  struct Job;  // one upload from its body's end to its answer
  using JobPtr = std::shared_ptr<Job>;  // shared with its pending step (a thread task, the child's I/O)
  void admit(SoupServerMessage* message, const std::string& route, const std::string& method);
  void handle(SoupServerMessage* message, const std::string& route);
  void spawn(const JobPtr& job);
  void started(const JobPtr& job, GSubprocess* process, const std::string& error);
  void end(const JobPtr& job);  // after the answer: the slot, the message and the file go
  static void finished(GObject* source, GAsyncResult* result, gpointer data);
  static gboolean timed_out(gpointer data);

  UploadConfig config_;
  int running_ = 0;
  bool draining_ = false;
  std::vector<JobPtr> jobs_;
};

}  // namespace sueo::transport
