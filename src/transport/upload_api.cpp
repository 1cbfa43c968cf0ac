#include "transport/upload_api.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>

#include "metrics.h"
#include "transport/glib_util.h"
#include "transport/http_guard.h"

namespace sueo::transport {
namespace {

constexpr const char* kRoute = "/api/recognize";

void refuse(SoupServerMessage* message, int status, const std::string& code, const std::string& text) {
  Metrics::global().add("uploads.refused." + code);
  respond_json(message, status, {{"error", {{"code", code}, {"message", text}}}});
}

std::string megabytes(int64_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

// The `video` part of a multipart form: its bytes (a new reference) and file name, or null.
GBytes* video_part(SoupServerMessage* message, std::string& name) {
  SoupMessageBody* body = soup_server_message_get_request_body(message);
  GBytes* all = soup_message_body_flatten(body);
  SoupMultipart* form = soup_multipart_new_from_message(soup_server_message_get_request_headers(message), all);
  g_bytes_unref(all);
  if (form == nullptr) return nullptr;
  GBytes* found = nullptr;
  for (int i = 0; i < soup_multipart_get_length(form) && found == nullptr; ++i) {
    SoupMessageHeaders* headers = nullptr;
    GBytes* part = nullptr;
    if (!soup_multipart_get_part(form, i, &headers, &part)) continue;
    char* disposition = nullptr;
    GHashTable* params = nullptr;
    if (soup_message_headers_get_content_disposition(headers, &disposition, &params)) {
      const auto* field = static_cast<const char*>(g_hash_table_lookup(params, "name"));
      if (field != nullptr && std::string(field) == "video") {
        const auto* file = static_cast<const char*>(g_hash_table_lookup(params, "filename"));
        name = file != nullptr ? file : "video";
        found = g_bytes_ref(part);
      }
      g_free(disposition);
      g_hash_table_destroy(params);
    }
  }
  soup_multipart_free(form);
  return found;
}

// Writes `bytes` to a new temporary file; returns its path (empty on failure).
std::string write_temporary(GBytes* bytes) {
  char* path = nullptr;
  GError* error = nullptr;
  const int fd = g_file_open_tmp("sueo-upload-XXXXXX", &path, &error);
  if (fd < 0) {
    log_line("upload", std::string("cannot make a temporary file: ") + (error ? error->message : "?"));
    g_clear_error(&error);
    return "";
  }
  gsize size = 0;
  const auto* data = static_cast<const char*>(g_bytes_get_data(bytes, &size));
  bool ok = true;
  for (gsize done = 0; done < size && ok;) {
    const ssize_t n = write(fd, data + done, size - done);
    ok = n > 0;
    if (ok) done += static_cast<gsize>(n);
  }
  close(fd);
  std::string out = path;
  g_free(path);
  if (!ok) {
    g_unlink(out.c_str());
    return "";
  }
  return out;
}

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
  UploadApi* api = nullptr;
  SoupServerMessage* message = nullptr;  // a reference, paused until the answer
  GSubprocess* process = nullptr;
  std::string path, name;
  guint timer = 0;
  bool timed_out = false;
  double started_ms = 0;
  int64_t bytes = 0;
};

void UploadApi::attach(SoupServer* server) {
  soup_server_add_early_handler(
      server, kRoute,
      +[](SoupServer*, SoupServerMessage* message, const char*, GHashTable*, gpointer self) {
        auto* api = static_cast<UploadApi*>(self);
        SoupMessageHeaders* headers = soup_server_message_get_request_headers(message);
        if (soup_message_headers_get_encoding(headers) != SOUP_ENCODING_CONTENT_LENGTH) return;
        if (soup_message_headers_get_content_length(headers) > api->config_.max_bytes) {
          refuse(message, 413, "too_large", "the upload is larger than " + megabytes(api->config_.max_bytes));
        }
      },
      this, nullptr);
  // libsoup keeps early and normal handlers in one table by path: this path's normal handler must be
  // here too, or a request to it finds the early handler's entry without a callback (500).
  soup_server_add_handler(
      server, kRoute,
      +[](SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self) {
        close_after_response(message);  // as every other route (http_guard.h)
        const std::string route = path != nullptr ? path : "";
        try {
          if (!static_cast<UploadApi*>(self)->handle(message, route, soup_server_message_get_method(message))) {
            refuse(message, 404, "not_found", route + " is not a route of this server");
          }
        } catch (const std::exception& error) {
          log_line("upload", route + ": " + error.what());
          refuse(message, 500, "internal", "the server failed on this upload");
        }
      },
      this, nullptr);
}

bool UploadApi::handle(SoupServerMessage* message, const std::string& route, const std::string& method) {
  if (route != kRoute) return false;
  if (method != "POST") {
    refuse(message, 405, "method_not_allowed", "POST a form with the video in its 'video' field");
    return true;
  }
  if (config_.program.empty()) {
    refuse(message, 503, "no_model", "this server runs without a sign model: nothing is recognised");
    return true;
  }
  if (soup_server_message_get_request_body(message)->length > config_.max_bytes) {
    refuse(message, 413, "too_large", "the upload is larger than " + megabytes(config_.max_bytes));
    return true;
  }
  if (running_ >= config_.jobs) {
    refuse(message, 503, "server_busy", "the server is recognising other videos; try again in a moment");
    return true;
  }
  std::string name;
  GBytes* video = video_part(message, name);
  if (video == nullptr || g_bytes_get_size(video) == 0) {
    if (video != nullptr) g_bytes_unref(video);
    refuse(message, 400, "bad_request", "the request is not a form with a non-empty 'video' file field");
    return true;
  }
  start(message, name, video);
  g_bytes_unref(video);
  return true;
}

void UploadApi::start(SoupServerMessage* message, const std::string& name, GBytes* video) {
  const std::string path = write_temporary(video);
  if (path.empty()) {
    refuse(message, 500, "internal", "the server could not store the upload");
    return;
  }
  std::vector<std::string> args = {config_.program, "spot", "--max-seconds", std::to_string(config_.max_seconds)};
  args.insert(args.end(), config_.spot_args.begin(), config_.spot_args.end());
  args.push_back(path);
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  GError* error = nullptr;
  GSubprocess* process = g_subprocess_newv(argv.data(), GSubprocessFlags(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE), &error);
  if (process == nullptr) {
    log_line("upload", std::string("cannot start sueo spot: ") + (error ? error->message : "?"));
    g_clear_error(&error);
    g_unlink(path.c_str());
    refuse(message, 500, "internal", "the server could not start the recognition");
    return;
  }
  auto* job = new Job{this, SOUP_SERVER_MESSAGE(g_object_ref(message)), process, path, name, 0, false, steady_ms(),
                      static_cast<int64_t>(g_bytes_get_size(video))};
  ++running_;
  Metrics::global().add("uploads.started");
  soup_server_message_pause(message);
  job->timer = g_timeout_add_seconds(static_cast<guint>(config_.timeout_s), &UploadApi::timed_out, job);
  g_subprocess_communicate_utf8_async(process, nullptr, nullptr, &UploadApi::finished, job);
}

gboolean UploadApi::timed_out(gpointer data) {
  auto* job = static_cast<Job*>(data);
  job->timer = 0;
  job->timed_out = true;
  g_subprocess_force_exit(job->process);  // communicate then finishes, and answers
  return G_SOURCE_REMOVE;
}

void UploadApi::finished(GObject*, GAsyncResult* result, gpointer data) {
  auto* job = static_cast<Job*>(data);
  char* out = nullptr;
  char* err = nullptr;
  GError* error = nullptr;
  const bool ok = g_subprocess_communicate_utf8_finish(job->process, result, &out, &err, &error);
  const std::string stdout_text = out ? out : "", stderr_text = err ? err : "";
  g_free(out);
  g_free(err);
  if (!ok) g_clear_error(&error);
  if (job->timer != 0) g_source_remove(job->timer);
  g_unlink(job->path.c_str());
  --job->api->running_;

  SoupServerMessage* message = job->message;
  const double elapsed_ms = steady_ms() - job->started_ms;
  nlohmann::json line = last_json_line(stdout_text);
  if (job->timed_out) {
    refuse(message, 504, "timeout", "the video took longer than " + std::to_string(job->api->config_.timeout_s) + " s to recognise");
  } else if (!line.is_object()) {
    log_line("upload", job->name + ": sueo spot gave no answer: " + stderr_text.substr(0, 400));
    refuse(message, 500, "recognition_failed", "the recognition stopped without an answer");
  } else if (line.contains("error")) {
    std::string text = line.value("error", std::string("the video cannot be read"));
    replace_all(text, job->path, job->name);
    const std::string code = line.value("error_code", std::string());
    if (code == "too_long") {
      refuse(message, 413, "too_long", "the video is longer than " + std::to_string(static_cast<int>(job->api->config_.max_seconds)) + " s");
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
  soup_server_message_unpause(message);
  g_object_unref(message);
  g_object_unref(job->process);
  delete job;
}

}  // namespace sueo::transport
