// Finds signs in a stream of landmark frames: decides, frame by frame, whether the person is signing
// or resting, and cuts the stream into sign segments with start and end frames.
//
// Signing is hand motion relative to the body. A person at rest may keep the hands down, out of view,
// or held still in view (folded, on a desk): what they do not do is move them. So a segment starts
// when a visible hand moves faster than `start_speed` for `start_seconds`, and ends when no hand has
// moved faster than `end_speed` for `end_seconds` (hysteresis: two speeds, two durations), or at once
// when every hand has gone down out of the signing space for `down_seconds`. Speeds are in shoulder
// widths per second, measured over `speed_window` seconds of capture time, so neither the person's
// distance from the camera nor the frame rate (10–30 fps, dropped frames) changes the decision, and a
// swaying hand-held camera, which moves body and hands together, is not motion.
//
//   Spotter spotter;                            // one per stream
//   for each frame: if (auto s = spotter.add(landmarks, capture_ms, aspect)) classify(*s);
//   at the end of a window: if (auto s = spotter.flush()) classify(*s);
//
// Thread: one at a time (the session's worker).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "sign/layout.h"

namespace sueo {

inline constexpr size_t kFingerPoints = 5;

struct SpotterSettings {
  double start_speed = 1.1;     // shoulder widths / s: a hand moving this fast may start a sign
  double end_speed = 0.35;      // below this every hand counts as still
  double start_seconds = 0.06;  // fast motion must last this long to start a segment (2 frames at 15 fps)
  double burst_speed = 1.6;     // one measurement this fast starts a segment at once (0: off): a short,
                                // quick sign such as 나 (pointing at oneself) may be fast in one only
  double opening_speed = 0.8;   // a stream whose first speed measurement is this fast began mid-sign (0: off)
  double end_seconds = 0.25;    // stillness that ends a segment (0.2 loses chained precision on tune)
  int end_frames = 3;           // ... over at least this many frames: at 5 fps (WebKitGTK) 0.25 s is one
                                // frame interval, and one or two still frames cut signs into pieces
  double down_seconds = 0.2;    // every hand down or out of view this long also ends it
  double speed_window = 0.15;   // speed = displacement over this much capture time
  double appear_seconds = 0.4;  // a hand unseen this long that shows up above the rest line starts a sign
  double edge = 0.08;           // ... unless it shows up this close to the picture's bottom edge
  double switch_tolerance = 0.35;  // shoulder widths the two wrist estimates may disagree by
  double pre_roll = 0.25;       // seconds of frames kept before the detected start
  double post_roll = 0.3;       // and after the last moving frame (a sign's final hand shape)
  double min_seconds = 0.3;     // shorter segments are twitches, not signs
  double min_travel = 0.25;     // shoulder widths the hands must travel in a segment
  double max_seconds = 8.0;     // a segment is cut here even if the motion goes on
  double rest_line = 1.9;       // a wrist this many shoulder widths below the shoulders is down
  // Frames a second the landmarks need while nobody signs (0: every frame). Landmarks are most of a
  // stream's CPU and most of a real stream is rest, idle video or an empty chair; a hand that moves
  // (end_speed or faster) wakes the stream to every frame until it has been still for wake_seconds.
  double rest_fps = 0;
  double wake_seconds = 0.5;
};

// A sign's span in the stream: frame numbers as counted by the spotter (0 = the first frame it was
// given) and their capture times.
struct Segment {
  int64_t first = 0;
  int64_t last = 0;        // inclusive
  double start_ms = 0;     // capture time of `first`
  double end_ms = 0;       // capture time of `last`
  double motion_end_ms = 0;  // capture time of the last frame with motion (the sign's end)
  double decided_ms = 0;   // capture time of the frame at which the spotter knew the sign had ended
  double travel = 0;       // shoulder widths travelled by the hands
  bool cut = false;        // ended by max_seconds or flush(), not by rest
};

// What the spotter saw in one frame (for tests, evaluation and the page's activity display).
struct SpotterFrame {
  bool person = false;       // a pose with both shoulders
  bool hand_up = false;      // a hand visible above the rest line
  double speed = 0;          // fastest hand, shoulder widths / s (0 when unknown)
  bool signing = false;      // the spotter's state after this frame
};

class Spotter {
 public:
  explicit Spotter(SpotterSettings settings = {});

  // One frame: its landmarks, its capture time (ms, increasing; gaps are fine) and its width/height
  // ratio (landmark x and y are normalised separately). Returns a segment when this frame ends one.
  std::optional<Segment> add(const sign::Frame& frame, double capture_ms, double aspect);

  // Ends an open segment now (the end of a window): returns it when it is long enough to be a sign.
  std::optional<Segment> flush();

  // Forget everything (a new stream).
  void reset();

  // Whether a frame captured at `capture_ms` should have its landmarks found and be add()ed: always
  // while a sign is open, a hand moved in the last wake_seconds, or a person rests with no wrist in
  // view; rest_fps frames a second while a wrist rests in view or nobody is in the picture.
  // A frame it does not want is simply never added (capture times may have gaps).
  bool wants(double capture_ms) const;

  bool signing() const { return signing_; }
  const SpotterFrame& last() const { return last_; }
  int64_t frames_seen() const { return next_frame_; }
  const SpotterSettings& settings() const { return settings_; }

 private:
  struct Sample {  // one frame, body-relative
    int64_t frame = 0;
    double t_ms = 0;
    bool hand[2] = {false, false};  // left, right visible
    double x[2] = {0, 0}, y[2] = {0, 0};  // wrist, shoulder widths from the shoulders' midpoint
    bool fingers[2] = {false, false};     // the hand model found the hand: fx, fy are set
    int source[2] = {0, 0};               // 1: the hand model's wrist, 2: the pose's
    double image_y[2] = {0, 0};           // the wrist's height in the picture (0 top, 1 bottom)
    double fx[2][kFingerPoints] = {}, fy[2][kFingerPoints] = {};  // finger tips, from the wrist
    bool up = false;
    bool hand_models = false;  // the landmarks ran the hand models on this frame (a wrist in view)
    double speed = 0;
  };

  Sample measure(const sign::Frame& frame, double capture_ms, double aspect, bool& person);
  double speed_of(const Sample& now) const;
  bool came_into_view(int hand, double then_ms, const Sample& now) const;
  void begin(int64_t first, double first_ms, const Sample& now);
  std::optional<Segment> close(int64_t last_moving, double decided_ms, bool cut);

  SpotterSettings settings_;
  std::deque<Sample> history_;  // the last few seconds, for speeds and the pre-roll
  int64_t next_frame_ = 0;
  double scale_ = 0;            // shoulder width, smoothed (image units, x scaled by the aspect)
  bool signing_ = false;
  bool measured_ = false;       // a speed has been measured since the stream began
  double fast_since_ms_ = -1;   // when the current run of fast frames began (-1: none)
  int64_t fast_first_frame_ = -1;
  int64_t start_frame_ = -1;    // of the open segment
  double start_ms_ = 0;
  int64_t last_moving_frame_ = -1;
  double last_moving_ms_ = 0;
  double down_since_ms_ = -1;
  double awake_until_ms_ = -1;  // every frame is wanted until then (rest_fps)
  double travel_ = 0;
  SpotterFrame last_;
};

}  // namespace sueo
