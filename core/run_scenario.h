// Interleaved baseline / hook-floor / traced repetitions of one workload: the measurement
// behind `ringside run` (and each rung of `ringside sweep`).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "capability_probe.h"
#include "options.h"

namespace ringside {

struct ScenarioOutcome {
  nlohmann::json summary;  // DESIGN.md summary block
  nlohmann::json runs;     // per phase and repetition
  bool conserved = true;   // every traced repetition: received + drops == issued
  bool within_budget = true;
};

// Progress is "round i/n phase elapsed" lines for the caller to print.
using ProgressFn = std::function<void(const std::string&)>;

// Phases: baseline (nothing attached), floor (hook attached, program returns at once), bare (a
// counting-only libbpf ring-buffer consumer, batched wake-ups: the floor for a pipeline), traced
// (the full pipeline).
inline const std::vector<std::string> kDefaultPhases = {"baseline", "floor", "traced"};
// Parses "baseline,floor,bare,traced" (baseline and traced are always included).
std::vector<std::string> parse_phases(const std::string& text);

// Runs warm-up (discarded) then `repeat` rounds of the phases, rotating their order each round.
// Throws UsageError / std::runtime_error on environment failures.
ScenarioOutcome run_scenario(const RunOptions& o, const ProbeReport& probe, const ProgressFn& progress,
                             const std::vector<std::string>& phases = kDefaultPhases);

// The `scenario` block of results.json for these options.
nlohmann::json scenario_json(const RunOptions& o);

}  // namespace ringside
