// Frames of another shape than the model's (sign/aspect.h): the aspect a model declares is parsed
// strictly, and only the y of detected points moves, about the frame's centre.
#include "sign/aspect.h"

#include <gtest/gtest.h>

#include "sign/classifier.h"
#include "test_paths.h"

namespace sueo::sign {
namespace {

TEST(FrameAspect, ParsesRatiosAndNumbersAndRefusesTheRest) {
  EXPECT_NEAR(parse_frame_aspect("16:9"), 16.0 / 9.0, 1e-12);
  EXPECT_NEAR(parse_frame_aspect("4:3"), 4.0 / 3.0, 1e-12);
  EXPECT_NEAR(parse_frame_aspect("1.5"), 1.5, 1e-12);
  for (const char* bad : {"", "wide", "16:", ":9", "16:0", "0", "-1.5", "1.5x", "100:1", "nan"}) {
    EXPECT_THROW(parse_frame_aspect(bad), std::invalid_argument) << bad;
  }
}

Frame person() {
  Frame f{};
  for (size_t i = kPose.begin; i < kPose.end; i += 4) f[i] = 0.4f, f[i + 1] = 0.3f, f[i + 2] = -0.1f, f[i + 3] = 0.9f;
  f[kPose.begin + 4 * 30] = f[kPose.begin + 4 * 30 + 1] = f[kPose.begin + 4 * 30 + 2] = 0;  // a point not given
  f[kPose.begin + 4 * 30 + 3] = 0;
  for (size_t i = kRightHand.begin; i < kRightHand.end; i += 3) f[i] = 0.6f, f[i + 1] = 0.75f, f[i + 2] = 0.02f;
  return f;  // the left hand is absent (zeros)
}

TEST(FrameAspect, StretchesTheYOfDetectedPointsAboutTheCentre) {
  Frame f = person();
  to_model_aspect(f, 4.0 / 3.0, 16.0 / 9.0);  // a 4:3 frame for a 16:9 model: vertical distances × 4/3
  EXPECT_FLOAT_EQ(f[kPose.begin + 1], static_cast<float>(0.5 + (0.3 - 0.5) * 4.0 / 3.0));
  EXPECT_FLOAT_EQ(f[kPose.begin], 0.4f);       // x, z and visibility stay
  EXPECT_FLOAT_EQ(f[kPose.begin + 2], -0.1f);
  EXPECT_FLOAT_EQ(f[kPose.begin + 3], 0.9f);
  EXPECT_FLOAT_EQ(f[kRightHand.begin + 1], static_cast<float>(0.5 + 0.25 * 4.0 / 3.0));
  EXPECT_FLOAT_EQ(f[kRightHand.begin + 2], 0.02f);
  for (size_t v = 0; v < 4; ++v) EXPECT_EQ(f[kPose.begin + 4 * 30 + v], 0.0f);  // absent stays absent
  EXPECT_FALSE(part_present(f, kLeftHand));
}

TEST(FrameAspect, TheSameShapeOrAnUnknownOneChangesNothing) {
  const Frame original = person();
  for (const auto& [frame_aspect, model_aspect] : {std::pair{16.0 / 9.0, 16.0 / 9.0}, {4.0 / 3.0, 0.0}, {0.0, 1.5}}) {
    Frame f = original;
    to_model_aspect(f, frame_aspect, model_aspect);
    EXPECT_EQ(f, original) << frame_aspect << " " << model_aspect;
  }
}

// The shipped model was trained on 16:9 video and says so; the server relies on it (docs/model.md §5).
TEST(FrameAspect, TheShippedModelDeclaresSixteenByNine) {
  EXPECT_NEAR(ClassifierModel::load(test::shipped_model())->frame_aspect(), 16.0 / 9.0, 1e-9);
}

}  // namespace
}  // namespace sueo::sign
