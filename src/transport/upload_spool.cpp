#include "transport/upload_spool.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "transport/glib_util.h"
#include "transport/multipart_field.h"

namespace sueo::transport {
namespace {

constexpr size_t kWriteBuffer = 1 << 20;  // field bytes gathered before a write(2)

struct BytesUnref {
  void operator()(GBytes* bytes) const { g_bytes_unref(bytes); }
};

// What the message keeps: its spool, and the spool learns when the message goes.
struct Holder {
  std::shared_ptr<UploadSpool> spool;
};
constexpr const char* kDataKey = "sueo-upload-spool";

}  // namespace

int UploadSpool::live_ = 0;

// The file side: only ever used by one task on GLib's thread pool at a time (the main loop hands it
// from task to task and does not touch it meanwhile). Its destructor may run on that thread.
struct UploadSpool::Writer {
  explicit Writer(const std::string& boundary, std::string field)
      : form(boundary, std::move(field), [this](std::string_view data) { return buffer(data); }) {}
  ~Writer() {
    if (fd >= 0) close(fd);
    if (!kept && !path.empty()) g_unlink(path.c_str());
  }

  // A task's chunks: through the form reader into the file.
  void write(std::vector<std::unique_ptr<GBytes, BytesUnref>>& chunks) {
    for (auto& chunk : chunks) {
      gsize size = 0;
      const auto* data = static_cast<const char*>(g_bytes_get_data(chunk.get(), &size));
      if (!form.feed(std::string_view(data, size))) break;
    }
    chunks.clear();
    flush();
  }

  bool buffer(std::string_view data) {
    if (io_failed) return false;
    out.append(data);
    return out.size() < kWriteBuffer || flush();
  }

  bool flush() {
    if (out.empty() || io_failed) return !io_failed;
    if (fd < 0 && !open_file()) return false;
    for (size_t done = 0; done < out.size();) {
      const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
      if (n <= 0) {
        log_line("upload", std::string("cannot write ") + path + ": " + g_strerror(errno));
        io_failed = true;
        return false;
      }
      done += static_cast<size_t>(n);
    }
    out.clear();
    return true;
  }

  bool open_file() {
    char* name = nullptr;
    GError* error = nullptr;
    fd = g_file_open_tmp("sueo-upload-XXXXXX", &name, &error);
    if (fd < 0) {
      log_line("upload", std::string("cannot make a temporary file: ") + (error ? error->message : "?"));
      g_clear_error(&error);
      io_failed = true;
      return false;
    }
    path = name;
    g_free(name);
    return true;
  }

  // The body is complete: the outcome, the file closed.
  Result close_file() {
    flush();
    Result result;
    result.name = form.file_name();
    result.bytes = form.field_bytes();
    if (fd >= 0 && close(fd) != 0) io_failed = true;
    fd = -1;
    if (io_failed) {
      result.outcome = Outcome::kFailed;
    } else if (!form.complete() || form.field_bytes() == 0) {
      result.outcome = Outcome::kBadRequest;
    } else {
      result.outcome = Outcome::kStored;
      result.path = path;
      kept = true;  // the receiver deletes it now
    }
    return result;
  }

  MultipartField form;
  std::string out;  // field bytes not yet written
  std::string path;
  int fd = -1;
  bool io_failed = false, kept = false;
};

UploadSpool::UploadSpool(SoupServerMessage* message, const std::string& boundary, std::string field, int64_t max_bytes)
    : message_(message), writer_(std::make_shared<Writer>(boundary, std::move(field))), max_bytes_(max_bytes) {
  ++live_;
}

UploadSpool::~UploadSpool() {
  for (GBytes* chunk : queued_) g_bytes_unref(chunk);
  --live_;
}

std::shared_ptr<UploadSpool> UploadSpool::attach(SoupServerMessage* message, const std::string& boundary,
                                                 std::string field, int64_t max_bytes) {
  std::shared_ptr<UploadSpool> spool(new UploadSpool(message, boundary, std::move(field), max_bytes));
  soup_message_body_set_accumulate(soup_server_message_get_request_body(message), FALSE);
  g_object_set_data_full(G_OBJECT(message), kDataKey, new Holder{spool}, [](gpointer data) {
    auto* holder = static_cast<Holder*>(data);
    holder->spool->message_ = nullptr;  // the request is gone (answered, or its client left)
    delete holder;
  });
  g_signal_connect(message, "got-chunk", G_CALLBACK(+[](SoupServerMessage* m, GBytes* chunk, gpointer) {
                     if (auto spool = of(m)) spool->on_chunk(chunk);
                   }),
                   nullptr);
  return spool;
}

std::shared_ptr<UploadSpool> UploadSpool::of(SoupServerMessage* message) {
  auto* holder = static_cast<Holder*>(g_object_get_data(G_OBJECT(message), kDataKey));
  return holder != nullptr ? holder->spool : nullptr;
}

void UploadSpool::on_chunk(GBytes* chunk) {
  const auto size = static_cast<int64_t>(g_bytes_get_size(chunk));
  received_ += size;
  if (too_large_) return;  // the rest of the body is read and dropped; the answer is 413
  if (received_ > max_bytes_) {
    too_large_ = true;
    for (GBytes* queued : queued_) g_bytes_unref(queued);
    queued_.clear();
    writer_.reset();  // its file goes (once a write task in flight ends)
    return;
  }
  queued_.push_back(g_bytes_ref(chunk));  // no copy: libsoup made the chunk for us
  pending_bytes_ += size;
  if (pending_bytes_ > kMaxQueuedBytes && !paused_ && message_ != nullptr) {
    paused_ = true;  // the disk is slower than the client: let TCP push back
    soup_server_message_pause(message_);
  }
  write_queued();
}

void UploadSpool::write_queued() {
  if (writing_ || queued_.empty() || !writer_) return;
  writing_ = true;
  auto chunks = std::make_shared<std::vector<std::unique_ptr<GBytes, BytesUnref>>>();
  int64_t bytes = 0;
  for (GBytes* chunk : queued_) {
    bytes += static_cast<int64_t>(g_bytes_get_size(chunk));
    chunks->emplace_back(chunk);
  }
  queued_.clear();
  run_in_thread([writer = writer_, chunks] { writer->write(*chunks); },
                [self = shared_from_this(), bytes] { self->written(bytes); });
}

void UploadSpool::written(int64_t bytes) {
  writing_ = false;
  pending_bytes_ -= bytes;
  if (paused_ && pending_bytes_ <= kMaxQueuedBytes / 2 && message_ != nullptr) {
    paused_ = false;
    soup_server_message_unpause(message_);
  }
  if (!queued_.empty()) {
    write_queued();
  } else if (done_) {
    close_file();
  }
}

void UploadSpool::finish(std::function<void(Result)> done) {
  done_ = std::move(done);
  if (writing_) return;  // written() goes on
  if (!queued_.empty() && writer_) {
    write_queued();
  } else {
    close_file();
  }
}

void UploadSpool::close_file() {
  if (!writer_) {  // too large: nothing was kept
    Result result;
    result.outcome = too_large_ ? Outcome::kTooLarge : Outcome::kFailed;
    report(std::move(result));
    return;
  }
  auto result = std::make_shared<Result>();
  run_in_thread([writer = std::move(writer_), result] { *result = writer->close_file(); },
                [self = shared_from_this(), result] { self->report(std::move(*result)); });
}

void UploadSpool::report(Result result) {
  if (message_ == nullptr) {  // the client left meanwhile: nobody to answer
    if (!result.path.empty()) remove_file(result.path);
    return;
  }
  auto done = std::move(done_);
  done(std::move(result));
}

void UploadSpool::remove_file(std::string path) {
  run_in_thread([path = std::move(path)] { g_unlink(path.c_str()); }, nullptr);
}

}  // namespace sueo::transport
