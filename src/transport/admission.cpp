#include "transport/admission.h"

#include <algorithm>
#include <cctype>

namespace sueo::transport {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// "https://host:443" and "https://host" are one origin.
std::string normalise_origin(std::string_view origin) {
  std::string out = lower(trim(origin));
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (out.size() > 4 && out.compare(out.size() - 4, 4, ":443") == 0 && out.rfind("https://", 0) == 0) {
    out.resize(out.size() - 4);
  }
  return out;
}

}  // namespace

bool origin_allowed(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  const std::string mine = normalise_origin(origin);
  if (allowed.empty()) return mine != "null" && !host.empty() && mine == normalise_origin("https://" + std::string(trim(host)));
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& entry) { return entry == "*" || normalise_origin(entry) == mine; });
}

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const std::vector<std::string>& trusted_proxies) {
  const bool trusted = std::find(trusted_proxies.begin(), trusted_proxies.end(), peer) != trusted_proxies.end();
  if (!trusted || forwarded_for.empty()) return std::string(peer);
  const size_t comma = forwarded_for.rfind(',');
  const std::string_view last = trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
  return last.empty() ? std::string(peer) : std::string(last);
}

bool TokenBucket::take(double now_ms) {
  if (last_ms_ >= 0 && now_ms > last_ms_) tokens_ = std::min(burst_, tokens_ + (now_ms - last_ms_) / 1000.0 * rate_);
  last_ms_ = std::max(last_ms_, now_ms);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

}  // namespace sueo::transport
