#include "transport/multipart_field.h"

#include <algorithm>
#include <memory>

namespace sueo::transport {
namespace {

struct HeadersFree {
  void operator()(SoupMessageHeaders* headers) const { soup_message_headers_unref(headers); }
};

// The `name` and `filename` of a part's Content-Disposition (libsoup parses the header: quoting,
// RFC 5987 `filename*`), from the part's header block (lines joined by CRLF, without the blank line).
bool disposition(const std::string& block, std::string& name, std::string& file) {
  std::unique_ptr<SoupMessageHeaders, HeadersFree> headers(soup_message_headers_new(SOUP_MESSAGE_HEADERS_MULTIPART));
  // soup_headers_parse() skips a first line (a request or status line), as soup_multipart does.
  const std::string text = "-\r\n" + block + "\r\n";
  if (!soup_headers_parse(text.data(), static_cast<int>(text.size()), headers.get())) return false;
  char* value = nullptr;
  GHashTable* params = nullptr;
  if (!soup_message_headers_get_content_disposition(headers.get(), &value, &params)) return false;
  const auto* field = static_cast<const char*>(g_hash_table_lookup(params, "name"));
  const auto* filename = static_cast<const char*>(g_hash_table_lookup(params, "filename"));
  name = field != nullptr ? field : "";
  file = filename != nullptr ? filename : "";
  g_free(value);
  g_hash_table_destroy(params);
  return true;
}

}  // namespace

MultipartField::MultipartField(std::string_view boundary, std::string field, Sink sink)
    : delimiter_("\r\n--" + std::string(boundary)), field_(std::move(field)), sink_(std::move(sink)) {
  // The first delimiter may open the body with no CRLF before it: one CRLF in front lets the same
  // search find it.
  pending_ = "\r\n";
  if (boundary.empty()) state_ = State::kBad;
}

bool MultipartField::feed(std::string_view bytes) {
  if (state_ == State::kBad) return false;
  if (state_ == State::kDone) return true;  // the epilogue
  pending_.append(bytes);
  while (step()) {
  }
  if (state_ == State::kDone) pending_.clear();
  return state_ != State::kBad;
}

bool MultipartField::step() {
  switch (state_) {
    case State::kPreamble:
    case State::kBody:
      return scan_data();
    case State::kHeaders:
      return read_headers();
    case State::kDone:
    case State::kBad:
      return false;
  }
  return false;
}

// Preamble or a part's data, up to the next delimiter: CRLF "--" boundary followed by "--" or CRLF
// (anything else after it is data, as libsoup reads it). Without one in pending_, all but the last
// delimiter-length + 1 bytes (the start of a delimiter split between chunks) are passed on.
bool MultipartField::scan_data() {
  const size_t keep = delimiter_.size() + 1;
  for (size_t from = 0;;) {
    const size_t at = pending_.find(delimiter_, from);
    if (at == std::string::npos) {
      if (pending_.size() <= keep) return false;
      const size_t n = pending_.size() - keep;
      if (!emit(std::string_view(pending_).substr(0, n))) return false;
      pending_.erase(0, n);
      return false;
    }
    const size_t line = at + delimiter_.size();
    if (pending_.size() < line + 2) {  // the delimiter line's end is still to come
      if (!emit(std::string_view(pending_).substr(0, at))) return false;
      pending_.erase(0, at);
      return false;
    }
    if (pending_.compare(line, 2, "--") != 0 && pending_.compare(line, 2, "\r\n") != 0) {
      from = at + 1;
      continue;
    }
    if (!emit(std::string_view(pending_).substr(0, at))) return false;
    if (capturing_) {
      capturing_ = false;
      found_ = true;
    }
    state_ = pending_.compare(line, 2, "--") == 0 ? State::kDone : State::kHeaders;
    pending_.erase(0, line + 2);
    return state_ == State::kHeaders;
  }
}

bool MultipartField::read_headers() {
  std::string block;
  if (pending_.compare(0, 2, "\r\n") == 0) {
    pending_.erase(0, 2);  // a part without headers
  } else {
    const size_t end = pending_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (pending_.size() > kMaxHeaderBytes) state_ = State::kBad;
      return false;
    }
    if (end > kMaxHeaderBytes) {
      state_ = State::kBad;
      return false;
    }
    block = pending_.substr(0, end);
    pending_.erase(0, end + 4);
  }
  std::string name, file;
  if (!found_ && !block.empty() && disposition(block, name, file) && name == field_) {
    capturing_ = true;
    file_name_ = file.empty() ? name : file;
  }
  state_ = State::kBody;
  return true;
}

bool MultipartField::emit(std::string_view data) {
  if (state_ != State::kBody || !capturing_ || data.empty()) return true;
  field_bytes_ += static_cast<int64_t>(data.size());
  if (sink_(data)) return true;
  state_ = State::kBad;
  return false;
}

std::optional<std::string> form_boundary(SoupMessageHeaders* headers) {
  GHashTable* params = nullptr;
  const char* type = soup_message_headers_get_content_type(headers, &params);
  if (type == nullptr) return std::nullopt;
  std::optional<std::string> boundary;
  const auto* value = static_cast<const char*>(g_hash_table_lookup(params, "boundary"));
  if (g_ascii_strncasecmp(type, "multipart/", 10) == 0 && value != nullptr && *value != '\0') boundary = value;
  g_hash_table_destroy(params);
  return boundary;
}

}  // namespace sueo::transport
