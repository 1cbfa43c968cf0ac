// One field of a multipart/form-data body (RFC 7578, RFC 2046 §5.1), read as the body arrives: the
// bytes of the first part whose Content-Disposition names `field` go to a sink, chunk by chunk, so a
// 200 MB upload goes to its file without ever being whole in memory. Between chunks it keeps at most a
// delimiter's length of the body (and a part's headers, up to kMaxHeaderBytes).
//
// What it accepts is what libsoup's soup_multipart_new_from_message() accepts (which the server used
// before it streamed): the first delimiter may open the body without the CRLF before it; CRLF "--"
// boundary is a delimiter only when "--" or CRLF follows (else it is data; no transport padding);
// a preamble and an epilogue are ignored; a body without its closing delimiter is incomplete.
// Unlike libsoup it refuses a part's headers over kMaxHeaderBytes.
//
// Thread: any, one at a time (the upload's writer hands it from task to task).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <libsoup/soup.h>

namespace sueo::transport {

class MultipartField {
 public:
  // Receives the field's bytes in order; false stops the reading (e.g. the disk is full).
  using Sink = std::function<bool(std::string_view)>;
  static constexpr size_t kMaxHeaderBytes = 16 << 10;  // one part's headers; browsers send ~150 B

  MultipartField(std::string_view boundary, std::string field, Sink sink);

  // The next bytes of the body. False once the body is malformed or the sink refused: the rest of the
  // body is then ignored.
  bool feed(std::string_view bytes);
  // The body ended with its closing delimiter and had the field.
  bool complete() const { return state_ == State::kDone && found_; }
  bool failed() const { return state_ == State::kBad; }
  // The field's `filename` parameter (or the field's name when it has none).
  const std::string& file_name() const { return file_name_; }
  int64_t field_bytes() const { return field_bytes_; }

 private:
  enum class State { kPreamble, kHeaders, kBody, kDone, kBad };
  bool step();  // one state's work on pending_; false: needs more bytes (or done/bad)
  bool scan_data();
  bool read_headers();
  bool emit(std::string_view data);

  std::string delimiter_;  // CRLF "--" boundary
  std::string field_;
  Sink sink_;
  std::string pending_;  // bytes received and not yet consumed
  State state_ = State::kPreamble;
  bool capturing_ = false, found_ = false;
  std::string file_name_;
  int64_t field_bytes_ = 0;
};

// The boundary of a multipart/form-data request (its Content-Type's parameter), if it is one.
std::optional<std::string> form_boundary(SoupMessageHeaders* headers);

}  // namespace sueo::transport
