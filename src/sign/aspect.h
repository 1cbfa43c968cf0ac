// Landmarks of a frame of another shape than the model was trained on. MediaPipe's image coordinates
// are fractions of the frame's width and height, so the same person in a 4:3 frame (the page's 640×480
// from an iPad camera) has every vertical distance 0.75× of what a 16:9 frame (the training videos)
// gives, relative to the horizontal ones: the in-graph normalisation by shoulder width cannot undo it.
// A model that declares its frames' aspect (metadata `sueo.frame_aspect`, docs/model.md §5) gets every
// frame's y stretched about the centre to that aspect before it sees the landmarks.
// Thread: pure functions, any thread.
#pragma once

#include <string>

#include "sign/layout.h"

namespace sueo::sign {

// "16:9", "4:3" or a decimal width/height ("1.7778"); throws std::invalid_argument unless 0.2..5.
double parse_frame_aspect(const std::string& text);

// y of every detected point (pose and hands; absent parts stay zeros) moved to 0.5 + (y − 0.5) ×
// model_aspect / frame_aspect. Nothing changes when either aspect is 0 (unknown) or they are equal.
void to_model_aspect(Frame& frame, double frame_aspect, double model_aspect);

}  // namespace sueo::sign
