// The option rows that tune how signs are found and named (the spotter's speeds and durations, the
// decision's score thresholds), shared by every subcommand that reads signs (serve, spot, recognize,
// streams), so each setting has one flag, one variable and one default everywhere.
// Thread: startup only.
#pragma once

#include <vector>

#include "config.h"
#include "pipeline/sign_reader.h"

namespace sueo::app {

std::vector<Option> spotter_options(SpotterSettings& s);
std::vector<Option> decision_options(DecisionSettings& d);

// `table` with `more` appended.
std::vector<Option> with_options(std::vector<Option> table, const std::vector<Option>& more);

}  // namespace sueo::app
