#include "landmarks/anchors.h"

#include <cmath>

namespace sueo::landmarks {

namespace {

float layer_scale(float min_scale, float max_scale, int index, int count) {
  if (count == 1) return (min_scale + max_scale) * 0.5f;
  return min_scale + (max_scale - min_scale) * 1.0f * index / (count - 1.0f);
}

}  // namespace

std::vector<Anchor> ssd_anchors(const SsdAnchorOptions& o) {
  std::vector<Anchor> anchors;
  const int layers = static_cast<int>(o.strides.size());
  int layer = 0;
  while (layer < layers) {
    // Consecutive layers with the same stride share one feature map: their anchors interleave per cell.
    std::vector<float> widths, heights;
    int last = layer;
    for (; last < layers && o.strides[last] == o.strides[layer]; ++last) {
      const float scale = layer_scale(o.min_scale, o.max_scale, last, layers);
      std::vector<std::pair<float, float>> ratio_scale;  // (aspect ratio, scale)
      if (last == 0 && o.reduce_boxes_in_lowest_layer) {
        ratio_scale = {{1.0f, 0.1f}, {2.0f, scale}, {0.5f, scale}};
      } else {
        for (float ratio : o.aspect_ratios) ratio_scale.emplace_back(ratio, scale);
        if (o.interpolated_scale_aspect_ratio > 0.0f) {
          const float next =
              last == layers - 1 ? 1.0f : layer_scale(o.min_scale, o.max_scale, last + 1, layers);
          ratio_scale.emplace_back(o.interpolated_scale_aspect_ratio, std::sqrt(scale * next));
        }
      }
      for (auto [ratio, s] : ratio_scale) {
        widths.push_back(s * std::sqrt(ratio));
        heights.push_back(s / std::sqrt(ratio));
      }
    }
    const int stride = o.strides[layer];
    const int rows = static_cast<int>(std::ceil(1.0f * o.input_height / stride));
    const int cols = static_cast<int>(std::ceil(1.0f * o.input_width / stride));
    for (int y = 0; y < rows; ++y) {
      for (int x = 0; x < cols; ++x) {
        for (size_t k = 0; k < widths.size(); ++k) {
          Anchor a;
          a.x_center = (x + o.anchor_offset_x) * 1.0f / cols;
          a.y_center = (y + o.anchor_offset_y) * 1.0f / rows;
          if (!o.fixed_anchor_size) {
            a.w = widths[k];
            a.h = heights[k];
          }
          anchors.push_back(a);
        }
      }
    }
    layer = last;
  }
  return anchors;
}

}  // namespace sueo::landmarks
