#include "landmarks/pose_tracker.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "landmarks/anchors.h"
#include "landmarks/detection.h"
#include "landmarks/holistic_constants.h"

namespace sueo::landmarks {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// The detector's anchors depend only on MediaPipe's constants: computed once, shared by every stream.
const std::vector<Anchor>& pose_anchors() {
  static const std::vector<Anchor> anchors = ssd_anchors(mp::pose_detection_anchor_options());
  return anchors;
}

std::span<float> input_span(Runtime& rt) { return {rt.input(0), rt.model().inputs()[0].elements()}; }

// RefineLandmarksFromHeatmapCalculator: each landmark moves to the confidence-weighted mean of the
// heatmap cells in a kernel around it, if the strongest cell there is confident enough.
void refine_from_heatmap(std::array<Landmark, mp::kPoseModelLandmarks>& lms, const float* heatmap, int rows,
                         int cols) {
  const int channels = mp::kPoseModelLandmarks;
  const int half = (mp::kHeatmapKernel - 1) / 2;
  for (int i = 0; i < channels; ++i) {
    const int col = static_cast<int>(lms[i].x * cols);
    const int row = static_cast<int>(lms[i].y * rows);
    if (col < 0 || col >= cols || row < 0 || row >= rows) continue;
    float sum = 0, wcol = 0, wrow = 0, max_conf = 0;
    for (int r = std::max(0, row - half); r < std::min(rows, row + half + 1); ++r) {
      for (int c = std::max(0, col - half); c < std::min(cols, col + half + 1); ++c) {
        const float conf = sigmoid(heatmap[(static_cast<size_t>(r) * cols + c) * channels + i]);
        sum += conf;
        max_conf = std::max(max_conf, conf);
        wcol += c * conf;
        wrow += r * conf;
      }
    }
    if (max_conf >= mp::kHeatmapMinConfidence && sum > 0) {
      lms[i].x = wcol / cols / sum;
      lms[i].y = wrow / rows / sum;
    }
  }
}

}  // namespace

PoseTracker::PoseTracker()
    : aux_filter_(mp::kPoseAuxFilter.frequency, mp::kPoseAuxFilter.min_cutoff, mp::kPoseAuxFilter.beta,
                  mp::kPoseAuxFilter.derivate_cutoff) {}

void PoseTracker::reset() {
  next_roi_.reset();
  aux_filter_.reset();
}

std::optional<NormRect> PoseTracker::detect(Runtime& detection, const uint8_t* rgb, ImageSize image) {
  const Letterbox pad = crop_to_tensor(rgb, image, nullptr, mp::kPoseDetectionCrop, input_span(detection));
  detection.run();
  const auto decode = mp::pose_detection_decode_options();
  auto detections = weighted_nms(
      decode_detections(detection.output(0), detection.output(1), pose_anchors(), decode), mp::kPoseNmsIou);
  if (detections.empty()) return std::nullopt;
  // pose_landmark_cpu.pbtxt keeps only the first (best) detection.
  const Detection best = remove_letterbox(detections.front(), pad);
  const NormRect raw = alignment_rect(best.keypoints[0], best.keypoints[1], mp::kPoseRoiTargetAngle, image);
  return transform_rect(raw, mp::kPoseRoiTransform, image);
}

std::optional<std::array<Landmark, 39>> PoseTracker::landmarks_in(Runtime& landmarks, const uint8_t* rgb,
                                                                  ImageSize image, const NormRect& roi) {
  const Letterbox pad = crop_to_tensor(rgb, image, &roi, mp::kPoseLandmarkCrop, input_span(landmarks));
  landmarks.run();
  if (!(landmarks.output(1)[0] > mp::kPosePresenceThreshold)) return std::nullopt;
  const float* raw = landmarks.output(0);
  std::array<Landmark, mp::kPoseModelLandmarks> lms;
  for (int i = 0; i < mp::kPoseModelLandmarks; ++i) {
    const float* v = raw + i * 5;
    lms[i] = {v[0] / mp::kPoseInputSize, v[1] / mp::kPoseInputSize, v[2] / mp::kPoseInputSize, sigmoid(v[3]),
              sigmoid(v[4])};
  }
  const auto& heatmap_shape = landmarks.model().outputs()[2].shape;  // {1, 64, 64, 39}
  refine_from_heatmap(lms, landmarks.output(2), heatmap_shape[1], heatmap_shape[2]);
  for (auto& lm : lms) lm = project_from_roi(remove_letterbox(lm, pad), roi);
  return lms;
}

std::optional<PoseLandmarks> PoseTracker::process(Runtime& detection, Runtime& landmarks, const uint8_t* rgb,
                                                  ImageSize image, int64_t timestamp_us, StageTimes* times) {
  auto start = Clock::now();
  std::optional<NormRect> roi = next_roi_;
  if (!roi) {
    roi = detect(detection, rgb, image);
    if (times) {
      times->pose_detection_ms += ms_since(start);
      times->pose_detected = true;
    }
    if (!roi) {
      reset();
      return std::nullopt;
    }
  }
  start = Clock::now();
  auto all = landmarks_in(landmarks, rgb, image, *roi);
  if (!all) {
    // A lost pose: the next frame detects again and its smoothing starts afresh, as in MediaPipe (the
    // golden clip with black frames fails if the filter keeps its state across the gap).
    reset();
    if (times) times->pose_landmarks_ms += ms_since(start);
    return std::nullopt;
  }
  // pose_landmark_filtering.pbtxt: the auxiliary landmarks are smoothed, scaled by their own rect.
  std::array<Landmark, 2> aux{(*all)[mp::kPoseAuxBegin], (*all)[mp::kPoseAuxBegin + 1]};
  const NormRect aux_rect =
      alignment_rect({aux[0].x, aux[0].y}, {aux[1].x, aux[1].y}, mp::kPoseRoiTargetAngle, image);
  const float object_scale = (aux_rect.width * image.width + aux_rect.height * image.height) / 2.0f;
  aux_filter_.apply(aux, timestamp_us, object_scale, image);
  // pose_landmarks_to_roi.pbtxt: the next frame's ROI.
  const NormRect next =
      alignment_rect({aux[0].x, aux[0].y}, {aux[1].x, aux[1].y}, mp::kPoseRoiTargetAngle, image);
  next_roi_ = transform_rect(next, mp::kPoseRoiTransform, image);

  PoseLandmarks pose;
  std::copy_n(all->begin(), mp::kPoseLandmarks, pose.begin());
  if (times) times->pose_landmarks_ms += ms_since(start);
  return pose;
}

}  // namespace sueo::landmarks
