#include "landmarks/hand_tracker.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "landmarks/holistic_constants.h"

namespace sueo::landmarks {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::span<float> input_span(Runtime& rt) { return {rt.input(0), rt.model().inputs()[0].elements()}; }

// A point rotated by `angle` about the origin, in pixels.
Point rotate_px(float x, float y, float c, float s) { return {x * c - y * s, x * s + y * c}; }

NormRect recrop_rect(Runtime& recrop, const uint8_t* rgb, ImageSize image, const NormRect& roi) {
  const Letterbox pad = crop_to_tensor(rgb, image, &roi, mp::kHandRecropCrop, input_span(recrop));
  recrop.run();
  const float* raw = recrop.output(0);  // 2 keypoints × (x, y) in crop pixels
  Landmark kp[2];
  for (int i = 0; i < 2; ++i) {
    Landmark lm{raw[2 * i] / mp::kHandRecropInputSize, raw[2 * i + 1] / mp::kHandRecropInputSize, 0, 0, 0};
    kp[i] = project_from_roi(remove_letterbox(lm, pad), roi);
  }
  const NormRect rect =
      alignment_rect({kp[0].x, kp[0].y}, {kp[1].x, kp[1].y}, mp::kHandRecropTargetAngle, image);
  return transform_rect(rect, mp::kHandRecropTransform, image);
}

}  // namespace

NormRect hand_rect_from_pose(const HandFromPose& p, ImageSize image) {
  // hand_detections_from_pose_to_rects_calculator.cc
  const float w = static_cast<float>(image.width), h = static_cast<float>(image.height);
  const float xw = p.wrist.x * w, yw = p.wrist.y * h;
  const float xm = (2.0f * p.index.x * w + p.pinky.x * w) / 3.0f;
  const float ym = (2.0f * p.index.y * h + p.pinky.y * h) / 3.0f;
  const float box = std::sqrt((xm - xw) * (xm - xw) + (ym - yw) * (ym - yw)) * 2.0f;
  const float rotation = normalize_radians(mp::kHandFromPoseTargetAngle - std::atan2(-(ym - yw), xm - xw));
  return {xm / w, ym / h, box / w, box / h, rotation};
}

NormRect hand_rect_from_landmarks(const HandLandmarks& hand, ImageSize image) {
  // hand_landmarks_to_rect_calculator.cc, on its 12-point subset. Its min/max start from
  // numeric_limits<float>::min() (the smallest positive float) where lowest() is meant; we use lowest().
  constexpr size_t kCount = std::size(mp::kHandRectLandmarks);
  std::array<Point, kCount> pts;
  for (size_t i = 0; i < kCount; ++i)
    pts[i] = {hand[mp::kHandRectLandmarks[i]].x, hand[mp::kHandRectLandmarks[i]].y};
  const float w = static_cast<float>(image.width), h = static_cast<float>(image.height);
  const float x0 = pts[mp::kRectWrist].x * w, y0 = pts[mp::kRectWrist].y * h;
  float x1 = (pts[mp::kRectIndex].x + pts[mp::kRectRing].x) / 2.0f;
  float y1 = (pts[mp::kRectIndex].y + pts[mp::kRectRing].y) / 2.0f;
  x1 = (x1 + pts[mp::kRectMiddle].x) / 2.0f * w;
  y1 = (y1 + pts[mp::kRectMiddle].y) / 2.0f * h;
  const float rotation = normalize_radians(mp::kHandRectTargetAngle - std::atan2(-(y1 - y0), x1 - x0));
  const float reverse = normalize_radians(-rotation);

  constexpr float kLow = std::numeric_limits<float>::lowest(), kHigh = std::numeric_limits<float>::max();
  float min_x = kHigh, min_y = kHigh, max_x = kLow, max_y = kLow;
  for (const Point& p : pts) {
    min_x = std::min(min_x, p.x);
    max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y);
    max_y = std::max(max_y, p.y);
  }
  const float axis_cx = (max_x + min_x) / 2.0f, axis_cy = (max_y + min_y) / 2.0f;
  min_x = min_y = kHigh;
  max_x = max_y = kLow;
  const float cr = std::cos(reverse), sr = std::sin(reverse);
  for (const Point& p : pts) {
    const Point q = rotate_px((p.x - axis_cx) * w, (p.y - axis_cy) * h, cr, sr);
    min_x = std::min(min_x, q.x);
    max_x = std::max(max_x, q.x);
    min_y = std::min(min_y, q.y);
    max_y = std::max(max_y, q.y);
  }
  const Point c =
      rotate_px((max_x + min_x) / 2.0f, (max_y + min_y) / 2.0f, std::cos(rotation), std::sin(rotation));
  return {(c.x + w * axis_cx) / w, (c.y + h * axis_cy) / h, (max_x - min_x) / w, (max_y - min_y) / h,
          rotation};
}

bool keep_tracking(const HandLandmarks& prev, const NormRect& prev_rect, const NormRect& recrop,
                   ImageSize image) {
  // roi_tracking_calculator.cc: rect requirements, then landmark requirements; both must hold.
  // Positions are compared in a frame rotated by minus the re-crop rect's rotation, in pixels.
  const float w = static_cast<float>(image.width), h = static_cast<float>(image.height);
  const float c = std::cos(-recrop.rotation), s = std::sin(-recrop.rotation);
  const Point prev_c = rotate_px(prev_rect.x_center * w, prev_rect.y_center * h, c, s);
  const Point rec_c = rotate_px(recrop.x_center * w, recrop.y_center * h, c, s);
  const float rec_w = recrop.width * w, rec_h = recrop.height * h;
  float rotation_diff = (prev_rect.rotation - recrop.rotation) / std::numbers::pi_v<float> * 180.0f;
  if (rotation_diff > 180.0f) rotation_diff -= 360.0f;
  if (rotation_diff < -180.0f) rotation_diff += 360.0f;
  bool ok = std::fabs(rotation_diff) <= mp::kHandTrackMaxRotationDegrees;
  ok = ok && std::fabs(prev_c.x - rec_c.x) <= rec_w * mp::kHandTrackMaxTranslation;
  ok = ok && std::fabs(prev_c.y - rec_c.y) <= rec_h * mp::kHandTrackMaxTranslation;
  ok = ok && std::fabs(prev_rect.width * w - rec_w) <= rec_w * mp::kHandTrackMaxScale;
  ok = ok && std::fabs(prev_rect.height * h - rec_h) <= rec_h * mp::kHandTrackMaxScale;
  if (!ok) return false;

  const float half_w = rec_w * (1.0f + mp::kHandTrackRecropMargin) * 0.5f;
  const float half_h = rec_h * (1.0f + mp::kHandTrackRecropMargin) * 0.5f;
  for (const Landmark& lm : prev) {
    const Point p = rotate_px(lm.x * w, lm.y * h, c, s);
    if (!(rec_c.x - half_w < p.x && p.x < rec_c.x + half_w && rec_c.y - half_h < p.y &&
          p.y < rec_c.y + half_h)) {
      return false;
    }
  }
  return true;
}

std::optional<HandLandmarks> HandTracker::process(Runtime& recrop, Runtime& landmark, const uint8_t* rgb,
                                                  ImageSize image, const HandFromPose& pose, bool track,
                                                  StageTimes* times) {
  // hand_visibility_from_hand_landmarks_from_pose.pbtxt: no hand unless the pose sees the wrist.
  if (!(pose.wrist.visibility > mp::kHandWristVisibilityThreshold)) {
    prev_.reset();
    return std::nullopt;
  }
  const auto start = Clock::now();
  const NormRect from_pose =
      transform_rect(hand_rect_from_pose(pose, image), mp::kHandFromPoseTransform, image);
  std::optional<NormRect> prev_rect;
  if (prev_) {
    prev_rect = transform_rect(hand_rect_from_landmarks(*prev_, image), mp::kHandFromLandmarksTransform, image);
  }
  NormRect roi;
  if (track && prev_rect && keep_tracking(*prev_, *prev_rect, from_pose, image)) {
    roi = *prev_rect;  // the tracked ROI agrees with where the pose puts the hand: no re-crop needed
  } else {
    const NormRect recropped = recrop_rect(recrop, rgb, image, from_pose);
    roi = prev_rect && keep_tracking(*prev_, *prev_rect, recropped, image) ? *prev_rect : recropped;
    if (times) ++times->hand_recrops;
  }
  if (times) times->hand_recrop_ms += ms_since(start);
  return landmarks_in(landmark, rgb, image, roi, times);
}

std::optional<HandLandmarks> HandTracker::track(Runtime& landmark, const uint8_t* rgb, ImageSize image,
                                                StageTimes* times) {
  if (!prev_) return std::nullopt;
  const NormRect roi =
      transform_rect(hand_rect_from_landmarks(*prev_, image), mp::kHandFromLandmarksTransform, image);
  return landmarks_in(landmark, rgb, image, roi, times);
}

std::optional<HandLandmarks> HandTracker::landmarks_in(Runtime& landmark, const uint8_t* rgb, ImageSize image,
                                                       const NormRect& roi, StageTimes* times) {
  const auto start = Clock::now();
  const Letterbox pad = crop_to_tensor(rgb, image, &roi, mp::kHandLandmarkCrop, input_span(landmark));
  landmark.run();
  prev_.reset();
  std::optional<HandLandmarks> hand;
  if (landmark.output(1)[0] > mp::kHandPresenceThreshold) {
    const float* raw = landmark.output(0);
    hand.emplace();
    for (int i = 0; i < mp::kHandLandmarks; ++i) {
      Landmark lm{raw[3 * i] / mp::kHandInputSize, raw[3 * i + 1] / mp::kHandInputSize,
                  raw[3 * i + 2] / mp::kHandInputSize / mp::kHandNormalizeZ, 0, 0};
      (*hand)[i] = project_from_roi(remove_letterbox(lm, pad), roi);
    }
    prev_ = hand;
  }
  if (times) times->hand_landmarks_ms += ms_since(start);
  return hand;
}

}  // namespace sueo::landmarks
