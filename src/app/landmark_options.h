// The landmark settings every command that runs the landmarks shares (serve, recognize, extract,
// bench landmarks): the same rows in each option table, so they read and default the same everywhere.
// Thread: startup only.
#pragma once

#include <vector>

#include "config.h"
#include "landmarks/holistic.h"

namespace sueo::app {

// --pose-model full|lite, --hand-model full|lite, --hand-recrop always|tracked,
// --landmark-precision f32|bf16, --pose-every N (HolisticOptions).
std::vector<Option> landmark_option_rows(landmarks::HolisticOptions& options);

}  // namespace sueo::app
