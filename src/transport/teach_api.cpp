#include "transport/teach_api.h"

#include <cmath>

#include "metrics.h"
#include "transport/glib_util.h"
#include "transport/http_guard.h"

namespace sueo::transport {
namespace {

void refuse(SoupServerMessage* message, int status, const std::string& code, const std::string& text) {
  Metrics::global().add("teach.refused." + code);
  respond_json(message, status, {{"error", code}, {"message", text}});
}

// Pauses `message` and returns the callback that answers it from any thread: the answer is set and
// the message resumed on the main loop, where libsoup objects may be touched.
store::Teacher::Done reply_to(SoupServerMessage* message) {
  soup_server_message_pause(message);
  std::shared_ptr<SoupServerMessage> held(SOUP_SERVER_MESSAGE(g_object_ref(message)), [](SoupServerMessage* m) {
    g_object_unref(m);
  });
  return [held](int status, nlohmann::json body) {
    post_to_main([held, status, body = std::move(body)] {
      if (status >= 400) Metrics::global().add("teach.errors." + body.value("error", std::string("unknown")));
      respond_json(held.get(), status, body);
      soup_server_message_unpause(held.get());
    });
  };
}

// Takes as long for a near miss as for a far one, so the answer time does not leak the token.
bool constant_time_equal(const std::string& given, const std::string& token) {
  if (token.empty()) return false;
  unsigned char diff = given.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ token[i % token.size()]);
  return diff == 0;
}

// An example is an array of frames (each 258 numbers) or {"frames": [...]}.
sign::Sequence parse_example(const nlohmann::json& item, size_t index) {
  const nlohmann::json& frames = item.is_object() ? item.value("frames", nlohmann::json()) : item;
  const std::string where = "example " + std::to_string(index + 1);
  if (!frames.is_array()) throw store::InvalidInput(where + " is not an array of frames");
  if (frames.size() > store::kMaxExampleFrames) throw store::InvalidInput(where + " has too many frames");
  sign::Sequence out;
  out.reserve(frames.size());
  for (const auto& f : frames) {
    if (!f.is_array() || f.size() != sign::kFrameValues)
      throw store::InvalidInput(where + ": every frame must be an array of 258 numbers");
    sign::Frame frame{};
    for (size_t v = 0; v < sign::kFrameValues; ++v) {
      if (!f[v].is_number() || !std::isfinite(f[v].get<double>())) throw store::InvalidInput(where + " holds a non-number");
      frame[v] = f[v].get<float>();
    }
    out.push_back(frame);
  }
  return out;
}

std::string text_field(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return "";
  if (!it->is_string()) throw store::InvalidInput(std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

}  // namespace

std::string random_teach_token() {
  static const char* kHex = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 24; ++i) token += kHex[g_random_int_range(0, 16)];
  return token;
}

bool TeachApi::authorised(SoupServerMessage* message) {
  SoupMessageHeaders* headers = soup_server_message_get_request_headers(message);
  const char* given = soup_message_headers_get_one(headers, "X-Teach-Token");
  if (given == nullptr || *given == '\0') {
    refuse(message, SOUP_STATUS_UNAUTHORIZED, "teach_token_missing",
           "changing what the server recognises needs the teach token (printed when the server starts)");
    return false;
  }
  if (!constant_time_equal(given, config_.token)) {
    refuse(message, SOUP_STATUS_FORBIDDEN, "teach_token_wrong", "the teach token is not right");
    return false;
  }
  return true;
}

bool TeachApi::handle(SoupServerMessage* message, const std::string& route, const std::string& method) {
  const bool ours = route == "/api/vocab" || route.rfind("/api/vocab/", 0) == 0 || route == "/api/teach/check" ||
                    route == "/api/model/reload";
  if (!ours) return false;
  if (route == "/api/vocab" && (method == "GET" || method == "HEAD")) {
    teacher_.list(reply_to(message));
    return true;
  }
  if (method != "POST") {
    refuse(message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed", route + " takes POST");
    return true;
  }
  if (!authorised(message)) return true;
  if (route == "/api/teach/check") {
    respond_json(message, SOUP_STATUS_OK, {{"ok", true}});
    return true;
  }
  change(message, route);
  return true;
}

void TeachApi::change(SoupServerMessage* message, const std::string& route) {
  SoupMessageBody* request = soup_server_message_get_request_body(message);
  if (request->length > config_.max_body_bytes) {
    refuse(message, 413, "body_too_large", "the request is larger than " + std::to_string(config_.max_body_bytes) + " bytes");
    return;
  }
  nlohmann::json body;
  try {
    body = request->length > 0 ? nlohmann::json::parse(request->data, request->data + request->length)
                               : nlohmann::json::object();
    if (!body.is_object()) throw store::InvalidInput("the body must be a JSON object");
    if (route == "/api/model/reload") {
      const std::string path = text_field(body, "path");
      teacher_.reload_model(path.empty() ? config_.model_path : path, reply_to(message));
    } else if (route == "/api/vocab") {
      const auto& examples = body.value("examples", nlohmann::json());
      if (!examples.is_array()) throw store::InvalidInput("\"examples\" must be an array");
      if (examples.size() > store::kMaxExamples) throw store::InvalidInput("too many examples");
      std::vector<sign::Sequence> parsed;
      for (size_t i = 0; i < examples.size(); ++i) parsed.push_back(parse_example(examples[i], i));
      teacher_.add(text_field(body, "word"), text_field(body, "gloss"), std::move(parsed), text_field(body, "session"),
                   body.value("replace", false), reply_to(message));
    } else if (route == "/api/vocab/rename") {
      teacher_.rename(text_field(body, "word"), text_field(body, "to"), text_field(body, "gloss"), reply_to(message));
    } else if (route == "/api/vocab/delete") {
      teacher_.remove(text_field(body, "word"), reply_to(message));
    } else {
      refuse(message, SOUP_STATUS_NOT_FOUND, "not_found", route + " is not part of the teach API");
    }
  } catch (const nlohmann::json::exception& error) {
    refuse(message, SOUP_STATUS_BAD_REQUEST, "bad_json", error.what());
  } catch (const store::InvalidInput& error) {
    refuse(message, SOUP_STATUS_BAD_REQUEST, "invalid_input", error.what());
  }
}

void TeachApi::reload_from_signal() {
  log_line("teach", "SIGHUP: reloading the model from " + config_.model_path);
  teacher_.reload_model(config_.model_path, [](int status, nlohmann::json body) {
    // On the teacher's thread: only log (stdio is thread-safe).
    log_line("teach", status == 200 ? "model swapped: " + body["model"].dump() : "model refused: " + body.dump());
  });
}

}  // namespace sueo::transport
