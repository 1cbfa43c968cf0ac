#include "transport/turn_credentials.h"

#include <glib.h>

#include <memory>

namespace sueo::transport {

TurnCredential turn_rest_credential(std::string_view secret, std::string_view label, int64_t expires_unix_s) {
  TurnCredential out;
  out.username = std::to_string(expires_unix_s) + ":" + std::string(label);
  std::unique_ptr<GHmac, decltype(&g_hmac_unref)> hmac(
      g_hmac_new(G_CHECKSUM_SHA1, reinterpret_cast<const guchar*>(secret.data()), secret.size()), g_hmac_unref);
  g_hmac_update(hmac.get(), reinterpret_cast<const guchar*>(out.username.data()),
                static_cast<gssize>(out.username.size()));
  guint8 digest[20];
  gsize length = sizeof digest;
  g_hmac_get_digest(hmac.get(), digest, &length);
  gchar* encoded = g_base64_encode(digest, length);
  out.credential = encoded;
  g_free(encoded);
  return out;
}

}  // namespace sueo::transport
