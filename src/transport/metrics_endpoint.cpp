#include "transport/metrics_endpoint.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace sueo::transport {
namespace {

struct Rule {
  const char* dotted;  // a prefix ending in '.', or an exact name
  const char* family;
  const char* help;
  const char* label;   // for prefixes: the label the rest of the name goes in
};

// Counters of metrics.h and what they are called for Prometheus.
constexpr Rule kCounters[] = {
    {"errors.", "sueo_errors_total", "Errors, by code (each error message sent to a client, plus refusals and timeouts)", "code"},
    {"frames.dropped.", "sueo_frames_dropped_total", "Frames dropped, by reason (docs/protocol.md)", "reason"},
    {"sessions.refused.", "sueo_sessions_refused_total", "WebSocket sessions refused, by reason", "reason"},
    {"messages.refused.", "sueo_messages_refused_total", "Client messages dropped unanswered, by reason", "reason"},
    {"frames.received", "sueo_frames_received_total", "Frames whose chunks all arrived", ""},
    {"frames.decoded", "sueo_frames_decoded_total", "Frames decoded from JPEG", ""},
    {"frames.shed", "sueo_frames_shed_total", "Frames not landmarked because they waited too long for a worker (--shed-after-ms)", ""},
    {"chunks.received", "sueo_chunks_received_total", "DataChannel binary messages (frame chunks) received", ""},
    {"sessions.attempted", "sueo_session_attempts_total", "WebSocket upgrades that asked for a session", ""},
    {"sessions.total", "sueo_sessions_opened_total", "Sessions opened", ""},
    {"sessions.closed", "sueo_sessions_closed_total", "Sessions closed", ""},
    {"channels.opened", "sueo_datachannels_opened_total", "WebRTC DataChannels opened", ""},
    {"sequences.started", "sueo_sequences_started_total", "Sequences started", ""},
    {"sequences.completed", "sueo_sequences_completed_total", "Sequences that got their receipt", ""},
    {"sequences.abandoned", "sueo_sequences_abandoned_total", "Sequences left open by a new sequence or a closed session", ""},
    {"sequences.not_urgent.", "sueo_sequences_not_urgent_total", "Sequence ends whose frames did not go before other sessions' (rate: more than one a second; backlog: over a second of frames waiting)", "reason"},
    {"replies.suppressed", "sueo_error_replies_suppressed_total", "Error messages not sent: past a session's reply budget", ""},
};

constexpr Rule kHistograms[] = {
    {"stage_seconds.", "sueo_stage_duration_seconds",
     "Server time per stage: decode, queue_wait, landmarks (per frame); classifier, after_last_frame (per sequence)", "stage"},
    {"offer_to_open_seconds", "sueo_offer_to_channel_open_seconds", "From a session's offer to its DataChannel open", ""},
    {"main_loop_lag_seconds", "sueo_main_loop_lag_seconds", "How late the main loop ran a 25 ms heartbeat (a stall delays every session)", ""},
    {"peer_teardown_seconds", "sueo_peer_teardown_seconds", "Time to stop one session's WebRTC pipeline (off the main loop)", ""},
    {"malloc_trim_seconds", "sueo_malloc_trim_seconds", "Time glibc's malloc_trim took after sessions closed (off the main loop)", ""},
};

// "frames.lost" → "sueo_frames_lost": a name no rule knows still shows, under a fitting name.
std::string sanitize(const std::string& dotted) {
  std::string out = "sueo_";
  for (char c : dotted) out += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? c : '_';
  return out;
}

PrometheusName map_name(const std::string& dotted, const Rule* begin, const Rule* end, const char* suffix,
                        const char* kind) {
  for (const Rule* rule = begin; rule != end; ++rule) {
    const std::string key = rule->dotted;
    if (key.back() == '.' && dotted.rfind(key, 0) == 0 && dotted.size() > key.size()) {
      return {rule->family, rule->help, rule->label, dotted.substr(key.size())};
    }
    if (key == dotted) return {rule->family, rule->help, "", ""};
  }
  return {sanitize(dotted) + suffix, std::string("sueo ") + kind + " '" + dotted + "'", "", ""};
}

prometheus::MetricFamily& family_for(std::map<std::string, prometheus::MetricFamily>& families,
                                     const PrometheusName& name, prometheus::MetricType type) {
  auto& family = families[name.family];
  family.name = name.family;
  family.help = name.help;
  family.type = type;
  return family;
}

// The process_* metrics Prometheus clients export (names as in the Go and Python clients).
void add_process_metrics(std::map<std::string, prometheus::MetricFamily>& families) {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return;
  std::istringstream fields(stat.substr(paren + 2));
  std::vector<std::string> f((std::istream_iterator<std::string>(fields)), {});
  // Field numbers of proc(5) less 3 (state is field 3): utime 14, stime 15, num_threads 20,
  // starttime 22, vsize 23, rss 24.
  auto at = [&f](size_t field) { return field - 3 < f.size() ? std::stod(f[field - 3]) : 0.0; };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  double boot_time = 0;
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
  }
  int fds = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (const dirent* entry = readdir(dir)) fds += entry->d_name[0] != '.';
    closedir(dir);
    --fds;  // the directory handle itself
  }
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  auto gauge = [&families](const char* name, const char* help, prometheus::MetricType type, double value) {
    auto& family = families[name];
    family.name = name;
    family.help = help;
    family.type = type;
    prometheus::ClientMetric metric;
    (type == prometheus::MetricType::Counter ? metric.counter.value : metric.gauge.value) = value;
    family.metric.push_back(metric);
  };
  gauge("process_cpu_seconds_total", "User and system CPU time spent in seconds", prometheus::MetricType::Counter,
        (at(14) + at(15)) / ticks);
  gauge("process_resident_memory_bytes", "Resident memory size in bytes", prometheus::MetricType::Gauge, at(24) * page);
  gauge("process_virtual_memory_bytes", "Virtual memory size in bytes", prometheus::MetricType::Gauge, at(23));
  gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds",
        prometheus::MetricType::Gauge, boot_time + at(22) / ticks);
  gauge("process_open_fds", "Number of open file descriptors", prometheus::MetricType::Gauge, fds);
  gauge("process_max_fds", "Maximum number of open file descriptors", prometheus::MetricType::Gauge,
        static_cast<double>(limit.rlim_cur));
  gauge("sueo_process_threads", "Threads of the sueo process", prometheus::MetricType::Gauge, at(20));
}

}  // namespace

PrometheusName counter_name(const std::string& dotted) {
  return map_name(dotted, std::begin(kCounters), std::end(kCounters), "_total", "counter");
}

PrometheusName histogram_name(const std::string& dotted) {
  return map_name(dotted, std::begin(kHistograms), std::end(kHistograms), "", "histogram");
}

std::string prometheus_text(const std::map<std::string, int64_t>& counters,
                            const std::map<std::string, Histogram::Snapshot>& histograms,
                            const std::vector<GaugeValue>& gauges, bool process_metrics) {
  std::map<std::string, prometheus::MetricFamily> families;
  for (const auto& [dotted, value] : counters) {
    const PrometheusName name = counter_name(dotted);
    prometheus::ClientMetric metric;
    if (!name.label.empty()) metric.label.push_back({name.label, name.label_value});
    metric.counter.value = static_cast<double>(value);
    family_for(families, name, prometheus::MetricType::Counter).metric.push_back(metric);
  }
  for (const auto& [dotted, snapshot] : histograms) {
    const PrometheusName name = histogram_name(dotted);
    prometheus::ClientMetric metric;
    if (!name.label.empty()) metric.label.push_back({name.label, name.label_value});
    for (size_t i = 0; i < snapshot.bounds.size(); ++i) {
      metric.histogram.bucket.push_back({snapshot.cumulative[i], snapshot.bounds[i]});
    }
    metric.histogram.bucket.push_back({snapshot.cumulative.back(), std::numeric_limits<double>::infinity()});
    metric.histogram.sample_count = snapshot.cumulative.back();
    metric.histogram.sample_sum = snapshot.sum;
    family_for(families, name, prometheus::MetricType::Histogram).metric.push_back(metric);
  }
  for (const auto& gauge : gauges) {
    auto& family = families[gauge.name];
    family.name = gauge.name;
    family.help = gauge.help;
    family.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric metric;
    for (const auto& [label, value] : gauge.labels) metric.label.push_back({label, value});
    metric.gauge.value = gauge.value;
    family.metric.push_back(metric);
  }
  if (process_metrics) add_process_metrics(families);
  std::vector<prometheus::MetricFamily> ordered;
  for (auto& [name, family] : families) ordered.push_back(std::move(family));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, ordered);
  return out.str();
}

}  // namespace sueo::transport
