// TURN REST credentials: the user name carries the expiry and the label; the password is the HMAC
// coturn recomputes. The expected values come from Python's hmac module (an independent
// implementation): base64(hmac.new(secret, username, hashlib.sha1).digest()).
#include <gtest/gtest.h>

#include "transport/turn_credentials.h"

namespace sueo::transport {
namespace {

TEST(TurnCredentials, UserNameIsExpiryThenLabel) {
  const auto c = turn_rest_credential("north-wind", "ab12cd34-7", 1764800000);
  EXPECT_EQ(c.username, "1764800000:ab12cd34-7");
}

TEST(TurnCredentials, PasswordIsBase64HmacSha1OfTheUserName) {
  EXPECT_EQ(turn_rest_credential("north-wind", "ab12cd34-7", 1764800000).credential, "7XiQnw70e9TCkRdrZFmdVYv25x4=");
}

TEST(TurnCredentials, DependsOnSecretAndExpiry) {
  const auto base = turn_rest_credential("north-wind", "s", 100);
  EXPECT_NE(base.credential, turn_rest_credential("south-wind", "s", 100).credential);
  EXPECT_NE(base.credential, turn_rest_credential("north-wind", "s", 101).credential);
  EXPECT_EQ(base.credential.size(), 28u);  // 20 bytes of SHA-1 in base64
}

}  // namespace
}  // namespace sueo::transport
