// A deliberately naive interpreter of the engine's Graph, used only by tests as the reference for the
// XNNPACK runtime: plain loops over NHWC indices, float64 activations and accumulation, TFLite's
// semantics written out again from the op definitions (no code shared with the XNNPACK builder).
// Slow (about a second for pose_landmark_full). Thread: any; it keeps no state.
#pragma once

#include <vector>

#include "landmarks/tflite_reader.h"

namespace sueo::landmarks::testing {

// Runs `graph` on `inputs` (one vector per graph input, in order); returns one vector per graph output.
std::vector<std::vector<double>> run_reference(const detail::Graph& graph,
                                               const std::vector<std::vector<float>>& inputs);

}  // namespace sueo::landmarks::testing
