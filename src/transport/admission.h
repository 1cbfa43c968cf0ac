// Who may open a session and how fast a session may talk: the pure rules (no GLib), used by the
// server and the sessions, unit-tested on their own.
//
// What the defaults protect against:
//  - Origin: another web site's page, opened in a browser on the LAN, cannot make that browser open a
//    session here (cross-site WebSocket hijacking: it would use the server's capacity, and with the
//    landmark preview on, read what the camera sees). Non-browser clients send no Origin and are let in:
//    they can claim any Origin anyway.
//  - Sessions per client address: one device (or one script) cannot hold every session slot.
//  - Messages per second per session: a flood of small messages costs a reply each and CPU; past the
//    bucket they are dropped unanswered, and a session that keeps flooding is closed.
//
// Thread: any (plain values; a TokenBucket belongs to one session and is guarded by its owner).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sueo::transport {

// Whether a WebSocket upgrade with this `origin` header (empty: none sent) may proceed. `host` is the
// request's Host header. With `allowed` empty only the server's own origin passes ("https://" + Host);
// otherwise the listed origins do ("*" lets any origin in). "null" (a sandboxed or file:// page) passes
// only when listed.
bool origin_allowed(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed);

// The client's address for per-address limits: the TCP peer, or — when the peer is one of
// `trusted_proxies` — the last address in its X-Forwarded-For header (the one that proxy added).
std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const std::vector<std::string>& trusted_proxies);

// A token bucket: `rate` tokens a second, at most `burst` stored; take() spends one when there is one.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  bool take(double now_ms);

 private:
  double rate_;
  double burst_;
  double tokens_;
  double last_ms_ = -1;
};

}  // namespace sueo::transport
