#include "app/sign_options.h"

#include <memory>
#include <string>

namespace sueo::app {
namespace {

std::string text(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::function<void(std::string_view)> set_float(float& target, double min, double max, std::string flag) {
  return [&target, min, max, flag, apply = std::shared_ptr<double>(new double(0))](std::string_view value) {
    set_double(*apply, min, max, flag)(value);
    target = static_cast<float>(*apply);
  };
}

}  // namespace

std::vector<Option> spotter_options(SpotterSettings& s) {
  const SpotterSettings d;
  return {
      {"--start-speed", "SUEO_START_SPEED", text(d.start_speed), "hand speed (shoulder widths per second, relative to the body) that starts a sign", set_double(s.start_speed, 0.05, 20, "--start-speed")},
      {"--end-speed", "SUEO_END_SPEED", text(d.end_speed), "below this speed every hand counts as still", set_double(s.end_speed, 0.01, 20, "--end-speed")},
      {"--start-seconds", "SUEO_START_SECONDS", text(d.start_seconds), "the fast motion must last this long to start a sign", set_double(s.start_seconds, 0, 2, "--start-seconds")},
      {"--burst-speed", "SUEO_BURST_SPEED", text(d.burst_speed), "one speed measurement this fast starts a sign at once, however short (0: off)", set_double(s.burst_speed, 0, 50, "--burst-speed")},
      {"--opening-speed", "SUEO_OPENING_SPEED", text(d.opening_speed), "a stream (a window, a clip) whose first hand speed is this fast began mid-sign: a sign from its first frame (0: off)", set_double(s.opening_speed, 0, 50, "--opening-speed")},
      {"--end-seconds", "SUEO_END_SECONDS", text(d.end_seconds), "stillness that ends a sign (live mode waits this long before naming it)", set_double(s.end_seconds, 0.05, 5, "--end-seconds")},
      {"--end-frames", "SUEO_END_FRAMES", std::to_string(d.end_frames), "... and over at least this many still frames (at a low frame rate 0.25 s is less than a frame interval)", set_int(s.end_frames, 1, 30, "--end-frames")},
      {"--down-seconds", "SUEO_DOWN_SECONDS", text(d.down_seconds), "hands down or out of view this long also end a sign", set_double(s.down_seconds, 0.05, 5, "--down-seconds")},
      {"--min-sign-seconds", "SUEO_MIN_SIGN_SECONDS", text(d.min_seconds), "shorter motions are not signs", set_double(s.min_seconds, 0, 5, "--min-sign-seconds")},
      {"--min-travel", "SUEO_MIN_TRAVEL", text(d.min_travel), "shoulder widths the hands must travel in a sign", set_double(s.min_travel, 0, 50, "--min-travel")},
      {"--speed-window", "SUEO_SPEED_WINDOW", text(d.speed_window), "seconds of capture time a hand speed is measured over", set_double(s.speed_window, 0.03, 1, "--speed-window")},
      {"--appear-edge", "SUEO_APPEAR_EDGE", text(d.edge), "a hand coming into view this close (fraction of the height) to the picture's bottom edge is not yet a sign", set_double(s.edge, 0, 0.5, "--appear-edge")},
      {"--max-sign-seconds", "SUEO_MAX_SIGN_SECONDS", text(d.max_seconds), "a sign is cut after this long even if the motion goes on", set_double(s.max_seconds, 0.5, 60, "--max-sign-seconds")},
      {"--rest-fps", "SUEO_REST_FPS", text(d.rest_fps), "landmarks a second while nobody signs (0: every frame); a moving hand switches to every frame until it has been still for --wake-seconds", set_double(s.rest_fps, 0, 60, "--rest-fps")},
      {"--wake-seconds", "SUEO_WAKE_SECONDS", text(d.wake_seconds), "with --rest-fps: every frame for this long after a hand last moved", set_double(s.wake_seconds, 0, 10, "--wake-seconds")},
  };
}

std::vector<Option> decision_options(DecisionSettings& d) {
  const DecisionSettings x;
  return {
      {"--accept-score", "SUEO_ACCEPT_SCORE", text(x.accept), "a sign is named when the model's probability of its best word is at least this", set_double(d.accept, 0, 1, "--accept-score")},
      {"--low-score", "SUEO_LOW_SCORE", text(x.low), "between this and --accept-score the answer is low_confidence; below it, unknown_sign", set_double(d.low, 0, 1, "--low-score")},
      {"--min-sign-similarity", "SUEO_MIN_SIGN_SIMILARITY", text(x.match.min_builtin_similarity), "a built-in word is said only when the sign's embedding is at least this close (cosine) to the word's prototype (-1: not used)", set_float(d.match.min_builtin_similarity, -1, 1, "--min-sign-similarity")},
      {"--taught-min-similarity", "SUEO_TAUGHT_MIN_SIMILARITY", text(x.match.min_similarity), "a taught word is said only when the sign's embedding is at least this close (cosine) to its prototype", set_float(d.match.min_similarity, -1, 1, "--taught-min-similarity")},
      {"--taught-margin", "SUEO_TAUGHT_MARGIN", text(x.match.taught_margin), "how much closer than the classifier's word a taught word must be", set_float(d.match.taught_margin, -2, 2, "--taught-margin")},
      {"--join-seconds", "SUEO_JOIN_SECONDS", text(x.join_gap), "a motion starting this soon after a sign, unnamed or named the same, is that sign's tail", set_double(d.join_gap, 0, 5, "--join-seconds")},
  };
}

std::vector<Option> with_options(std::vector<Option> table, const std::vector<Option>& more) {
  table.insert(table.end(), more.begin(), more.end());
  return table;
}

}  // namespace sueo::app
