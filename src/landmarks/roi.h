// Rotated regions of interest and the geometry MediaPipe's graphs do on them: rects from two
// alignment points, rect transformation (scale, shift, square), projection of ROI-relative landmarks
// back to the image, and the rotated crop that feeds a model.
//
// Coordinates follow MediaPipe: x, y normalised by the image width and height, rotation in radians
// (clockwise on screen, 0 = upright). Every function is pure; any thread may call them.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace sueo::landmarks {

struct Point {
  float x = 0, y = 0;
};

// mediapipe::NormalizedRect.
struct NormRect {
  float x_center = 0, y_center = 0, width = 0, height = 0, rotation = 0;
};

struct ImageSize {
  int width = 0, height = 0;
};

// A landmark in normalised image (or ROI) coordinates.
struct Landmark {
  float x = 0, y = 0, z = 0, visibility = 0, presence = 0;
};

// Angle wrapped into [-pi, pi) (MediaPipe's NormalizeRadians).
float normalize_radians(float angle);

// Rotation that turns the vector start→end (in pixels) to `target_angle` (radians), as
// DetectionsToRectsCalculator::ComputeRotation does.
float rotation_from_points(Point start, Point end, float target_angle, ImageSize image);

// AlignmentPointsRectsCalculator: centre at `start`, a square of side 2·|start→end| pixels, rotated
// so that start→end points to `target_angle`.
NormRect alignment_rect(Point start, Point end, float target_angle, ImageSize image);

// RectTransformationCalculatorOptions (only the fields our graphs set).
struct RectTransform {
  float scale_x = 1, scale_y = 1, shift_x = 0, shift_y = 0;
  bool square_long = false;
};
NormRect transform_rect(const NormRect& rect, const RectTransform& t, ImageSize image);

// LandmarkProjectionCalculator with only a NORM_RECT input (what the pose and hand graphs use): the
// rotation is applied in normalised coordinates and z is scaled by the rect's normalised width.
Landmark project_from_roi(const Landmark& in_roi, const NormRect& rect);

// Letterbox padding of a crop, as fractions of the tensor: left, top, right, bottom.
using Letterbox = std::array<float, 4>;
// LandmarkLetterboxRemovalCalculator: undoes the padding (z scaled like x).
Landmark remove_letterbox(const Landmark& lm, const Letterbox& pad);

// What ImageToTensorCalculator does: crop the rotated rect `roi` (the whole image when null) out of an
// RGB image, widened to the tensor's aspect ratio (keep_aspect_ratio), bilinear-sampled into a
// width×height×3 float tensor with values mapped from [0,255] to [lo,hi]. Returns the letterbox
// padding. `zero_border`: samples outside the image are 0 (else the edge pixel is repeated).
struct CropSpec {
  int width = 0, height = 0;
  float lo = 0, hi = 1;
  bool zero_border = false;
};
Letterbox crop_to_tensor(const uint8_t* rgb, ImageSize image, const NormRect* roi, const CropSpec& spec,
                         std::span<float> out);

}  // namespace sueo::landmarks
