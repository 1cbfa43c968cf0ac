#include "client_peer.h"

#include <gst/sdp/sdp.h>
#include <nice/agent.h>

#include <stdexcept>

#include "transport/glib_util.h"

namespace sueo::loadgen {

using transport::post_to_main;

struct ClientPeer::Shared {
  ClientPeerEvents events;
};

namespace {

using SharedPtr = std::shared_ptr<ClientPeer::Shared>;

// Signal handlers get a heap copy of the shared state; GLib deletes it with the handler.
gpointer hold(const SharedPtr& shared) { return new SharedPtr(shared); }
void release(gpointer data, GClosure*) { delete static_cast<SharedPtr*>(data); }
const SharedPtr& state(gpointer data) { return *static_cast<SharedPtr*>(data); }

void fail(const SharedPtr& shared, std::string why) {
  post_to_main([shared, why = std::move(why)] {
    if (shared->events.on_failure) shared->events.on_failure(why);
  });
}

void on_ice_candidate(GstElement*, guint mline, gchar* candidate, gpointer user) {
  const SharedPtr shared = state(user);
  post_to_main([shared, mline, line = std::string(candidate ? candidate : "")] {
    if (shared->events.on_candidate) shared->events.on_candidate(static_cast<int>(mline), line);
  });
}

void on_channel_open(GstWebRTCDataChannel*, gpointer user) {
  const SharedPtr shared = state(user);
  post_to_main([shared] {
    if (shared->events.on_open) shared->events.on_open();
  });
}

void on_channel_close(GstWebRTCDataChannel*, gpointer user) { fail(state(user), "the data channel closed"); }

void on_channel_error(GstWebRTCDataChannel*, GError* error, gpointer user) {
  fail(state(user), std::string("data channel error: ") + (error ? error->message : "?"));
}

void on_buffered_low(GstWebRTCDataChannel*, gpointer user) {
  const SharedPtr shared = state(user);
  post_to_main([shared] {
    if (shared->events.on_buffered_low) shared->events.on_buffered_low();
  });
}

gboolean on_bus_message(GstBus*, GstMessage* message, gpointer user) {
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    GError* error = nullptr;
    gst_message_parse_error(message, &error, nullptr);
    fail(state(user), std::string("pipeline error: ") + (error ? error->message : "?"));
    if (error != nullptr) g_error_free(error);
  }
  return G_SOURCE_CONTINUE;
}

struct OfferContext {
  SharedPtr shared;
  GstElement* webrtc;  // ref held
};

void free_offer_context(gpointer user) {
  auto* context = static_cast<OfferContext*>(user);
  gst_object_unref(context->webrtc);
  delete context;
}

// create-offer's promise (pc thread): post the offer first, then set it locally, so the offer is on
// the WebSocket before any candidate it gathers (both go through the main loop in order).
void on_offer_created(GstPromise* promise, gpointer user) {
  auto* context = static_cast<OfferContext*>(user);
  const GstStructure* reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* offer = nullptr;
  if (reply != nullptr) gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  if (offer == nullptr) {
    fail(context->shared, "webrtcbin made no offer");
  } else {
    gchar* text = gst_sdp_message_as_text(offer->sdp);
    post_to_main([shared = context->shared, sdp = std::string(text)] {
      if (shared->events.on_offer) shared->events.on_offer(sdp);
    });
    g_free(text);
    g_signal_emit_by_name(context->webrtc, "set-local-description", offer, nullptr);
    gst_webrtc_session_description_free(offer);
  }
  gst_promise_unref(promise);
}

}  // namespace

void configure_ice_agent(GstElement* webrtc, const std::vector<std::string>& addresses) {
  GstObject* ice = nullptr;
  g_object_get(webrtc, "ice-agent", &ice, nullptr);
  if (ice == nullptr) throw std::runtime_error("webrtcbin has no ice-agent");
  NiceAgent* agent = nullptr;
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent") != nullptr) {
    g_object_get(ice, "agent", &agent, nullptr);
  }
  gst_object_unref(ice);
  if (agent == nullptr) throw std::runtime_error("webrtcbin's ice-agent has no libnice agent");
  g_object_set(agent, "upnp", FALSE, "ice-tcp", FALSE, nullptr);
  for (const auto& text : addresses) {
    NiceAddress address;
    nice_address_init(&address);
    if (!nice_address_set_from_string(&address, text.c_str())) {
      g_object_unref(agent);
      throw std::runtime_error("not an IP address for ICE: '" + text + "'");
    }
    nice_agent_add_local_address(agent, &address);
  }
  g_object_unref(agent);
}

ClientPeer::ClientPeer(const ClientPeerOptions& options, ClientPeerEvents events)
    : shared_(std::make_shared<Shared>()) {
  shared_->events = std::move(events);
  pipeline_ = gst_pipeline_new(nullptr);
  webrtc_ = gst_element_factory_make("webrtcbin", nullptr);
  if (webrtc_ == nullptr) {
    gst_object_unref(pipeline_);
    throw std::runtime_error("webrtcbin is missing (gstreamer1.0-plugins-bad, gstreamer1.0-nice)");
  }
  gst_bin_add(GST_BIN(pipeline_), webrtc_);
  g_object_set(webrtc_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  try {
    configure_ice_agent(webrtc_, options.ice_addresses);
  } catch (...) {
    gst_object_unref(pipeline_);
    throw;
  }
  g_signal_connect_data(webrtc_, "on-ice-candidate", G_CALLBACK(on_ice_candidate), hold(shared_), release,
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
  // Ordered and reliable, as the page's createDataChannel('frames', {ordered: true}).
  GstStructure* init = gst_structure_new("init", "ordered", G_TYPE_BOOLEAN, TRUE, nullptr);
  g_signal_emit_by_name(webrtc_, "create-data-channel", "frames", init, &channel_);
  gst_structure_free(init);
  if (channel_ == nullptr) {
    g_source_remove(bus_watch_);
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(pipeline_);
    throw std::runtime_error("webrtcbin refused to create the data channel");
  }
  g_object_set(channel_, "buffered-amount-low-threshold", static_cast<guint64>(options.low_water_bytes), nullptr);
  const auto connect = [this](const char* signal, GCallback handler) {
    g_signal_connect_data(channel_, signal, handler, hold(shared_), release, GConnectFlags(0));
  };
  connect("on-open", G_CALLBACK(on_channel_open));
  connect("on-close", G_CALLBACK(on_channel_close));
  connect("on-error", G_CALLBACK(on_channel_error));
  connect("on-buffered-amount-low", G_CALLBACK(on_buffered_low));
  auto* context = new OfferContext{shared_, GST_ELEMENT(gst_object_ref(webrtc_))};
  g_signal_emit_by_name(webrtc_, "create-offer", nullptr,
                        gst_promise_new_with_change_func(on_offer_created, context, free_offer_context));
}

ClientPeer::~ClientPeer() {
  // No event may reach a stream that is going away: the handlers keep only a copy of the events,
  // which hold weak references; disconnecting them first stops close/error reports of our own close.
  g_signal_handlers_disconnect_matched(channel_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                       reinterpret_cast<gpointer>(on_channel_close), nullptr);
  g_signal_handlers_disconnect_matched(channel_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                       reinterpret_cast<gpointer>(on_channel_error), nullptr);
  gst_webrtc_data_channel_close(channel_);
  g_object_unref(channel_);
  if (bus_watch_ != 0) g_source_remove(bus_watch_);
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  gst_object_unref(pipeline_);
}

bool ClientPeer::set_answer(const std::string& sdp, std::string& error) {
  GstSDPMessage* message = nullptr;
  if (gst_sdp_message_new_from_text(sdp.c_str(), &message) != GST_SDP_OK || message == nullptr) {
    error = "the answer's SDP does not parse";
    return false;
  }
  GstWebRTCSessionDescription* answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, message);
  g_signal_emit_by_name(webrtc_, "set-remote-description", answer, nullptr);
  gst_webrtc_session_description_free(answer);
  return true;
}

void ClientPeer::add_candidate(int mline, const std::string& candidate) {
  if (candidate.empty() || mline < 0) return;
  g_signal_emit_by_name(webrtc_, "add-ice-candidate", static_cast<guint>(mline), candidate.c_str());
}

bool ClientPeer::send_text(const std::string& text) {
  GError* raw = nullptr;
  const bool ok = gst_webrtc_data_channel_send_string_full(channel_, text.c_str(), &raw);
  transport::GErrorPtr error(raw);
  return ok;
}

bool ClientPeer::send_binary(std::vector<uint8_t> bytes) {
  auto* owned = new std::vector<uint8_t>(std::move(bytes));
  GBytes* data = g_bytes_new_with_free_func(owned->data(), owned->size(),
                                            [](gpointer p) { delete static_cast<std::vector<uint8_t>*>(p); }, owned);
  GError* raw = nullptr;
  const bool ok = gst_webrtc_data_channel_send_data_full(channel_, data, &raw);
  transport::GErrorPtr error(raw);
  g_bytes_unref(data);
  return ok;
}

uint64_t ClientPeer::buffered_amount() const {
  guint64 amount = 0;
  g_object_get(channel_, "buffered-amount", &amount, nullptr);
  return amount;
}

}  // namespace sueo::loadgen
