#include "landmarks/detection.h"

#include <algorithm>
#include <cmath>

namespace sueo::landmarks {

namespace {

float iou(const Detection& a, const Detection& b) {
  const float ix0 = std::max(a.xmin, b.xmin), iy0 = std::max(a.ymin, b.ymin);
  const float ix1 = std::min(a.xmin + a.width, b.xmin + b.width);
  const float iy1 = std::min(a.ymin + a.height, b.ymin + b.height);
  if (ix1 < ix0 || iy1 < iy0) return 0.0f;
  const float inter = (ix1 - ix0) * (iy1 - iy0);
  const float uni = a.width * a.height + b.width * b.height - inter;
  return uni > 0.0f ? inter / uni : 0.0f;
}

}  // namespace

std::vector<Detection> decode_detections(const float* raw_boxes, const float* raw_scores,
                                         const std::vector<Anchor>& anchors, const DecodeOptions& o) {
  std::vector<Detection> out;
  for (int i = 0; i < o.num_boxes; ++i) {
    float logit = raw_scores[i];
    if (o.score_clipping_thresh > 0)
      logit = std::clamp(logit, -o.score_clipping_thresh, o.score_clipping_thresh);
    const float score = 1.0f / (1.0f + std::exp(-logit));
    if (score < o.min_score_thresh) continue;
    const float* box = raw_boxes + static_cast<size_t>(i) * o.num_coords + o.box_coord_offset;
    const Anchor& a = anchors[i];
    const float xc = box[0] / o.x_scale * a.w + a.x_center;
    const float yc = box[1] / o.y_scale * a.h + a.y_center;
    const float w = box[2] / o.w_scale * a.w;
    const float h = box[3] / o.h_scale * a.h;
    Detection d;
    d.score = score;
    d.xmin = xc - w / 2.0f;
    d.ymin = yc - h / 2.0f;
    d.width = w;
    d.height = h;
    const float* kp = raw_boxes + static_cast<size_t>(i) * o.num_coords + o.keypoint_coord_offset;
    for (int k = 0; k < o.num_keypoints; ++k) {
      d.keypoints.push_back({kp[k * o.values_per_keypoint] / o.x_scale * a.w + a.x_center,
                             kp[k * o.values_per_keypoint + 1] / o.y_scale * a.h + a.y_center});
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<Detection> weighted_nms(std::vector<Detection> remaining, float min_suppression_threshold) {
  std::stable_sort(remaining.begin(), remaining.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  while (!remaining.empty()) {
    const Detection& top = remaining.front();
    std::vector<Detection> rest;
    Detection merged = top;
    float total = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    std::vector<Point> kps(top.keypoints.size());
    for (const Detection& d : remaining) {
      if (iou(d, top) <= min_suppression_threshold) {
        rest.push_back(d);
        continue;
      }
      total += d.score;
      x0 += d.xmin * d.score;
      y0 += d.ymin * d.score;
      x1 += (d.xmin + d.width) * d.score;
      y1 += (d.ymin + d.height) * d.score;
      for (size_t k = 0; k < kps.size(); ++k) {
        kps[k].x += d.keypoints[k].x * d.score;
        kps[k].y += d.keypoints[k].y * d.score;
      }
    }
    if (total > 0) {
      merged.xmin = x0 / total;
      merged.ymin = y0 / total;
      merged.width = x1 / total - merged.xmin;
      merged.height = y1 / total - merged.ymin;
      for (size_t k = 0; k < kps.size(); ++k) merged.keypoints[k] = {kps[k].x / total, kps[k].y / total};
    }
    kept.push_back(std::move(merged));
    if (rest.size() == remaining.size()) break;  // nothing overlapped, not even the top itself
    remaining = std::move(rest);
  }
  return kept;
}

Detection remove_letterbox(const Detection& d, const Letterbox& pad) {
  const float left = pad[0], top = pad[1], lr = pad[0] + pad[2], tb = pad[1] + pad[3];
  Detection out = d;
  out.xmin = (d.xmin - left) / (1.0f - lr);
  out.ymin = (d.ymin - top) / (1.0f - tb);
  out.width = d.width / (1.0f - lr);
  out.height = d.height / (1.0f - tb);
  for (auto& k : out.keypoints) k = {(k.x - left) / (1.0f - lr), (k.y - top) / (1.0f - tb)};
  return out;
}

}  // namespace sueo::landmarks
