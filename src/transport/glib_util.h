// RAII for GLib/GObject/GStreamer handles and a way to run code on the main loop.
// Thread: any (post_to_main may be called from any thread; the posted function runs on the thread
// that runs the default main context).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <glib-object.h>
#include <glib.h>
#include <gst/gst.h>

namespace sueo::transport {

struct GObjectUnref {
  void operator()(gpointer object) const { if (object != nullptr) g_object_unref(object); }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

struct GstObjectUnref {
  void operator()(gpointer object) const { if (object != nullptr) gst_object_unref(object); }
};
template <typename T>
using GstPtr = std::unique_ptr<T, GstObjectUnref>;

struct GErrorFree {
  void operator()(GError* error) const { if (error != nullptr) g_error_free(error); }
};
using GErrorPtr = std::unique_ptr<GError, GErrorFree>;

struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
using GCharPtr = std::unique_ptr<gchar, GFree>;

// Runs `fn` on the default main context (the GLib main loop) as soon as it is idle. The function is
// moved into the closure; exceptions it throws are caught and logged.
void post_to_main(std::function<void()> fn);

// Runs `work` on GLib's shared thread pool (a GTask), then `done` on the default main context. Both
// functions are destroyed where they ran; exceptions are caught and logged. For blocking work (file
// I/O, starting a process) that must not stall the main loop and is not the CPU workers' business.
void run_in_thread(std::function<void()> work, std::function<void()> done);

// Milliseconds since the Unix epoch, as a double (the server clock of the protocol).
double now_ms();

// Logs a line to stderr with a timestamp and a component name.
void log_line(const char* component, const std::string& message);

}  // namespace sueo::transport
