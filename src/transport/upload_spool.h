// The `video` field of a POST /api/recognize form, written to a temporary file while the request body
// arrives, off the main loop.
//
// Why streamed: libsoup's default keeps the whole body in memory (up to --upload-max-mb, 200 MB), and
// parsing it as a form and writing the field to disk then took one piece of main-loop time (seconds
// on this machine for 150 MB) during which every session's signaling, /ws pings and DataChannel
// callbacks waited, with two copies of the upload in memory. Here the body is not kept
// (accumulate off): each chunk libsoup reads (8 KB) is queued, and one task at a time on GLib's
// thread pool takes the queued chunks, finds the field in them (MultipartField) and writes it.
// Memory stays at the queue's bound: past it the request is paused (libsoup stops reading the socket,
// TCP pushes back on the client) until the writer has caught up.
//
// Thread: main loop only (the writing runs on GLib's thread pool, one task at a time, on its own
// state; results come back to the main loop).
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sueo::transport {

class UploadSpool : public std::enable_shared_from_this<UploadSpool> {
 public:
  enum class Outcome { kStored, kBadRequest, kTooLarge, kFailed };
  struct Result {
    Outcome outcome = Outcome::kFailed;
    std::string path;  // the stored field (kStored): the receiver unlinks it (remove_file())
    std::string name;  // the field's file name
    int64_t bytes = 0;
  };
  static constexpr int64_t kMaxQueuedBytes = 4 << 20;  // chunks waiting for the writer before a pause

  // Reads `message`'s body (it must not have been read yet: call from an early handler) as a form with
  // `boundary`, keeping the field named `field`; a body over `max_bytes` is kTooLarge. The message
  // keeps the spool (a reference) until it is finalized.
  static std::shared_ptr<UploadSpool> attach(SoupServerMessage* message, const std::string& boundary,
                                             std::string field, int64_t max_bytes);
  // The spool `message` carries, if any.
  static std::shared_ptr<UploadSpool> of(SoupServerMessage* message);
  // Live spools (each one an upload being received or written): a draining server waits for them.
  static int live() { return live_; }

  ~UploadSpool();
  UploadSpool(const UploadSpool&) = delete;
  UploadSpool& operator=(const UploadSpool&) = delete;

  // After the body is read (the route's handler): `done` gets the outcome on the main loop once the
  // last chunk is written and the file closed. Not called when the request goes away first.
  void finish(std::function<void(Result)> done);

  // Deletes a stored file off the main loop (a 200 MB file's blocks take a moment to free).
  static void remove_file(std::string path);

 private:
  struct Writer;
  UploadSpool(SoupServerMessage* message, const std::string& boundary, std::string field, int64_t max_bytes);
  void on_chunk(GBytes* chunk);
  void write_queued();             // starts the next write task if none runs
  void written(int64_t bytes);     // a write task ended
  void close_file();               // after the last write: close (on the thread pool), then report()
  void report(Result result);

  SoupServerMessage* message_;       // borrowed: null once the message is finalized
  std::shared_ptr<Writer> writer_;   // used by one write task at a time, never by the main loop meanwhile
  std::vector<GBytes*> queued_;      // chunks read and not yet handed to a write task (references)
  int64_t pending_bytes_ = 0;     // received and not yet written (queued, or in a write task)
  int64_t received_ = 0, max_bytes_;
  bool writing_ = false, paused_ = false, too_large_ = false;
  std::function<void(Result)> done_;  // set by finish()
  static int live_;
};

}  // namespace sueo::transport
