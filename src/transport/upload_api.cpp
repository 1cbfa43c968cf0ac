#include "transport/upload_api.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>

#include "metrics.h"
#include "transport/glib_util.h"
#include "transport/http_guard.h"
#include "transport/multipart_field.h"
#include "transport/upload_spool.h"

namespace sueo::transport {
namespace {

constexpr const char* kRoute = "/api/recognize";

void refuse(SoupServerMessage* message, int status, const std::string& code, const std::string& text) {
  Metrics::global().add("uploads.refused." + code);
  respond_json(message, status, {{"error", {{"code", code}, {"message", text}}}});
}

std::string megabytes(int64_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

// The last line of `text` that is a JSON object (spot prints one line per video).
nlohmann::json last_json_line(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  nlohmann::json found;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() != '{') continue;
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (parsed.is_object()) found = std::move(parsed);
  }
  return found;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

double steady_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

struct UploadApi::Job {
  UploadApi* api = nullptr;              // null once the API is gone (the server stopped)
  SoupServerMessage* message = nullptr;  // a reference, paused until the answer
  GObjectPtr<GSubprocess> process;
  std::string path, name;
  guint timer = 0;
  bool timed_out = false;
  double started_ms = 0;
  int64_t bytes = 0;
};

UploadApi::~UploadApi() {
  for (const auto& job : jobs_) {
    job->api = nullptr;
    if (job->timer != 0) g_source_remove(job->timer);
    job->timer = 0;
    if (job->process) g_subprocess_force_exit(job->process.get());
    if (!job->path.empty()) g_unlink(job->path.c_str());
    job->path.clear();
  }
}

bool UploadApi::busy() const { return running_ > 0 || UploadSpool::live() > 0; }

void UploadApi::attach(SoupServer* server) {
  soup_server_add_early_handler(
      server, kRoute,
      +[](SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self) {
        try {
          static_cast<UploadApi*>(self)->admit(message, path != nullptr ? path : "", soup_server_message_get_method(message));
        } catch (const std::exception& error) {
          log_line("upload", std::string("admitting an upload: ") + error.what());
          refuse(message, 500, "internal", "the server failed on this upload");
        }
      },
      this, nullptr);
  // libsoup keeps early and normal handlers in one table by path: this path's normal handler must be
  // here too, or a request to it finds the early handler's entry without a callback (500). It runs
  // only for what admit() let through, once the body is read.
  soup_server_add_handler(
      server, kRoute,
      +[](SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self) {
        close_after_response(message);  // as every other route (http_guard.h)
        const std::string route = path != nullptr ? path : "";
        try {
          static_cast<UploadApi*>(self)->handle(message, route);
        } catch (const std::exception& error) {
          log_line("upload", route + ": " + error.what());
          refuse(message, 500, "internal", "the server failed on this upload");
        }
      },
      this, nullptr);
}

// From the request's headers, before its body is read. A status set here is the answer: libsoup then
// reads the body (it cannot answer before), which is dropped chunk by chunk rather than kept.
void UploadApi::admit(SoupServerMessage* message, const std::string& route, const std::string& method) {
  soup_message_body_set_accumulate(soup_server_message_get_request_body(message), FALSE);
  close_after_response(message);
  SoupMessageHeaders* headers = soup_server_message_get_request_headers(message);
  if (route != kRoute) {
    refuse(message, 404, "not_found", route + " is not a route of this server");
  } else if (method != "POST") {
    refuse(message, 405, "method_not_allowed", "POST a form with the video in its 'video' field");
  } else if (config_.program.empty()) {
    refuse(message, 503, "no_model", "this server runs without a sign model: nothing is recognised");
  } else if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH &&
             soup_message_headers_get_content_length(headers) > config_.max_bytes) {
    refuse(message, 413, "too_large", "the upload is larger than " + megabytes(config_.max_bytes));
  } else if (draining_) {
    refuse(message, 503, "server_draining", "the server is restarting: try again in a moment");
  } else if (running_ >= config_.jobs) {
    refuse(message, 503, "server_busy", "the server is recognising other videos; try again in a moment");
  } else if (const auto boundary = form_boundary(headers); !boundary) {
    refuse(message, 400, "bad_request", "the request is not a form with a non-empty 'video' file field");
  } else {
    UploadSpool::attach(message, *boundary, "video", config_.max_bytes);
  }
}

// The body is read (and being written): the upload takes a slot, and is answered once stored and
// recognised.
void UploadApi::handle(SoupServerMessage* message, const std::string& route) {
  const auto spool = UploadSpool::of(message);
  if (route != kRoute || !spool) {  // admit() refused everything else
    refuse(message, 500, "internal", "the server failed on this upload");
    return;
  }
  if (running_ >= config_.jobs) {  // another upload's body ended first
    refuse(message, 503, "server_busy", "the server is recognising other videos; try again in a moment");
    return;
  }
  auto job = std::make_shared<Job>();
  job->api = this;
  job->message = SOUP_SERVER_MESSAGE(g_object_ref(message));
  job->started_ms = steady_ms();
  jobs_.push_back(job);
  ++running_;
  soup_server_message_pause(message);
  spool->finish([job](UploadSpool::Result result) {
    if (job->api == nullptr) {
      if (!result.path.empty()) g_unlink(result.path.c_str());
      return;
    }
    job->name = result.name;
    job->bytes = result.bytes;
    job->path = result.path;
    switch (result.outcome) {
      case UploadSpool::Outcome::kStored:
        job->api->spawn(job);
        return;
      case UploadSpool::Outcome::kTooLarge:
        refuse(job->message, 413, "too_large", "the upload is larger than " + megabytes(job->api->config_.max_bytes));
        break;
      case UploadSpool::Outcome::kBadRequest:
        refuse(job->message, 400, "bad_request", "the request is not a form with a non-empty 'video' file field");
        break;
      case UploadSpool::Outcome::kFailed:
        refuse(job->message, 500, "internal", "the server could not store the upload");
        break;
    }
    job->api->end(job);
  });
}

// Starts `sueo spot` on a thread of GLib's pool: GSubprocess forks (it closes the child's other
// descriptors, so no posix_spawn) and waits for the exec, milliseconds for a process this size.
void UploadApi::spawn(const JobPtr& job) {
  std::vector<std::string> args = {config_.program, "spot", "--max-seconds", std::to_string(config_.max_seconds)};
  args.insert(args.end(), config_.spot_args.begin(), config_.spot_args.end());
  args.push_back(job->path);
  auto process = std::make_shared<GObjectPtr<GSubprocess>>();
  auto error = std::make_shared<std::string>();
  run_in_thread(
      [args = std::move(args), process, error] {
        std::vector<const char*> argv;
        for (const auto& a : args) argv.push_back(a.c_str());
        argv.push_back(nullptr);
        GError* raw = nullptr;
        process->reset(g_subprocess_newv(argv.data(), GSubprocessFlags(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE), &raw));
        if (raw != nullptr) *error = raw->message;
        g_clear_error(&raw);
      },
      [job, process, error] {
        if (job->api == nullptr) {  // the server stopped meanwhile
          if (*process) g_subprocess_force_exit(process->get());
          if (!job->path.empty()) g_unlink(job->path.c_str());
          return;
        }
        job->api->started(job, process->release(), *error);
      });
}

void UploadApi::started(const JobPtr& job, GSubprocess* process, const std::string& error) {
  if (process == nullptr) {
    log_line("upload", "cannot start sueo spot: " + error);
    refuse(job->message, 500, "internal", "the server could not start the recognition");
    end(job);
    return;
  }
  job->process.reset(process);
  Metrics::global().add("uploads.started");
  job->timer = g_timeout_add_seconds(static_cast<guint>(config_.timeout_s), &UploadApi::timed_out, job.get());
  // The callback owns a reference to the job: it may come after the API is gone.
  g_subprocess_communicate_utf8_async(process, nullptr, nullptr, &UploadApi::finished, new JobPtr(job));
}

gboolean UploadApi::timed_out(gpointer data) {
  auto* job = static_cast<Job*>(data);
  job->timer = 0;
  job->timed_out = true;
  g_subprocess_force_exit(job->process.get());  // communicate then finishes, and answers
  return G_SOURCE_REMOVE;
}

void UploadApi::finished(GObject*, GAsyncResult* result, gpointer data) {
  const JobPtr job = *static_cast<JobPtr*>(data);
  delete static_cast<JobPtr*>(data);
  char* out = nullptr;
  char* err = nullptr;
  GError* error = nullptr;
  const bool ok = g_subprocess_communicate_utf8_finish(job->process.get(), result, &out, &err, &error);
  const std::string stdout_text = out ? out : "", stderr_text = err ? err : "";
  g_free(out);
  g_free(err);
  if (!ok) g_clear_error(&error);
  if (job->api == nullptr) return;  // the server stopped: its destructor removed the file
  if (job->timer != 0) g_source_remove(job->timer);
  job->timer = 0;

  SoupServerMessage* message = job->message;
  UploadApi* api = job->api;
  const double elapsed_ms = steady_ms() - job->started_ms;
  nlohmann::json line = last_json_line(stdout_text);
  if (job->timed_out) {
    refuse(message, 504, "timeout", "the video took longer than " + std::to_string(api->config_.timeout_s) + " s to recognise");
  } else if (!line.is_object()) {
    log_line("upload", job->name + ": sueo spot gave no answer: " + stderr_text.substr(0, 400));
    refuse(message, 500, "recognition_failed", "the recognition stopped without an answer");
  } else if (line.contains("error")) {
    std::string text = line.value("error", std::string("the video cannot be read"));
    replace_all(text, job->path, job->name);
    const std::string code = line.value("error_code", std::string());
    if (code == "too_long") {
      refuse(message, 413, "too_long", "the video is longer than " + std::to_string(static_cast<int>(api->config_.max_seconds)) + " s");
    } else {
      refuse(message, 400, "bad_video", text);
    }
  } else {
    line["file"] = job->name;
    line["bytes"] = job->bytes;
    line["ms"]["upload_recognise"] = elapsed_ms;  // from the upload's arrival to its answer
    Metrics::global().add("uploads.recognised");
    respond_json(message, 200, line);
  }
  api->end(job);
}

void UploadApi::end(const JobPtr& job) {
  if (!job->path.empty()) UploadSpool::remove_file(job->path);
  job->path.clear();
  --running_;
  jobs_.erase(std::remove(jobs_.begin(), jobs_.end(), job), jobs_.end());
  soup_server_message_unpause(job->message);
  g_object_unref(job->message);
  job->message = nullptr;
}

}  // namespace sueo::transport
