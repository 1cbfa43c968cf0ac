// The HTTP side of teaching (docs/teach.md §API): list taught words, teach / rename / remove one, check
// a teach token, and swap the model file — every change behind the teach token.
//
//   GET  /api/vocab                    the taught words (anyone: the Teach view is read-only without a token)
//   POST /api/teach/check              is this token right? (the page asks once, when it is entered)
//   POST /api/vocab                    {"word", "gloss", "examples": [[[258 values] per frame] per example], "session", "replace"}
//   POST /api/vocab/rename             {"word", "to", "gloss"}
//   POST /api/vocab/delete             {"word"}
//   POST /api/model/reload             {"path"} (optional: default the --model file); SIGHUP does the same
//
// The token travels in the `X-Teach-Token` header. A change without it gets 401 teach_token_missing, a
// wrong one 403 teach_token_wrong; each refusal is counted (teach.refused.<code>). The work itself runs
// on the Teacher's thread; the request is paused meanwhile and answered on the main loop.
//
// Thread: GLib main loop only.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <string>

#include "store/teacher.h"

namespace sueo::transport {

struct TeachConfig {
  std::string token;          // never empty once the server runs (a random one is made at start)
  std::string model_path;     // what a reload without "path" (and SIGHUP) loads
  int64_t max_body_bytes = 8 << 20;
};

// A random token of 24 hex digits (96 bits) from GLib's random source.
std::string random_teach_token();

class TeachApi {
 public:
  TeachApi(TeachConfig config, store::Teacher& teacher) : config_(std::move(config)), teacher_(teacher) {}

  // Handles `route` when it is one of the API's; returns false otherwise.
  bool handle(SoupServerMessage* message, const std::string& route, const std::string& method);
  // SIGHUP: reload the model from --model, logging the outcome.
  void reload_from_signal();
  const TeachConfig& config() const { return config_; }

 private:
  bool authorised(SoupServerMessage* message);
  void answer_later(SoupServerMessage* message);  // pauses the message; the teacher's callback answers
  void change(SoupServerMessage* message, const std::string& route);

  TeachConfig config_;
  store::Teacher& teacher_;
};

}  // namespace sueo::transport
