// Every number of MediaPipe Holistic's graphs that our port uses, with the file it comes from
// (github.com/google/mediapipe, mediapipe/modules/... unless a path says otherwise). Header-only.
#pragma once

#include <numbers>

#include "landmarks/anchors.h"
#include "landmarks/detection.h"
#include "landmarks/roi.h"

namespace sueo::landmarks::mp {

constexpr float kDegrees = std::numbers::pi_v<float> / 180.0f;

// ThresholdingCalculator (calculators/util/thresholding_calculator.cc) accepts value > threshold,
// strictly; TensorsToDetectionsCalculator drops scores < min_score_thresh.

// ---- pose_detection/pose_detection_cpu.pbtxt -------------------------------------------------------
// ImageToTensorCalculator: 224×224, keep_aspect_ratio, range [-1, 1], BORDER_ZERO.
inline const CropSpec kPoseDetectionCrop{224, 224, -1.0f, 1.0f, /*zero_border=*/true};
// SsdAnchorsCalculator: num_layers 5, min_scale 0.1484375, max_scale 0.75, 224×224, offsets 0.5,
// strides 8,16,32,32,32, aspect_ratios 1.0, fixed_anchor_size (2254 anchors).
inline SsdAnchorOptions pose_detection_anchor_options() {
  SsdAnchorOptions o;
  o.input_width = 224;
  o.input_height = 224;
  o.min_scale = 0.1484375f;
  o.max_scale = 0.75f;
  o.anchor_offset_x = 0.5f;
  o.anchor_offset_y = 0.5f;
  o.strides = {8, 16, 32, 32, 32};
  o.aspect_ratios = {1.0f};
  o.fixed_anchor_size = true;
  return o;
}
// TensorsToDetectionsCalculator: 2254 boxes × 12 coords, 4 keypoints at offset 4, sigmoid scores
// clipped at ±100, reverse_output_order (XYWH), scales 224, min_score_thresh 0.5
// (= the solution's minDetectionConfidence).
inline DecodeOptions pose_detection_decode_options() {
  DecodeOptions o;
  o.num_boxes = 2254;
  o.num_coords = 12;
  o.num_keypoints = 4;
  o.box_coord_offset = 0;
  o.keypoint_coord_offset = 4;
  o.values_per_keypoint = 2;
  o.x_scale = o.y_scale = o.w_scale = o.h_scale = 224.0f;
  o.score_clipping_thresh = 100.0f;
  o.min_score_thresh = 0.5f;
  return o;
}
// NonMaxSuppressionCalculator: min_suppression_threshold 0.3, INTERSECTION_OVER_UNION, WEIGHTED.
constexpr float kPoseNmsIou = 0.3f;

// ---- pose_landmark/pose_detection_to_roi.pbtxt and pose_landmarks_to_roi.pbtxt ---------------------
// AlignmentPointsRectsCalculator: keypoint 0 → 1 (hip centre → full-body scale point) turned to 90°;
// RectTransformationCalculator: scale 1.25, square_long.
constexpr float kPoseRoiTargetAngle = 90.0f * kDegrees;
inline const RectTransform kPoseRoiTransform{1.25f, 1.25f, 0.0f, 0.0f, true};

// ---- pose_landmark/pose_landmark_by_roi_cpu.pbtxt ---------------------------------------------------
// ImageToTensorCalculator: 256×256, keep_aspect_ratio, range [0, 1] (default border: replicate).
inline const CropSpec kPoseLandmarkCrop{256, 256, 0.0f, 1.0f, false};

// ---- pose_landmark/tensors_to_pose_landmarks_and_segmentation.pbtxt --------------------------------
constexpr int kPoseModelLandmarks = 39;         // TensorsToLandmarksCalculator num_landmarks (33 + 2 aux + 4)
constexpr int kPoseLandmarks = 33;              // SplitNormalizedLandmarkList 0..33: the pose
constexpr int kPoseAuxBegin = 33;               // 33..35: the auxiliary landmarks that set the next ROI
constexpr float kPoseInputSize = 256.0f;        // input_image_width/height
constexpr float kPosePresenceThreshold = 0.5f;  // ThresholdingCalculator (= minTrackingConfidence)
constexpr int kHeatmapKernel = 7;               // RefineLandmarksFromHeatmapCalculator kernel_size
constexpr float kHeatmapMinConfidence = 0.5f;   // its min_confidence_to_refine (proto default)

// ---- pose_landmark/pose_landmark_filtering.pbtxt ----------------------------------------------------
// The auxiliary landmarks are always smoothed (not switched by smooth_landmarks): one-euro filter
// min_cutoff 0.01, beta 10, derivate_cutoff 1, object scale from their own alignment rect;
// frequency 30 until two timestamps are seen (landmarks_smoothing_calculator.proto default).
struct OneEuroOptions {
  double frequency, min_cutoff, beta, derivate_cutoff;
};
constexpr OneEuroOptions kPoseAuxFilter{30.0, 0.01, 10.0, 1.0};

// ---- holistic_landmark/hand_landmarks_left_and_right_cpu.pbtxt --------------------------------------
// Pose landmarks that locate a hand: wrist, pinky, index (left: 15, 17, 19; right: 16, 18, 20).
constexpr int kLeftWrist = 15, kLeftPinky = 17, kLeftIndex = 19;
constexpr int kRightWrist = 16, kRightPinky = 18, kRightIndex = 20;

// ---- holistic_landmark/hand_visibility_from_hand_landmarks_from_pose.pbtxt -------------------------
constexpr float kHandWristVisibilityThreshold = 0.1f;  // ThresholdingCalculator

// ---- holistic_landmark/hand_landmarks_from_pose_to_recrop_roi.pbtxt (+ calculators/
//      hand_detections_from_pose_to_rects_calculator.cc: centre (2·index + pinky)/3, side 2·|centre −
//      wrist|, rotation wrist → centre turned to 90°) -------------------------------------------------
constexpr float kHandFromPoseTargetAngle = 90.0f * kDegrees;
inline const RectTransform kHandFromPoseTransform{2.7f, 2.7f, 0.0f, -0.1f, true};

// ---- holistic_landmark/hand_recrop_by_roi_cpu.pbtxt -------------------------------------------------
inline const CropSpec kHandRecropCrop{256, 256, 0.0f, 1.0f, false};
constexpr float kHandRecropInputSize = 256.0f;
constexpr float kHandRecropTargetAngle = -90.0f * kDegrees;  // keypoint 0 → 1 turned to −90°
inline const RectTransform kHandRecropTransform{1.0f, 1.0f, 0.0f, -0.1f, true};

// ---- holistic_landmark/hand_tracking.pbtxt (RoiTrackingCalculator) ---------------------------------
constexpr float kHandTrackMaxRotationDegrees = 40.0f;
constexpr float kHandTrackMaxTranslation = 0.2f;  // of the re-crop rect's side
constexpr float kHandTrackMaxScale = 0.4f;        // of the re-crop rect's side
constexpr float kHandTrackRecropMargin = -0.1f;   // landmarks must lie inside the re-crop rect shrunk 10 %

// ---- holistic_landmark/hand_landmarks_to_roi.pbtxt (+ hand_landmark/calculators/
//      hand_landmarks_to_rect_calculator.cc) ----------------------------------------------------------
inline const RectTransform kHandFromLandmarksTransform{2.0f, 2.0f, 0.0f, -0.1f, true};
constexpr float kHandRectTargetAngle = 90.0f * kDegrees;
// The landmarks the rect is fitted to: wrist, thumb CMC/MCP, and the MCP + PIP of the four fingers.
constexpr int kHandRectLandmarks[] = {0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18};
// The rotation: wrist → the mean of (index MCP + ring MCP)/2 and middle MCP, as positions in that list
// (the calculator names them kIndexFingerPIPJoint = 4, kMiddleFingerPIPJoint = 6, kRingFingerPIPJoint = 8,
// but in the 12-point list they are the MCP joints 5, 9 and 13).
constexpr int kRectWrist = 0, kRectIndex = 4, kRectMiddle = 6, kRectRing = 8;

// ---- hand_landmark/hand_landmark_cpu.pbtxt -----------------------------------------------------------
inline const CropSpec kHandLandmarkCrop{224, 224, 0.0f, 1.0f, false};
constexpr int kHandLandmarks = 21;
constexpr float kHandInputSize = 224.0f;
constexpr float kHandNormalizeZ = 0.4f;         // TensorsToLandmarksCalculator normalize_z
constexpr float kHandPresenceThreshold = 0.5f;  // ThresholdingCalculator on the hand flag

}  // namespace sueo::landmarks::mp
