// Wall time of each stage of one frame through the holistic pipeline, for `sueo bench` and the
// server's timings. Plain data.
#pragma once

namespace sueo::landmarks {

struct StageTimes {
  double pose_detection_ms = 0;  // 0 on frames that track the pose from the previous frame
  double pose_landmarks_ms = 0;  // crop + model + decoding
  double hand_recrop_ms = 0;     // both hands
  int hand_recrops = 0;          // hand_recrop model runs (0–2; fewer with HolisticOptions::track_hands)
  double hand_landmarks_ms = 0;  // both hands
  double total_ms = 0;
  double total_cpu_ms = 0;     // CPU time of the calling thread: what a busy shared machine disturbs less
  bool pose_detected = false;  // the pose detector ran on this frame
};

}  // namespace sueo::landmarks
