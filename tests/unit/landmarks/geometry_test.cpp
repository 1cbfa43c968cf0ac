// The pieces of the holistic port on hand-made inputs, where the expected answer can be worked out by
// hand: SSD anchors, weighted NMS, rect transformation, hand rects, ROI tracking, the one-euro filter.
// (The golden test checks them together against MediaPipe.)
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "landmarks/anchors.h"
#include "landmarks/detection.h"
#include "landmarks/hand_tracker.h"
#include "landmarks/holistic_constants.h"
#include "landmarks/one_euro.h"
#include "landmarks/roi.h"

namespace sueo::landmarks {
namespace {

constexpr float kPi = std::numbers::pi_v<float>;
constexpr ImageSize kImage{640, 360};

// The crop as ImageToTensor defines it, one float bilinear sample per tensor value, written plainly.
std::vector<float> plain_crop(const std::vector<uint8_t>& rgb, ImageSize image, const NormRect& roi,
                              const CropSpec& spec) {
  float w = roi.width * image.width, h = roi.height * image.height;
  if (static_cast<float>(spec.height) / spec.width > h / w) h = w * spec.height / spec.width;
  else w = h * spec.width / spec.height;
  const float c = std::cos(roi.rotation), s = std::sin(roi.rotation);
  std::vector<float> out;
  for (int v = 0; v < spec.height; ++v) {
    for (int u = 0; u < spec.width; ++u) {
      const float dx = ((u + 0.5f) / spec.width - 0.5f) * w, dy = ((v + 0.5f) / spec.height - 0.5f) * h;
      const float x = roi.x_center * image.width + c * dx - s * dy - 0.5f;
      const float y = roi.y_center * image.height + s * dx + c * dy - 0.5f;
      const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
      const float fx = x - std::floor(x), fy = y - std::floor(y);
      for (int ch = 0; ch < 3; ++ch) {
        auto tap = [&](int xi, int yi) -> float {
          if (xi < 0 || yi < 0 || xi >= image.width || yi >= image.height) {
            if (spec.zero_border) return 0.0f;
            xi = std::clamp(xi, 0, image.width - 1);
            yi = std::clamp(yi, 0, image.height - 1);
          }
          return rgb[(static_cast<size_t>(yi) * image.width + xi) * 3 + ch];
        };
        const float value = tap(x0, y0) * (1 - fx) * (1 - fy) + tap(x0 + 1, y0) * fx * (1 - fy) +
                            tap(x0, y0 + 1) * (1 - fx) * fy + tap(x0 + 1, y0 + 1) * fx * fy;
        out.push_back(value * (spec.hi - spec.lo) / 255.0f + spec.lo);
      }
    }
  }
  return out;
}

// crop_to_tensor's fast path (three channels at once, no floor call) must give the plain crop's
// values, inside the image, across its edges and corners (both border rules), rotated or not.
TEST(Crop, FastPathMatchesThePlainBilinearCrop) {
  std::mt19937 rng(7);
  const ImageSize image{97, 61};  // odd sizes: rows are not multiples of anything
  std::vector<uint8_t> rgb(static_cast<size_t>(image.width) * image.height * 3);
  for (auto& b : rgb) b = static_cast<uint8_t>(rng());
  std::uniform_real_distribution<float> centre(-0.2f, 1.2f), size(0.05f, 1.5f), angle(-kPi, kPi);
  for (int trial = 0; trial < 200; ++trial) {
    const NormRect roi{centre(rng), centre(rng), size(rng), size(rng), trial % 4 == 0 ? 0.0f : angle(rng)};
    const CropSpec spec{19 + trial % 5, 17 + trial % 3, trial % 2 ? -1.0f : 0.0f, 1.0f, trial % 3 == 0};
    std::vector<float> fast(static_cast<size_t>(spec.width) * spec.height * 3);
    crop_to_tensor(rgb.data(), image, &roi, spec, fast);
    const auto plain = plain_crop(rgb, image, roi, spec);
    ASSERT_EQ(fast.size(), plain.size());
    for (size_t i = 0; i < fast.size(); ++i) {
      // Same taps; positions and weights are summed in another order: within 0.03 of a level (a wrong
      // tap or weight is off by whole levels).
      ASSERT_NEAR(fast[i], plain[i], 1e-4) << "trial " << trial << " value " << i;
    }
  }
}

TEST(Anchors, PoseDetectorLayout) {
  const auto anchors = ssd_anchors(mp::pose_detection_anchor_options());
  // 28×28 cells × 2 (stride 8) + 14×14 × 2 (stride 16) + 7×7 × 6 (three stride-32 layers share a map).
  ASSERT_EQ(anchors.size(), 2254u);
  EXPECT_FLOAT_EQ(anchors[0].x_center, 0.5f / 28);
  EXPECT_FLOAT_EQ(anchors[1].x_center, 0.5f / 28);  // two anchors per cell
  EXPECT_FLOAT_EQ(anchors[2].x_center, 1.5f / 28);
  EXPECT_FLOAT_EQ(anchors[1568].x_center, 0.5f / 14);
  EXPECT_FLOAT_EQ(anchors[1568 + 392].y_center, 0.5f / 7);
  EXPECT_FLOAT_EQ(anchors.back().x_center, 6.5f / 7);
  for (const auto& a : anchors) ASSERT_EQ(a.w, 1.0f);  // fixed_anchor_size
}

Detection box(float score, float x, float y, float size, Point keypoint) {
  return {score, x, y, size, size, {keypoint}};
}

TEST(WeightedNms, MergesOverlapsByScoreAndKeepsSeparateOnes) {
  const auto out =
      weighted_nms({box(0.6f, 0.02f, 0.02f, 0.4f, {0.3f, 0.3f}), box(0.9f, 0.0f, 0.0f, 0.4f, {0.2f, 0.2f}),
                    box(0.8f, 0.6f, 0.6f, 0.3f, {0.7f, 0.7f})},
                   0.3f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);  // the top score stays
  EXPECT_NEAR(out[0].xmin, (0.0f * 0.9f + 0.02f * 0.6f) / 1.5f, 1e-6);
  EXPECT_NEAR(out[0].keypoints[0].x, (0.2f * 0.9f + 0.3f * 0.6f) / 1.5f, 1e-6);
  EXPECT_NEAR(out[0].width, 0.4f, 1e-6);
  EXPECT_FLOAT_EQ(out[1].score, 0.8f);
  EXPECT_FLOAT_EQ(out[1].xmin, 0.6f);
}

TEST(Rects, AlignmentRectPointsStartToEndUpwards) {
  // End straight above start: already at 90°, so no rotation; side = 2 × distance.
  const NormRect r = alignment_rect({0.5f, 0.5f}, {0.5f, 0.25f}, 90.0f * mp::kDegrees, kImage);
  EXPECT_NEAR(r.rotation, 0.0f, 1e-6);
  EXPECT_NEAR(r.height * kImage.height, 2 * 0.25f * kImage.height, 1e-3);
  EXPECT_NEAR(r.width * kImage.width, r.height * kImage.height, 1e-3);  // square in pixels
  // End to the right of start: the rect is turned a quarter clockwise.
  EXPECT_NEAR(alignment_rect({0.5f, 0.5f}, {0.6f, 0.5f}, 90.0f * mp::kDegrees, kImage).rotation, kPi / 2,
              1e-6);
}

TEST(Rects, TransformShiftsAlongTheRotatedAxisAndSquares) {
  const NormRect upright{0.5f, 0.5f, 0.1f, 0.2f, 0.0f};
  const NormRect a = transform_rect(upright, {2.0f, 2.0f, 0.0f, -0.1f, true}, kImage);
  EXPECT_NEAR(a.y_center, 0.5f - 0.02f, 1e-6);                          // up by 10 % of the height
  EXPECT_NEAR(a.width * kImage.width, 2 * 0.2f * kImage.height, 1e-3);  // long side 72 px, × 2
  EXPECT_NEAR(a.height * kImage.height, 2 * 0.2f * kImage.height, 1e-3);
  NormRect turned = upright;
  turned.rotation = kPi / 2;  // "up" in the rect is now +x on the image
  const NormRect b = transform_rect(turned, {1.0f, 1.0f, 0.0f, -0.1f, false}, kImage);
  EXPECT_GT(b.x_center, 0.5f);
  EXPECT_NEAR(b.y_center, 0.5f, 1e-6);
}

// An upright open hand, wrist at the bottom: 21 points in normalised coordinates.
HandLandmarks upright_hand(float cx, float cy, float size) {
  HandLandmarks h{};
  for (int i = 0; i < 21; ++i) {
    const int finger = i == 0 ? 2 : (i - 1) / 4;  // 0 thumb … 4 pinky
    const int joint = i == 0 ? 0 : (i - 1) % 4 + 1;
    h[i].x = cx + (finger - 2) * 0.2f * size * 360.0f / 640.0f;
    h[i].y = cy + 0.5f * size - joint * 0.22f * size;
  }
  return h;
}

TEST(Rects, HandRectFromLandmarksIsUprightAndCoversTheHand) {
  const HandLandmarks hand = upright_hand(0.5f, 0.5f, 0.3f);
  const NormRect r = hand_rect_from_landmarks(hand, kImage);
  EXPECT_NEAR(r.rotation, 0.0f, 1e-5);
  EXPECT_NEAR(r.x_center, 0.5f, 1e-5);
  EXPECT_GT(r.height, 0.3f * 0.6f);
}

TEST(RoiTracking, KeepsTheRectOnlyWhileTheRecropAgrees) {
  const HandLandmarks hand = upright_hand(0.5f, 0.5f, 0.3f);
  const NormRect prev =
      transform_rect(hand_rect_from_landmarks(hand, kImage), mp::kHandFromLandmarksTransform, kImage);
  EXPECT_TRUE(keep_tracking(hand, prev, prev, kImage));
  NormRect moved = prev;
  moved.x_center += 0.3f * prev.width;  // beyond 20 % of the side
  EXPECT_FALSE(keep_tracking(hand, prev, moved, kImage));
  NormRect turned = prev;
  turned.rotation = 45.0f * mp::kDegrees;  // beyond 40°
  EXPECT_FALSE(keep_tracking(hand, prev, turned, kImage));
  NormRect small = prev;
  small.width *= 0.5f;  // the landmarks no longer fit the shrunk re-crop rect, and the scale changed
  EXPECT_FALSE(keep_tracking(hand, prev, small, kImage));
}

TEST(OneEuro, FollowsMediaPipesTimestampRules) {
  OneEuroFilter f(30.0, 0.01, 10.0, 1.0);
  EXPECT_EQ(f.apply(0, 1.0, 5.0), 5.0);           // a first stamp of 0 is passed through, not stored
  EXPECT_EQ(f.apply(66667, 1.0, 7.0), 7.0);       // the first stored value comes out as is
  EXPECT_EQ(f.apply(66667, 1.0, 100.0), 100.0);   // a repeated stamp: unfiltered, state untouched
  const double next = f.apply(133333, 1.0, 8.0);  // a step is followed only partly
  EXPECT_GT(next, 7.0);
  EXPECT_LT(next, 8.0);
  const double still = f.apply(200000, 1.0, 8.0);
  EXPECT_GT(still, next);  // and keeps converging
  EXPECT_LE(still, 8.0);
}

}  // namespace
}  // namespace sueo::landmarks
