#include "transport/glib_util.h"

#include <gio/gio.h>

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

namespace {

struct ThreadTask {
  std::function<void()> work, done;
};

void run_logged(std::function<void()>& fn, const char* what) {
  std::function<void()> local = std::move(fn);  // destroyed here, on the thread that ran it
  try {
    if (local) local();
  } catch (const std::exception& error) {
    log_line("main", std::string(what) + " failed: " + error.what());
  }
}

}  // namespace

void run_in_thread(std::function<void()> work, std::function<void()> done) {
  // The task is created here (the main loop), so its callback runs on the main loop.
  GTask* task = g_task_new(
      nullptr, nullptr,
      [](GObject*, GAsyncResult* result, gpointer) {
        auto* data = static_cast<ThreadTask*>(g_task_get_task_data(G_TASK(result)));
        run_logged(data->done, "task after thread work");
      },
      nullptr);
  g_task_set_task_data(task, new ThreadTask{std::move(work), std::move(done)},
                       [](gpointer data) { delete static_cast<ThreadTask*>(data); });  // both already empty
  g_task_run_in_thread(task, [](GTask* self, gpointer, gpointer data, GCancellable*) {
    run_logged(static_cast<ThreadTask*>(data)->work, "thread work");
    g_task_return_boolean(self, TRUE);
  });
  g_object_unref(task);
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
