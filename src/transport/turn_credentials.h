// Time-limited TURN credentials by the TURN REST scheme (draft-uberti-behave-turn-rest-00; coturn's
// `use-auth-secret` + `static-auth-secret`): the user name is "<expiry, Unix seconds>:<label>" and
// the password is base64(HMAC-SHA1(shared secret, user name)). The TURN server recomputes the HMAC
// with the same secret and refuses a name whose time has passed, so nothing is stored per user and
// a leaked credential stops working at its expiry.
// Thread: any (pure functions).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sueo::transport {

struct TurnCredential {
  std::string username;
  std::string credential;
};

// `label` names the holder in the TURN server's logs (the session id); it must not contain ':'.
TurnCredential turn_rest_credential(std::string_view secret, std::string_view label, int64_t expires_unix_s);

}  // namespace sueo::transport
