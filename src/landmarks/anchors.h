// SSD anchors, as SsdAnchorsCalculator generates them (mediapipe/calculators/tflite/
// ssd_anchors_calculator.cc), for the options our detectors use. Pure functions; any thread.
#pragma once

#include <vector>

namespace sueo::landmarks {

struct Anchor {
  float x_center = 0, y_center = 0, w = 1, h = 1;
};

// SsdAnchorsCalculatorOptions (the fields the pose and palm detectors set; defaults as in the proto).
struct SsdAnchorOptions {
  int input_width = 0, input_height = 0;
  float min_scale = 0, max_scale = 0;
  float anchor_offset_x = 0.5f, anchor_offset_y = 0.5f;
  std::vector<int> strides;
  std::vector<float> aspect_ratios;
  float interpolated_scale_aspect_ratio = 1.0f;  // proto default
  bool fixed_anchor_size = false;
  bool reduce_boxes_in_lowest_layer = false;
};

std::vector<Anchor> ssd_anchors(const SsdAnchorOptions& options);

}  // namespace sueo::landmarks
