// The one place a landmark sequence is fitted to a model's T frames: trim to the span where a hand is
// visible (± a margin), then resample linearly. tools/train/sueo_prep.py implements the same steps
// for training; tests/unit/sign checks that both give the same frames.
// Thread: pure functions, any thread.
#pragma once

#include "sign/layout.h"

namespace sueo::sign {

// The span from the first to the last frame with a visible hand, widened by `margin` frames each side
// (clamped). A sequence without any visible hand is returned whole.
Sequence trim_to_hands(const Sequence& frames, int margin);

// Output frame i sits at position i·(n−1)/(frames−1) of the input (double). Each part (pose, left
// hand, right hand) is interpolated as a + w·(b − a) in float when present in both neighbours; else
// the nearer frame's part is copied (w < 0.5: the earlier), so a hand never fades into the zeros that
// mean "absent". Throws std::invalid_argument on an empty input or frames < 1.
Sequence resample(const Sequence& frames, int frames_out);

// trim_to_hands, then resample (frames_out <= 0: keep the trimmed length, for dynamic-T models).
Sequence fit_to_model(const Sequence& frames, int frames_out, int margin);

}  // namespace sueo::sign
