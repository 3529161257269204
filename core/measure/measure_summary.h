// The summary of `ringside measure` rounds: paired slowdowns with CIs, the agent's CPU and its
// programs' run time against the budget.
#pragma once

#include <vector>

#include "model.h"

namespace ringside {

// Sets each agent phase's slowdown vs its round's baseline and summarises the measured rounds
// (round 0 is the warm-up; invalid phases are left out).
MeasureSummary summarize_measure(std::vector<MeasurePhase>& runs, const MeasureScenario& sc, int cpus);

}  // namespace ringside
