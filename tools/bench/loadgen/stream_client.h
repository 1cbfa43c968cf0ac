// One simulated page: its WebSocket /ws (signaling, clock pings, receipts, results), its webrtcbin
// peer with the `frames` DataChannel, and its sequences of a clip's frames sent as web/sequence.js and
// web/sender.js send them (docs/protocol.md): a frame per tick of the page's rate on absolute
// deadlines, chunks queued only while bufferedAmount ≤ 1 MiB (resumed at 256 KiB), a frame that waited
// more than one interval skipped and counted, sequence-end as soon as the last frame is out. Every
// receipt and result is checked against what was sent.
//
// Thread: main loop only (webrtcbin's events are posted to it by ClientPeer).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <libsoup/soup.h>
#include <nlohmann/json.hpp>

#include "client_peer.h"
#include "clip_frames.h"

namespace sueo::loadgen {

struct StreamSettings {
  std::string ws_url;       // wss://host:port/ws
  std::string origin;       // the Origin header a page of that server sends
  ClientPeerOptions peer;
  const ClipFrames* clip = nullptr;
  double fps = 0;           // frames a second; 0: the server's welcome config (as the page)
  int passes = 1;           // clip passes per sequence
  bool detail = false;      // ask for the per-frame arrays (frame-complete latency)
  double gap_ms = 0;        // pause between a sequence's result and the next sequence-start
  int max_sequences = 0;    // 0: no limit (the run's stop time ends the stream)
};

// What one sequence gave; times are this process's clock (ms since the epoch), server times are the
// server's clock.
struct SequenceRecord {
  uint32_t seq = 0;
  int planned = 0, sent = 0, skipped = 0;
  double t_start = 0, t_last_sent = 0, t_end_sent = 0, t_receipt = 0, t_result = 0;
  std::vector<double> last_chunk_ms;  // per frame index: its last chunk handed to the channel
  nlohmann::json receipt, result;     // null when none arrived
  std::vector<std::string> problems;  // failed checks, in words
  bool correct_word = false;
  bool counted = false;               // inside the run's steady window (set by the run)
};

class StreamClient : public std::enable_shared_from_this<StreamClient> {
 public:
  StreamClient(int index, StreamSettings settings, SoupSession* session);
  ~StreamClient();
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  // Opens /ws, waits for welcome, makes the offer and calls `on_ready` once the DataChannel is open
  // (true) or the session failed (false, failure() says why).
  void connect(std::function<void(bool)> on_ready);
  // Runs sequences back to back from `start_ms` until `stop_ms` (or max_sequences), then calls
  // `on_done`.
  void run(double start_ms, double stop_ms, std::function<void()> on_done);
  void close();

  int index() const { return index_; }
  const std::string& failure() const { return failure_; }
  double offer_to_open_ms() const { return offer_to_open_ms_; }
  double clock_offset_ms() const { return best_offset_; }  // server clock − ours
  const std::vector<SequenceRecord>& sequences() const { return sequences_; }
  const std::map<std::string, int>& errors() const { return errors_; }
  const nlohmann::json& welcome() const { return welcome_; }

 private:
  void on_ws_connected(SoupWebsocketConnection* ws);
  void on_ws_text(const std::string& text);
  void on_welcome(const nlohmann::json& message);
  void on_pong(const nlohmann::json& message);
  void on_sequence_message(const nlohmann::json& message);
  void send_ws(const nlohmann::json& message);
  void ping();
  nlohmann::json fps_json() const;
  void start_peer();
  void fail(const std::string& why);

  void start_sequence();
  void tick();
  void pump();
  void finish_sending();
  void sequence_done();
  void check(SequenceRecord& record) const;
  void schedule(double at_ms, void (StreamClient::*method)());

  const int index_;
  StreamSettings settings_;
  SoupSession* session_;  // not owned
  SoupWebsocketConnection* ws_ = nullptr;  // ref held
  std::unique_ptr<ClientPeer> peer_;
  std::function<void(bool)> on_ready_;
  std::function<void()> on_done_;
  nlohmann::json welcome_;
  std::string failure_;
  std::string mid_ = "0";
  bool open_ = false;
  double offer_ms_ = 0, offer_to_open_ms_ = 0;
  size_t chunk_bytes_ = 16384;
  double fps_ = 15;
  bool expect_result_ = true;  // welcome.model is set: every sequence must get a result
  std::map<std::string, int> errors_;

  // Clock offset (docs/protocol.md "Clock offset"): 8 pings on connect, then one every 5 s.
  int pings_left_ = 0;
  double best_delay_ = 1e18, best_offset_ = 0;
  guint ping_timer_ = 0;

  // The sequence being sent.
  struct Frame {
    std::vector<std::vector<uint8_t>> chunks;
    size_t next = 0;
    int index = 0;
  };
  std::vector<SequenceRecord> sequences_;
  double stop_ms_ = 0;
  double sequence_start_ms_ = 0;  // first tick
  int ticks_ = 0;
  uint32_t next_seq_ = 0;
  std::optional<Frame> current_;
  std::optional<std::pair<int, double>> waiting_;  // clip frame, ready time
  bool ending_ = false;      // every tick is done: send sequence-end once the buffer drains
  bool awaiting_ = false;    // sequence-end sent, receipt/result due
  guint timer_ = 0;          // the next tick, the receipt timeout or the next sequence
};

}  // namespace sueo::loadgen
