// One phase of `ringside measure`: the workload alone (baseline), or the workload while an agent
// we did not write runs (agent), with that agent's CPU and BPF program cost over the workload window.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bpf_prog_stats.h"
#include "model.h"
#include "usage_error.h"
#include "workload.h"

namespace ringside {

struct MeasureConfig {
  std::string agent;       // shell command line, run as /bin/sh -c
  WorkloadSpec workload;
  double settle_s = 2.0;   // time given to the agent to load and attach before the workload
  std::string out_dir;     // agent-<round>.out/.err go here
  int cpus = 1;            // online CPUs, the denominator of "% of the machine"
  std::function<bool()> stop;  // checked while the workload runs: true abandons the phase
};

// The agent failed before the workload started: exit 2 with its stderr tail.
struct AgentFailedToSettle : UsageError {
  using UsageError::UsageError;
};

// Both need a live BpfStatsGuard for program run times to advance.
MeasurePhase run_baseline_phase(const MeasureConfig& config, int round);
MeasurePhase run_agent_phase(const MeasureConfig& config, int round);

}  // namespace ringside
