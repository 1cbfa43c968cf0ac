#include "transport/glib_util.h"

#include <cstdio>
#include <exception>

namespace sueo::transport {

void post_to_main(std::function<void()> fn) {
  auto* heap = new std::function<void()>(std::move(fn));  // owned by the GLib source below
  g_main_context_invoke_full(
      nullptr, G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        auto* task = static_cast<std::function<void()>*>(data);
        try {
          (*task)();
        } catch (const std::exception& error) {
          log_line("main", std::string("posted task failed: ") + error.what());
        }
        return G_SOURCE_REMOVE;
      },
      heap, [](gpointer data) { delete static_cast<std::function<void()>*>(data); });
}

double now_ms() { return static_cast<double>(g_get_real_time()) / 1000.0; }

void log_line(const char* component, const std::string& message) {
  GDateTime* now = g_date_time_new_now_local();
  gchar* stamp = g_date_time_format(now, "%H:%M:%S");
  std::fprintf(stderr, "%s.%03d [%s] %s\n", stamp, g_date_time_get_microsecond(now) / 1000, component,
               message.c_str());
  g_free(stamp);
  g_date_time_unref(now);
}

}  // namespace sueo::transport
