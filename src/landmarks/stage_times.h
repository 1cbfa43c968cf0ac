// Wall time of each stage of one frame through the holistic pipeline, for `sueo bench` and the
// server's timings. Plain data, and the clock it reads.
// Thread: any.
#pragma once

#include <ctime>

namespace sueo::landmarks {

// CPU time of the calling thread in ms: what a busy shared machine disturbs less than wall time.
inline double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct StageTimes {
  double pose_detection_ms = 0;  // 0 on frames that track the pose from the previous frame
  double pose_landmarks_ms = 0;  // crop + model + decoding
  double hand_recrop_ms = 0;     // both hands
  int hand_recrops = 0;          // hand_recrop model runs (0–2; fewer with HolisticOptions::track_hands)
  double hand_landmarks_ms = 0;  // both hands
  double total_ms = 0;
  double total_cpu_ms = 0;     // CPU time of the calling thread: what a busy shared machine disturbs less
  bool pose_detected = false;  // the pose detector ran on this frame
  bool pose_held = false;      // the pose was held from an earlier frame (HolisticOptions::pose_every)
};

}  // namespace sueo::landmarks
