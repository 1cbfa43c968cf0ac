#include "transport/http_guard.h"

#include "metrics.h"
#include "transport/glib_util.h"

namespace sueo::transport {
namespace {

// The header deadline of one request: armed when libsoup starts a request (for a connection's first
// request that is the moment it is accepted, before TLS), disarmed when its headers are in.
struct Deadline {
  GObjectPtr<GSocket> socket;
  guint timer = 0;

  ~Deadline() {
    if (timer != 0) g_source_remove(timer);
  }
};

constexpr const char* kDeadlineKey = "sueo-header-deadline";

gboolean on_deadline(gpointer data) {
  auto* deadline = static_cast<Deadline*>(data);
  deadline->timer = 0;
  Metrics::global().add("errors.http_timeout");
  // Shutting the socket down makes libsoup's pending read (TLS handshake or headers) see EOF, and its
  // own error path then disconnects and frees the connection.
  g_socket_shutdown(deadline->socket.get(), TRUE, TRUE, nullptr);
  return G_SOURCE_REMOVE;
}

struct Timeouts {
  guint http_s;
  guint websocket_s;
};

void on_got_headers(SoupServerMessage* message, gpointer user) {
  // Dropping the data runs ~Deadline, which removes the timer.
  g_object_set_data(G_OBJECT(message), kDeadlineKey, nullptr);
  // A WebSocket upgrade gets its own bound now, before libsoup makes the socket sources the
  // WebSocket will use (a GSocket source takes the socket's timeout when it is created).
  auto* headers = soup_server_message_get_request_headers(message);
  GSocket* socket = soup_server_message_get_socket(message);
  if (socket != nullptr && soup_message_headers_header_equals(headers, "Upgrade", "websocket")) {
    g_socket_set_timeout(socket, static_cast<const Timeouts*>(user)->websocket_s);
  }
}

void on_request_started(SoupServer*, SoupServerMessage* message, gpointer user) {
  const Timeouts* timeouts = static_cast<const Timeouts*>(user);
  const guint timeout_s = timeouts->http_s;
  GSocket* socket = soup_server_message_get_socket(message);
  if (socket == nullptr) return;  // a stream handed in by soup_server_accept_iostream: not ours
  g_socket_set_timeout(socket, timeout_s);
  auto* deadline = new Deadline{GObjectPtr<GSocket>(G_SOCKET(g_object_ref(socket)))};
  deadline->timer = g_timeout_add_seconds(timeout_s, on_deadline, deadline);
  g_object_set_data_full(G_OBJECT(message), kDeadlineKey, deadline,
                         [](gpointer data) { delete static_cast<Deadline*>(data); });
  g_signal_connect(message, "got-headers", G_CALLBACK(on_got_headers), user);
}

}  // namespace

void guard_http_connections(SoupServer* server, unsigned http_timeout_s, unsigned websocket_timeout_s) {
  auto* timeouts = new Timeouts{http_timeout_s, websocket_timeout_s};
  g_signal_connect_data(server, "request-started", G_CALLBACK(on_request_started), timeouts,
                        [](gpointer data, GClosure*) { delete static_cast<Timeouts*>(data); }, GConnectFlags(0));
}

void close_after_response(SoupServerMessage* message) {
  soup_message_headers_replace(soup_server_message_get_response_headers(message), "Connection", "close");
}

void respond_json(SoupServerMessage* message, int status, const nlohmann::json& body, int indent) {
  const std::string text = body.dump(indent) + "\n";
  soup_server_message_set_status(message, static_cast<guint>(status), nullptr);
  soup_message_headers_replace(soup_server_message_get_response_headers(message), "Cache-Control", "no-store");
  soup_server_message_set_response(message, "application/json", SOUP_MEMORY_COPY, text.data(), text.size());
}

}  // namespace sueo::transport
