#include "pipeline/spotter.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "landmarks/holistic_constants.h"

namespace sueo {
namespace {

// MediaPipe Pose landmark indices (mediapipe/modules/pose_landmark/pose_landmark_topology.svg).
constexpr int kLeftShoulder = 11, kRightShoulder = 12;
constexpr int kLeftWrist = 15, kRightWrist = 16;
constexpr size_t kPoseStride = 4;  // x, y, z, visibility
constexpr size_t kHandPoints = 21;
// Hand landmarks of the thumb, index, middle, ring and little finger tips
// (mediapipe/modules/hand_landmark/hand_landmark_full: 4, 8, 12, 16, 20).
constexpr size_t kFingerTips[kFingerPoints] = {4, 8, 12, 16, 20};
// Pose visibility is a sigmoid score; MediaPipe's own renderers draw a landmark from 0.5 on
// (mediapipe/util/pose_util / drawing_utils' visibility threshold).
constexpr float kVisible = 0.5f;
// Shoulder width smoothing per frame: the width changes only when the person moves nearer or
// farther, while its jitter would otherwise turn into speed.
constexpr double kScaleSmoothing = 0.1;

struct Point {
  double x = 0, y = 0;
};

Point pose_point(const sign::Frame& f, int index, double aspect) {
  const size_t at = static_cast<size_t>(index) * kPoseStride;
  return {f[at] * aspect, f[at + 1]};
}

float pose_visibility(const sign::Frame& f, int index) { return f[static_cast<size_t>(index) * kPoseStride + 3]; }

// A detected hand's 21 points (x scaled by the aspect), or nothing when the hand is absent (zeros).
std::optional<std::array<Point, kHandPoints>> hand_points(const sign::Frame& f, sign::Part part, double aspect) {
  if (!sign::part_present(f, part)) return std::nullopt;
  std::array<Point, kHandPoints> out;
  for (size_t i = 0; i < kHandPoints; ++i) out[i] = {f[part.begin + i * 3] * aspect, f[part.begin + i * 3 + 1]};
  return out;
}

double distance(double ax, double ay, double bx, double by) { return std::hypot(ax - bx, ay - by); }

}  // namespace

Spotter::Spotter(SpotterSettings settings) : settings_(settings) {}

void Spotter::reset() {
  history_.clear();
  next_frame_ = 0;
  scale_ = 0;
  signing_ = false;
  measured_ = false;
  fast_since_ms_ = down_since_ms_ = awake_until_ms_ = -1;
  fast_first_frame_ = start_frame_ = last_moving_frame_ = -1;
  travel_ = 0;
  last_ = {};
}

// Where the hands are, relative to the body: the shoulders' midpoint is the origin and the shoulder
// width the unit, so the numbers mean the same for a child near the tablet and an adult far away.
// A hand is placed at its wrist: the hand model's wrist point when it found the hand, else the pose's
// wrist when the pose sees it in the picture. Both are the same joint, so a hand the hand model loses
// for a frame does not jump. When the hand model found the hand, its fingers are kept too (relative to
// the wrist), so a handshape changing in place is motion as well.
Spotter::Sample Spotter::measure(const sign::Frame& f, double capture_ms, double aspect, bool& person) {
  Sample s;
  s.frame = next_frame_;
  s.t_ms = capture_ms;
  const bool pose = sign::part_present(f, sign::kPose);
  person = pose && pose_visibility(f, kLeftShoulder) >= kVisible && pose_visibility(f, kRightShoulder) >= kVisible;
  if (!pose) return s;
  // MediaPipe Holistic runs a hand's models whenever the pose sees its wrist this well, found or not.
  s.hand_models = pose_visibility(f, kLeftWrist) > landmarks::mp::kHandWristVisibilityThreshold ||
                  pose_visibility(f, kRightWrist) > landmarks::mp::kHandWristVisibilityThreshold;
  const Point l = pose_point(f, kLeftShoulder, aspect), r = pose_point(f, kRightShoulder, aspect);
  const double width = distance(l.x, l.y, r.x, r.y);
  if (width <= 1e-6) return s;
  scale_ = scale_ == 0 ? width : scale_ + kScaleSmoothing * (width - scale_);
  const Point centre{(l.x + r.x) / 2, (l.y + r.y) / 2};
  const sign::Part parts[2] = {sign::kLeftHand, sign::kRightHand};
  const int wrists[2] = {kLeftWrist, kRightWrist};
  for (int h = 0; h < 2; ++h) {
    Point wrist;
    if (const auto points = hand_points(f, parts[h], aspect)) {
      wrist = (*points)[0];
      s.fingers[h] = true;
      for (size_t i = 0; i < kFingerPoints; ++i) {
        s.fx[h][i] = ((*points)[kFingerTips[i]].x - wrist.x) / scale_;
        s.fy[h][i] = ((*points)[kFingerTips[i]].y - wrist.y) / scale_;
      }
    } else if (pose_visibility(f, wrists[h]) >= kVisible) {
      wrist = pose_point(f, wrists[h], aspect);
      if (wrist.y < 0 || wrist.y > 1) continue;  // extrapolated outside the picture
    } else {
      continue;
    }
    s.hand[h] = true;
    s.source[h] = s.fingers[h] ? 1 : 2;
    s.image_y[h] = wrist.y;
    s.x[h] = (wrist.x - centre.x) / scale_;
    s.y[h] = (wrist.y - centre.y) / scale_;
    if (s.y[h] < settings_.rest_line) s.up = true;
  }
  return s;
}

// The fastest hand's speed: its displacement since the newest frame at least `speed_window` older,
// divided by the time between them. A hand that has come into view since then, above the rest line,
// counts as moving at start_speed: raising the hands into the picture is how most signs begin.
double Spotter::speed_of(const Sample& now) const {
  const Sample* then = nullptr;
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (now.t_ms - it->t_ms >= settings_.speed_window * 1000.0) {
      then = &*it;
      break;
    }
  }
  if (then == nullptr) return 0;
  const double seconds = (now.t_ms - then->t_ms) / 1000.0;
  double fastest = 0;
  for (int h = 0; h < 2; ++h) {
    if (!now.hand[h]) continue;
    if (!then->hand[h]) {
      // The hand came into view since then: raising the hands into the picture is how many signs
      // begin, so a hand that was out of sight for appear_seconds and is now up counts as fast.
      if (now.y[h] < settings_.rest_line && came_into_view(h, then->t_ms, now)) {
        fastest = std::max(fastest, settings_.start_speed);
      }
      continue;
    }
    double moved = distance(now.x[h], now.y[h], then->x[h], then->y[h]);
    // The hand model's wrist and the pose's wrist disagree by a little: a hand the hand model finds
    // and loses again jumps by that much without moving.
    if (now.source[h] != then->source[h]) moved = std::max(0.0, moved - settings_.switch_tolerance);
    if (now.fingers[h] && then->fingers[h]) {
      double fingers = 0;
      for (size_t i = 0; i < kFingerPoints; ++i) {
        fingers += distance(now.fx[h][i], now.fy[h][i], then->fx[h][i], then->fy[h][i]);
      }
      moved = std::max(moved, fingers / kFingerPoints);
    }
    fastest = std::max(fastest, moved / seconds);
  }
  return fastest;
}

// Whether hand `h`, seen now but not at `then_ms`, came into view after being out of sight for
// appear_seconds (a hand the models lose and find again from frame to frame, half out of the picture
// or folded with the other, has not).
// A hand resting just below the picture flickers in and out at its bottom edge: a hand seen first
// within `edge` of the bottom has not come into view either.
bool Spotter::came_into_view(int hand, double then_ms, const Sample& now) const {
  const double now_ms = now.t_ms;
  double first_seen = now_ms;
  double first_y = now.image_y[hand];
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (it->t_ms >= now_ms) continue;
    if (it->hand[hand]) {
      if (it->t_ms < then_ms) return false;  // seen before `then`: a flicker, not an entrance
      first_seen = it->t_ms;
      first_y = it->image_y[hand];
    } else if (first_seen - it->t_ms >= settings_.appear_seconds * 1000.0) {
      return first_y < 1.0 - settings_.edge;
    }
  }
  // Back to the stream's first frame without seeing the hand: a stream that starts as the hands
  // rise (a clip cut to its sign) has them come into view too.
  return !history_.empty() && history_.front().frame == 0 && first_y < 1.0 - settings_.edge;
}

std::optional<Segment> Spotter::add(const sign::Frame& frame, double capture_ms, double aspect) {
  bool person = false;
  Sample now = measure(frame, capture_ms, aspect, person);
  now.speed = speed_of(now);
  const bool measurable = !history_.empty() && capture_ms - history_.front().t_ms >= settings_.speed_window * 1000.0;
  const double dt = history_.empty() ? 0 : std::max(0.0, (capture_ms - history_.back().t_ms) / 1000.0);
  history_.push_back(now);
  ++next_frame_;
  // Keep what the speed window and the pre-roll need, and no more.
  const double keep_ms = (std::max({settings_.speed_window, settings_.pre_roll, settings_.appear_seconds}) + 0.5) * 1000.0;
  while (history_.size() > 2 && capture_ms - history_.front().t_ms > keep_ms) history_.pop_front();

  std::optional<Segment> ended;
  const bool fast = now.speed >= settings_.start_speed;
  const bool moving = now.speed >= settings_.end_speed;
  // A stream that begins mid-sign (a clip cut to its sign, a window started while the hands move):
  // its first speed measurement already shows a raised hand moving. The segment starts at frame 0.
  const bool starts_moving = measurable && !measured_ && now.up && settings_.opening_speed > 0 &&
                             now.speed >= settings_.opening_speed;
  if (measurable) measured_ = true;
  if (!signing_) {
    if (starts_moving) {
      begin(history_.front().frame, history_.front().t_ms, now);
    } else if (fast) {
      if (fast_since_ms_ < 0) {
        fast_since_ms_ = capture_ms;
        fast_first_frame_ = now.frame;
      }
      const bool lasted = capture_ms - fast_since_ms_ >= settings_.start_seconds * 1000.0 - 1e-6;
      const bool burst = settings_.burst_speed > 0 && now.speed >= settings_.burst_speed;
      if (lasted || burst) {
        // The motion began a little before it was fast enough to count: take the pre-roll.
        int64_t first = fast_first_frame_;
        double first_ms = fast_since_ms_;
        for (const Sample& s : history_) {
          if (s.t_ms >= fast_since_ms_ - settings_.pre_roll * 1000.0) {
            first = s.frame;
            first_ms = s.t_ms;
            break;
          }
        }
        begin(first, first_ms, now);
      }
    } else {
      fast_since_ms_ = -1;
    }
  } else {
    travel_ += now.speed * dt;
    if (moving) {
      last_moving_frame_ = now.frame;
      last_moving_ms_ = capture_ms;
    }
    if (!now.up) {
      if (down_since_ms_ < 0) down_since_ms_ = capture_ms;
    } else {
      down_since_ms_ = -1;
    }
    const bool rested = capture_ms - last_moving_ms_ >= settings_.end_seconds * 1000.0 &&
                        now.frame - last_moving_frame_ >= settings_.end_frames;
    const bool down = down_since_ms_ >= 0 && capture_ms - down_since_ms_ >= settings_.down_seconds * 1000.0;
    const bool too_long = capture_ms - start_ms_ >= settings_.max_seconds * 1000.0;
    if (rested || down || too_long) ended = close(too_long ? now.frame : last_moving_frame_, capture_ms, too_long);
  }
  if (signing_ || moving) awake_until_ms_ = capture_ms + settings_.wake_seconds * 1000.0;
  last_ = {person, now.up, now.speed, signing_};
  return ended;
}

bool Spotter::wants(double capture_ms) const {
  if (settings_.rest_fps <= 0 || history_.empty() || signing_ || capture_ms < awake_until_ms_) return true;
  // Rest with the wrists out of view (hands down, in the lap) costs the pose model alone, and there a
  // hand coming into view is how a sign starts: its first frames decide whether a quick sign (나) is
  // seen at all, so that rest keeps every frame. Rest with a wrist in view (the hand models run) and
  // an empty picture (the pose detector runs) are the costly ones.
  if (last_.person && !history_.back().hand_models) return true;
  // A quarter of the interval early is still in time: camera frames come with jitter, and at 15 fps a
  // 5 fps rest rate is then every third frame, not every fourth.
  const double interval_ms = 1000.0 / settings_.rest_fps;
  return capture_ms - history_.back().t_ms >= 0.75 * interval_ms;
}

// Opens a segment at frame `first` (kept in the history), with `now` the frame that decided it.
void Spotter::begin(int64_t first, double first_ms, const Sample& now) {
  signing_ = true;
  start_frame_ = first;
  start_ms_ = first_ms;
  last_moving_frame_ = now.frame;
  last_moving_ms_ = now.t_ms;
  // The distance covered from the segment's start, pre-roll included, to this frame.
  travel_ = 0;
  for (size_t i = 1; i < history_.size(); ++i) {
    if (history_[i].frame <= start_frame_) continue;
    travel_ += history_[i].speed * (history_[i].t_ms - history_[i - 1].t_ms) / 1000.0;
  }
  down_since_ms_ = -1;
}

std::optional<Segment> Spotter::close(int64_t last_moving, double decided_ms, bool cut) {
  signing_ = false;
  fast_since_ms_ = -1;
  down_since_ms_ = -1;
  Segment s;
  s.first = start_frame_;
  s.start_ms = start_ms_;
  s.motion_end_ms = last_moving == last_moving_frame_ ? last_moving_ms_ : decided_ms;
  s.last = last_moving;
  s.end_ms = s.motion_end_ms;
  // A few frames after the motion stopped: the sign's final hand shape.
  for (const Sample& h : history_) {
    if (h.frame > last_moving && h.t_ms <= s.motion_end_ms + settings_.post_roll * 1000.0) {
      s.last = h.frame;
      s.end_ms = h.t_ms;
    }
  }
  s.decided_ms = decided_ms;
  s.travel = travel_;
  s.cut = cut;
  start_frame_ = -1;
  const bool long_enough = s.motion_end_ms - s.start_ms >= settings_.min_seconds * 1000.0;
  if (!long_enough || s.travel < settings_.min_travel) return std::nullopt;
  return s;
}

std::optional<Segment> Spotter::flush() {
  if (!signing_) return std::nullopt;
  const double decided = history_.empty() ? last_moving_ms_ : history_.back().t_ms;
  return close(last_moving_frame_, decided, true);
}

}  // namespace sueo
