#include "load_run.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "transport/glib_util.h"

namespace sueo::loadgen {
namespace {

using transport::now_ms;

// Runs the main loop until `done` is true or `timeout_ms` passed.
void iterate_until(const bool& done, double timeout_ms) {
  const double until = now_ms() + timeout_ms;
  while (!done && now_ms() < until) g_main_context_iteration(nullptr, TRUE);
}

// Runs the main loop for `ms` milliseconds.
void iterate_for(double ms) {
  bool done = false;
  const guint timer = g_timeout_add_full(G_PRIORITY_DEFAULT, static_cast<guint>(ms), [](gpointer flag) -> gboolean {
    *static_cast<bool*>(flag) = true;
    return G_SOURCE_REMOVE;
  }, &done, nullptr);
  iterate_until(done, ms + 1000);
  if (!done) g_source_remove(timer);
}

double sequence_ms(const StreamSettings& s) {
  const double fps = s.fps > 0 ? s.fps : 15;
  return 1000.0 * static_cast<double>(s.clip->jpegs.size() * static_cast<size_t>(s.passes)) / fps;
}

}  // namespace

ProcessSample sample_self() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  ProcessSample s;
  s.wall_ms = now_ms();
  s.cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_mb = std::stod(line.substr(6)) / 1024.0;
  }
  return s;
}

ProcessSample sample_process(int pid) {
  ProcessSample s;
  s.wall_ms = now_ms();
  if (pid <= 0) return s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  s.cpu_s = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_mb = std::stod(line.substr(6)) / 1024.0;
  }
  return s;
}

RunOutcome run_load(const RunSettings& settings, SoupSession* session,
                    const std::function<StreamSettings(int index)>& make) {
  RunOutcome out;
  out.server_before = sample_process(settings.server_pid);
  double longest_sequence_ms = 0;
  for (int i = 0; i < settings.streams; ++i) {
    StreamSettings stream_settings = make(i);
    longest_sequence_ms = std::max(longest_sequence_ms, sequence_ms(stream_settings));
    auto stream = std::make_shared<StreamClient>(i, std::move(stream_settings), session);
    out.streams.push_back(stream);
    bool ready = false, done = false;
    stream->connect([&](bool ok) {
      ready = ok;
      done = true;
    });
    iterate_until(done, settings.open_timeout_ms);
    if (!ready) {
      if (stream->failure().empty()) stream->close();
      transport::log_line("loadgen", "stream " + std::to_string(i) + " did not open: " +
                                         (stream->failure().empty() ? "timed out" : stream->failure()));
      break;
    }
    ++out.opened;
  }
  if (settings.hold_idle_s > 0) iterate_for(settings.hold_idle_s * 1000);
  out.server_idle = sample_process(settings.server_pid);

  const int n = out.opened;
  const double stagger = settings.stagger && n > 1 ? longest_sequence_ms / n : 0;
  const double t0 = now_ms() + 100;
  out.window_start_ms = t0 + (n - 1) * stagger;
  const double stop = settings.sequences > 0 ? 0 : out.window_start_ms + settings.seconds * 1000;
  int running = n;
  for (int i = 0; i < n; ++i) out.streams[static_cast<size_t>(i)]->run(t0 + i * stagger, stop, [&running] { --running; });

  // The window's edges: every stream streaming, and the stop time (or, by count, the last stream done).
  const bool no_running = false;
  iterate_until(no_running, std::max(0.0, out.window_start_ms - now_ms()));
  out.self_start = sample_self();
  out.server_start = sample_process(settings.server_pid);
  if (stop > 0) {
    iterate_until(no_running, std::max(0.0, stop - now_ms()));
    out.window_end_ms = now_ms();
    out.self_end = sample_self();
    out.server_end = sample_process(settings.server_pid);
  }
  while (running > 0) g_main_context_iteration(nullptr, TRUE);
  if (stop == 0) {
    out.window_end_ms = now_ms();
    out.self_end = sample_self();
    out.server_end = sample_process(settings.server_pid);
  }
  for (auto& stream : out.streams) stream->close();
  iterate_for(1000);  // the server tears the sessions down
  out.server_after = sample_process(settings.server_pid);
  return out;
}

}  // namespace sueo::loadgen
