// N simulated pages against one server: opened one after another (each handshake on a server holding
// the others idle), then streaming together with their starts spread over one sequence, so their
// sequences end at different times as independent users' would. The steady window is the time every
// stream is streaming; CPU (ours and, given its pid, the server's) and the server's memory are sampled
// at its edges.
// Thread: main loop (run() runs it and returns when every stream is done).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <libsoup/soup.h>
#include <nlohmann/json.hpp>

#include "stream_client.h"

namespace sueo::loadgen {

struct RunSettings {
  int streams = 1;
  double seconds = 20;     // steady window length; sequences start until its end
  int sequences = 0;       // > 0: each stream runs exactly this many sequences instead
  bool stagger = true;     // spread the streams' starts over one sequence
  double hold_idle_s = 0;  // keep the sessions open and idle this long before streaming (memory)
  int server_pid = 0;      // 0: no server-side figures
  double open_timeout_ms = 20000;
};

// CPU seconds and resident memory of a process at one moment.
struct ProcessSample {
  double wall_ms = 0;
  double cpu_s = 0;   // user + system, all threads
  double rss_mb = 0;  // VmRSS
};
ProcessSample sample_self();
ProcessSample sample_process(int pid);  // zeros when the process cannot be read

struct RunOutcome {
  std::vector<std::shared_ptr<StreamClient>> streams;
  double window_start_ms = 0, window_end_ms = 0;
  ProcessSample self_start, self_end;
  ProcessSample server_before, server_idle, server_start, server_end, server_after;
  int opened = 0;  // streams whose channel opened
};

// Opens `settings.streams` streams, streams, closes them. `make` builds stream i's settings.
RunOutcome run_load(const RunSettings& settings, SoupSession* session,
                    const std::function<StreamSettings(int index)>& make);

}  // namespace sueo::loadgen
