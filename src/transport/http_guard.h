// Bounds on every plain HTTP connection libsoup accepts, so that idle or slow sockets cannot pile up:
//  - a connection must finish its TLS handshake and send a request's headers within `timeout_s` of being
//    accepted (the header deadline; a slowloris trickling one byte at a time is cut off too);
//  - every socket wait (a read or a write that makes no progress) is bounded by `timeout_s` as well
//    (GSocket's own timeout); a WebSocket's socket waits are bounded by `websocket_timeout_s` instead;
//  - every response but the WebSocket upgrade carries "Connection: close" (see close_after_response()).
//
// Why no keep-alive: libsoup 3.2.3 (Debian 12) never closes a keep-alive connection that the client
// closes while idle: the next request's reader hits EOF with no completion callback attached, so the
// socket stays in CLOSE_WAIT for the life of the process (fixed upstream in libsoup 3.3.0, commit
// d20c6601 "server: do not leak idle connections closed by the client"). A browser that exits left 6
// such sockets, a `curl` request 1. Closing after each response costs a TLS handshake per request
// (the page is ~15 small files; a monitor polls /healthz), and leaks nothing.
//
// Thread: main loop only.
#pragma once

#include <libsoup/soup.h>

#include <nlohmann/json.hpp>

namespace sueo::transport {

// Watches every connection of `server` (call once, before listening). Each connection cut off by the
// deadline counts `errors.http_timeout`. A WebSocket upgrade's socket gets `websocket_timeout_s`.
void guard_http_connections(SoupServer* server, unsigned http_timeout_s, unsigned websocket_timeout_s);

// Marks the response so libsoup closes the connection after writing it.
void close_after_response(SoupServerMessage* message);

// Answers with `body` as JSON (one line, or indented by `indent` spaces for people reading it), `status`,
// and Cache-Control: no-store (API answers are never cached).
void respond_json(SoupServerMessage* message, int status, const nlohmann::json& body, int indent = -1);

}  // namespace sueo::transport
