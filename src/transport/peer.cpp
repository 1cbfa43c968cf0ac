#include "transport/peer.h"

#include <gst/sdp/sdp.h>
#include <malloc.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <regex>
#include <stdexcept>

#include "metrics.h"
#include "transport/glib_util.h"

namespace sueo::transport {

struct Peer::Shared {
  PeerEvents events;
  std::atomic<bool> detached{false};  // the Peer is gone: its pipeline is being stopped, events are dropped
  std::mutex mutex;
  GstWebRTCDataChannel* channel = nullptr;  // ref held; guarded by mutex

  ~Shared() {
    if (channel != nullptr) g_object_unref(channel);
  }
};

namespace {

using SharedPtr = std::shared_ptr<Peer::Shared>;

// Signal handlers get a heap copy of the shared state; GLib deletes it when the handler goes.
gpointer hold(const SharedPtr& shared) { return new SharedPtr(shared); }
void release(gpointer data, GClosure*) { delete static_cast<SharedPtr*>(data); }
Peer::Shared& state(gpointer data) { return **static_cast<SharedPtr*>(data); }

void fail(Peer::Shared& shared, const std::string& code, const std::string& message) {
  if (!shared.detached.load() && shared.events.on_failure) shared.events.on_failure(code, message);
}

void on_message_data(GstWebRTCDataChannel*, GBytes* data, gpointer user) {
  if (state(user).detached.load()) return;
  // An empty message (WebRTC's "binary empty" PPID) arrives as NULL: it is passed on as null, so the
  // session can answer it like any other bad chunk.
  if (state(user).events.on_binary) state(user).events.on_binary(data);
}

void on_message_string(GstWebRTCDataChannel*, gchar* text, gpointer user) {
  if (state(user).detached.load()) return;
  if (state(user).events.on_text) state(user).events.on_text(text != nullptr ? text : "");  // NULL: empty
}

void on_channel_error(GstWebRTCDataChannel*, GError* error, gpointer user) {
  fail(state(user), "peer_failed", std::string("data channel error: ") + (error ? error->message : "?"));
}

// Runs on webrtcbin's pc thread with its lock held: touch only the channel, never webrtcbin.
void on_data_channel(GstElement*, GstWebRTCDataChannel* channel, gpointer user) {
  auto& shared = state(user);
  if (shared.detached.load()) return;
  gchar* label = nullptr;
  g_object_get(channel, "label", &label, nullptr);
  const std::string name = label != nullptr ? label : "";
  g_free(label);
  {
    std::lock_guard lock(shared.mutex);
    if (shared.channel != nullptr) {
      fail(shared, "bad_message", "only one data channel per session is accepted");
      return;
    }
    shared.channel = GST_WEBRTC_DATA_CHANNEL(g_object_ref(channel));
  }
  if (name != "frames") {
    fail(shared, "bad_message", "the data channel must be labelled 'frames', not '" + name + "'");
  }
  const SharedPtr& owner = *static_cast<SharedPtr*>(user);
  g_signal_connect_data(channel, "on-message-data", G_CALLBACK(on_message_data), hold(owner), release,
                        GConnectFlags(0));
  g_signal_connect_data(channel, "on-message-string", G_CALLBACK(on_message_string), hold(owner), release,
                        GConnectFlags(0));
  g_signal_connect_data(channel, "on-error", G_CALLBACK(on_channel_error), hold(owner), release,
                        GConnectFlags(0));
  if (shared.events.on_channel_open) shared.events.on_channel_open();
}

struct CandidateContext {
  SharedPtr shared;
  std::vector<std::string> mids;
};

// The largest DataChannel message the server takes (docs/protocol.md §2: a chunk is at most 64 KiB).
constexpr int kMaxMessageBytes = 65536;

// notify::ice-gathering-state (pc thread, webrtcbin's lock released): when gathering is complete the
// client is told "end of candidates" — a candidate with an empty line, as the page sends its own.
void on_gathering_state(GstElement* webrtc, GParamSpec*, gpointer user) {
  auto* context = static_cast<CandidateContext*>(user);
  if (context->shared->detached.load()) return;
  GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
  g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && context->shared->events.on_candidate) {
    context->shared->events.on_candidate(0, context->mids.empty() ? "0" : context->mids.front(), "");
  }
}

void on_ice_candidate(GstElement*, guint mline, gchar* candidate, gpointer user) {
  auto* context = static_cast<CandidateContext*>(user);
  if (context->shared->detached.load()) return;
  const std::string mid = mline < context->mids.size() ? context->mids[mline] : std::to_string(mline);
  if (context->shared->events.on_candidate) {
    context->shared->events.on_candidate(static_cast<int>(mline), mid, candidate ? candidate : "");
  }
}

struct AnswerContext {
  SharedPtr shared;
  GstElement* webrtc;  // ref held
};

// Promise callback of create-answer (pc thread): send the answer first, then set it locally, so no
// candidate can reach the page before the answer.
void on_answer_created(GstPromise* promise, gpointer user) {
  auto* context = static_cast<AnswerContext*>(user);
  const GstStructure* reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* answer = nullptr;
  if (reply != nullptr) {
    gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
  }
  if (answer == nullptr) {
    GError* error = nullptr;
    if (reply != nullptr) gst_structure_get(reply, "error", G_TYPE_ERROR, &error, nullptr);
    fail(*context->shared, "bad_sdp",
         std::string("could not answer the offer: ") + (error ? error->message : "no answer"));
    if (error != nullptr) g_error_free(error);
  } else {
    // Tell the client how large a DataChannel message may be (RFC 8841): the chunk protocol's 64 KiB.
    // Browsers read it as pc.sctp.maxMessageSize; other stacks read the SDP.
    for (guint i = 0; i < gst_sdp_message_medias_len(answer->sdp); ++i) {
      auto* media = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(answer->sdp, i));
      const char* kind = gst_sdp_media_get_media(media);
      if (kind != nullptr && std::string(kind) == "application" &&
          gst_sdp_media_get_attribute_val(media, "max-message-size") == nullptr) {
        gst_sdp_media_add_attribute(media, "max-message-size", std::to_string(kMaxMessageBytes).c_str());
      }
    }
    gchar* text = gst_sdp_message_as_text(answer->sdp);
    if (!context->shared->detached.load() && context->shared->events.on_answer) context->shared->events.on_answer(text);
    g_free(text);
    g_signal_emit_by_name(context->webrtc, "set-local-description", answer, nullptr);
    gst_webrtc_session_description_free(answer);
  }
  gst_promise_unref(promise);
}

void free_answer_context(gpointer user) {
  auto* context = static_cast<AnswerContext*>(user);
  gst_object_unref(context->webrtc);
  delete context;
}

// Promise callback of set-remote-description (pc thread).
void on_remote_set(GstPromise* promise, gpointer user) {
  auto* context = static_cast<AnswerContext*>(user);
  const GstStructure* reply = gst_promise_get_reply(promise);
  GError* error = nullptr;
  if (reply != nullptr) gst_structure_get(reply, "error", G_TYPE_ERROR, &error, nullptr);
  if (error != nullptr) {
    fail(*context->shared, "bad_sdp", std::string("offer refused: ") + error->message);
    g_error_free(error);
  } else {
    auto* next = new AnswerContext{context->shared, GST_ELEMENT(gst_object_ref(context->webrtc))};
    GstPromise* answer = gst_promise_new_with_change_func(on_answer_created, next, free_answer_context);
    g_signal_emit_by_name(context->webrtc, "create-answer", nullptr, answer);
  }
  gst_promise_unref(promise);
}

gboolean on_bus_message(GstBus*, GstMessage* message, gpointer user) {
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    GError* error = nullptr;
    gst_message_parse_error(message, &error, nullptr);
    // A closed page shows up as an sctpenc error (SCTP_COMM_LOST): the session is over.
    fail(state(user), "peer_closed", error != nullptr ? error->message : "pipeline error");
    if (error != nullptr) g_error_free(error);
  }
  return G_SOURCE_CONTINUE;
}

// The configured addresses, or every interface's (as libnice would find them), plus loopback when
// asked. Empty: leave the choice to libnice. Read per peer: a laptop's addresses change.
std::vector<std::string> ice_host_addresses(const ServeConfig& config) {
  if (config.ice_addresses.empty() && !config.ice_loopback) return {};
  std::vector<std::string> addresses = config.ice_addresses;
  if (addresses.empty()) {
    GList* found = nice_interfaces_get_local_ips(FALSE);
    for (GList* item = found; item != nullptr; item = item->next) addresses.emplace_back(static_cast<char*>(item->data));
    g_list_free_full(found, g_free);
  }
  if (config.ice_loopback) {
    // The loopback addresses this host really has (a namespace may lack ::1).
    GList* all = nice_interfaces_get_local_ips(TRUE);
    for (GList* item = all; item != nullptr; item = item->next) {
      const std::string ip = static_cast<char*>(item->data);
      if ((ip.rfind("127.", 0) == 0 || ip == "::1") &&
          std::find(addresses.begin(), addresses.end(), ip) == addresses.end()) {
        addresses.push_back(ip);
      }
    }
  }
  return addresses;
}

void configure_ice(GstElement* webrtc, const ServeConfig& config) {
  GstObject* ice = nullptr;
  g_object_get(webrtc, "ice-agent", &ice, nullptr);
  if (ice == nullptr) return;
  GObject* agent = nullptr;
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent") != nullptr) {
    g_object_get(ice, "agent", &agent, nullptr);
  }
  if (agent != nullptr) {
    // No UPnP discovery (it probes the LAN's router) and no ICE-TCP: UDP on the host's own addresses.
    g_object_set(agent, "upnp", FALSE, "ice-tcp", FALSE, nullptr);
    // Once any local address is set, libnice gathers from those only (its own discovery skips loopback).
    for (const auto& text : ice_host_addresses(config)) {
      NiceAddress address;
      nice_address_init(&address);
      if (nice_address_set_from_string(&address, text.c_str())) {
        nice_agent_add_local_address(NICE_AGENT(agent), &address);
      } else {
        log_line("peer", "not an IP address, not used for ICE: " + text);
      }
    }
    g_object_unref(agent);
  }
  if (config.ice_port_min > 0 && config.ice_port_max >= config.ice_port_min) {
    g_object_set(ice, "min-rtp-port", static_cast<guint>(config.ice_port_min), "max-rtp-port",
                 static_cast<guint>(config.ice_port_max), nullptr);
  }
  gst_object_unref(ice);
}

}  // namespace

Peer::Peer(const ServeConfig& config, PeerEvents events) : shared_(std::make_shared<Shared>()) {
  shared_->events = std::move(events);
  pipeline_ = gst_pipeline_new(nullptr);
  webrtc_ = gst_element_factory_make("webrtcbin", nullptr);
  if (pipeline_ == nullptr || webrtc_ == nullptr) {
    if (pipeline_ != nullptr) gst_object_unref(pipeline_);
    if (webrtc_ != nullptr) gst_object_unref(webrtc_);
    throw std::runtime_error("webrtcbin is missing (install gstreamer1.0-plugins-bad and gstreamer1.0-nice)");
  }
  gst_bin_add(GST_BIN(pipeline_), webrtc_);
  g_object_set(webrtc_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  if (!config.stun_server.empty()) g_object_set(webrtc_, "stun-server", config.stun_server.c_str(), nullptr);
  for (const auto& turn : config.turn_servers) {
    gboolean added = FALSE;
    g_signal_emit_by_name(webrtc_, "add-turn-server", turn.c_str(), &added);
    if (!added) log_line("peer", "TURN server refused: " + turn);
  }
  configure_ice(webrtc_, config);
  g_signal_connect_data(webrtc_, "on-data-channel", G_CALLBACK(on_data_channel), hold(shared_), release,
                        GConnectFlags(0));
  GstBus* bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline_));
  bus_watch_ = gst_bus_add_watch_full(bus, G_PRIORITY_DEFAULT, on_bus_message, hold(shared_),
                                      [](gpointer data) { release(data, nullptr); });
  gst_object_unref(bus);
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_source_remove(bus_watch_);
    gst_object_unref(pipeline_);
    throw std::runtime_error("the webrtcbin pipeline did not start");
  }
}

Peer::~Peer() {
  shared_->detached.store(true);
  if (bus_watch_ != 0) g_source_remove(bus_watch_);
  PeerReaper::instance().reap(pipeline_, shared_);
}

PeerReaper& PeerReaper::instance() {
  static PeerReaper reaper;
  return reaper;
}

PeerReaper::~PeerReaper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeerReaper::reap(GstElement* pipeline, std::shared_ptr<void> keep) {
  {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(pipeline, std::move(keep));
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  wake_.notify_one();
}

void PeerReaper::trim_memory() {
  {
    std::lock_guard lock(mutex_);
    trim_ = true;
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  wake_.notify_one();
}

void PeerReaper::flush() {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return queue_.empty() && busy_ == 0; });
}

void PeerReaper::run() {
  static Histogram& seconds = Metrics::global().histogram("peer_teardown_seconds");
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || trim_ || !queue_.empty(); });
    if (queue_.empty() && trim_) {
      trim_ = false;
      lock.unlock();
      const auto begin = std::chrono::steady_clock::now();
      malloc_trim(0);
      Metrics::global().observe("malloc_trim_seconds",
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
      lock.lock();
      continue;
    }
    if (queue_.empty()) return;  // stopping, nothing left
    auto [pipeline, keep] = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    lock.unlock();
    const auto begin = std::chrono::steady_clock::now();
    if (auto* shared = static_cast<Peer::Shared*>(keep.get())) {
      std::lock_guard channel_lock(shared->mutex);
      if (shared->channel != nullptr) gst_webrtc_data_channel_close(shared->channel);
    }
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    keep.reset();
    seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
    lock.lock();
    --busy_;
    done_.notify_all();
  }
}

bool Peer::set_offer(const std::string& sdp, std::string& error) {
  if (sdp.rfind("v=0", 0) != 0) {
    error = "the offer's SDP must start with v=0";
    return false;
  }
  GstSDPMessage* message = nullptr;
  if (gst_sdp_message_new_from_text(sdp.c_str(), &message) != GST_SDP_OK || message == nullptr) {
    error = "the offer's SDP does not parse";
    return false;
  }
  bool has_data = false;
  std::vector<std::string> mids;
  for (guint i = 0; i < gst_sdp_message_medias_len(message); ++i) {
    const GstSDPMedia* media = gst_sdp_message_get_media(message, i);
    const char* kind = gst_sdp_media_get_media(media);
    if (kind != nullptr && std::string(kind) == "application") has_data = true;
    const char* mid = gst_sdp_media_get_attribute_val(media, "mid");
    mids.emplace_back(mid != nullptr ? mid : std::to_string(i));
  }
  const bool has_fingerprint =
      gst_sdp_message_get_attribute_val(message, "fingerprint") != nullptr ||
      (gst_sdp_message_medias_len(message) > 0 &&
       gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(message, 0), "fingerprint") != nullptr);
  if (!has_data || !has_fingerprint) {
    gst_sdp_message_free(message);
    error = has_data ? "the offer has no DTLS fingerprint" : "the offer has no data channel (m=application)";
    return false;
  }
  mids_ = mids;
  offered_ = true;
  g_signal_connect_data(webrtc_, "on-ice-candidate", G_CALLBACK(on_ice_candidate),
                        new CandidateContext{shared_, mids},
                        [](gpointer data, GClosure*) { delete static_cast<CandidateContext*>(data); },
                        GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::ice-gathering-state", G_CALLBACK(on_gathering_state),
                        new CandidateContext{shared_, mids},
                        [](gpointer data, GClosure*) { delete static_cast<CandidateContext*>(data); },
                        GConnectFlags(0));
  GstWebRTCSessionDescription* offer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, message);
  auto* context = new AnswerContext{shared_, GST_ELEMENT(gst_object_ref(webrtc_))};
  GstPromise* promise = gst_promise_new_with_change_func(on_remote_set, context, free_answer_context);
  g_signal_emit_by_name(webrtc_, "set-remote-description", offer, promise);
  gst_webrtc_session_description_free(offer);
  return true;
}

bool Peer::add_candidate(int mline, const std::string& mid, const std::string& candidate, std::string& error) {
  int index = mline;
  if (index < 0 && !mid.empty()) {
    for (size_t i = 0; i < mids_.size(); ++i) {
      if (mids_[i] == mid) index = static_cast<int>(i);
    }
  }
  if (index < 0 || static_cast<size_t>(index) >= mids_.size()) {
    error = "the candidate names no m-line of the offer (sdpMLineIndex/sdpMid)";
    return false;
  }
  if (candidate.empty()) return true;  // end of candidates: nothing to add
  if (!valid_candidate_line(candidate)) {
    error = "not an ICE candidate line: '" + candidate.substr(0, 80) + "'";
    return false;
  }
  g_signal_emit_by_name(webrtc_, "add-ice-candidate", static_cast<guint>(index), candidate.c_str());
  return true;
}

namespace {

// The SDP of an offer made by a second, throw-away webrtcbin with one data channel (pc thread of that
// webrtcbin; `done` is signalled when it is ready).
struct OfferMaker {
  std::mutex mutex;
  std::condition_variable done;
  std::string sdp;
  bool finished = false;
};

void on_warm_offer(GstPromise* promise, gpointer user) {
  auto* maker = static_cast<OfferMaker*>(user);
  const GstStructure* reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* offer = nullptr;
  if (reply != nullptr) gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  std::lock_guard lock(maker->mutex);
  if (offer != nullptr) {
    gchar* text = gst_sdp_message_as_text(offer->sdp);
    maker->sdp = text;
    g_free(text);
    gst_webrtc_session_description_free(offer);
  }
  maker->finished = true;
  maker->done.notify_all();
  gst_promise_unref(promise);
}

}  // namespace

double Peer::warm_up(const ServeConfig& config) {
  // dtlsdec's instance init creates the process-wide agent with a generated certificate (RSA key) and
  // keeps it for the life of the process; every webrtcbin after this reuses it. A whole offer/answer
  // between two webrtcbins also loads the nice, dtls, srtp and sctp plugins, which the first session
  // would otherwise pay for (~80-100 ms measured).
  const auto begin = std::chrono::steady_clock::now();
  GstElement* dtls = gst_element_factory_make("dtlsdec", nullptr);
  if (dtls == nullptr) throw std::runtime_error("dtlsdec is missing (install gstreamer1.0-plugins-bad)");
  gst_object_unref(dtls);

  GstElement* pipeline = gst_pipeline_new(nullptr);
  GstElement* offerer = gst_element_factory_make("webrtcbin", nullptr);
  if (offerer == nullptr) {
    gst_object_unref(pipeline);
    throw std::runtime_error("webrtcbin is missing (install gstreamer1.0-plugins-bad and gstreamer1.0-nice)");
  }
  gst_bin_add(GST_BIN(pipeline), offerer);
  g_object_set(offerer, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstWebRTCDataChannel* channel = nullptr;
  g_signal_emit_by_name(offerer, "create-data-channel", "warm-up", nullptr, &channel);
  OfferMaker maker;
  g_signal_emit_by_name(offerer, "create-offer", nullptr, gst_promise_new_with_change_func(on_warm_offer, &maker, nullptr));
  {
    std::unique_lock lock(maker.mutex);
    maker.done.wait_for(lock, std::chrono::seconds(5), [&] { return maker.finished; });
  }
  if (!maker.sdp.empty()) {
    OfferMaker answered;
    PeerEvents events;
    events.on_answer = [&answered](const std::string&) {
      std::lock_guard lock(answered.mutex);
      answered.finished = true;
      answered.done.notify_all();
    };
    Peer peer(config, std::move(events));
    std::string error;
    if (peer.set_offer(maker.sdp, error)) {
      std::unique_lock lock(answered.mutex);
      answered.done.wait_for(lock, std::chrono::seconds(5), [&] { return answered.finished; });
    }
  }
  if (channel != nullptr) g_object_unref(channel);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
}

bool valid_candidate_line(const std::string& candidate) {
  static const std::regex pattern(
      R"(^(a=)?candidate:[!-~]{1,32} \d{1,3} (udp|UDP|tcp|TCP) \d{1,10} [0-9A-Za-z.:\-]{1,255} \d{1,5} typ (host|srflx|prflx|relay)( .*)?$)");
  return candidate.size() < 1024 && std::regex_match(candidate, pattern);
}

}  // namespace sueo::transport
