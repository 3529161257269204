// `ringside run --scenario governor`: proves when the governor fires and when it does not, on
// the run's programs and workload (all programs together: sampling applies to every one of them,
// detach detaches them all).
//   must-fire:     max rate, a wake-up per record → well over budget; the governor must
//                  act within windows_over + 1 windows, and afterwards the measured overhead
//                  must be back under budget (or the programs detached).
//   must-not-fire: 1k ops/s for ≥ 30 windows → zero actions.
//   edge:          rates around the budget knee → reported, not asserted.
#pragma once

#include "capability_probe.h"
#include "model.h"
#include "options.h"
#include "phases.h"

namespace ringside {

GovernorValidation validate_governor(const RunOptions& o, const ProbeReport& probe, const ProgressFn& progress);

}  // namespace ringside
