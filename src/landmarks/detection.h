// SSD detector outputs → detections: box/keypoint decoding against anchors
// (TensorsToDetectionsCalculator), weighted non-maximum suppression (NonMaxSuppressionCalculator,
// WEIGHTED) and letterbox removal (DetectionLetterboxRemovalCalculator). Pure functions; any thread.
#pragma once

#include <vector>

#include "landmarks/anchors.h"
#include "landmarks/roi.h"

namespace sueo::landmarks {

// A detection in the detector's input (tensor) coordinates, normalised to [0,1].
struct Detection {
  float score = 0;
  float xmin = 0, ymin = 0, width = 0, height = 0;
  std::vector<Point> keypoints;
};

// TensorsToDetectionsCalculatorOptions (the fields our detectors set). Boxes are XYWH
// (reverse_output_order: true), keypoints XY.
struct DecodeOptions {
  int num_boxes = 0, num_coords = 0, num_keypoints = 0;
  int box_coord_offset = 0, keypoint_coord_offset = 4, values_per_keypoint = 2;
  float x_scale = 1, y_scale = 1, w_scale = 1, h_scale = 1;
  float score_clipping_thresh = 0;  // 0 = no clipping
  float min_score_thresh = 0.5f;
};

// Decodes every box whose sigmoid score reaches `min_score_thresh`.
std::vector<Detection> decode_detections(const float* raw_boxes, const float* raw_scores,
                                         const std::vector<Anchor>& anchors, const DecodeOptions& options);

// Weighted NMS with IoU overlap: each kept detection's box and keypoints are the score-weighted mean of
// the detections overlapping it by more than `min_suppression_threshold`; its score stays the top one's.
// Sorted by score, best first.
std::vector<Detection> weighted_nms(std::vector<Detection> detections, float min_suppression_threshold);

// Maps a detection from the letterboxed tensor back to the image.
Detection remove_letterbox(const Detection& d, const Letterbox& pad);

}  // namespace sueo::landmarks
