// One phase of `ringside measure`: the workload alone (baseline), or the workload while an agent
// we did not write runs (agent), with that agent's CPU and BPF program cost over the workload window.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bpf_prog_stats.h"
#include "cli.h"
#include "workload.h"

namespace ringside {

struct MeasureConfig {
  std::string agent;       // shell command line, run as /bin/sh -c
  WorkloadSpec workload;
  double settle_s = 2.0;   // time given to the agent to load and attach before the workload
  std::string out_dir;     // agent-<round>.out/.err go here
  int cpus = 1;            // online CPUs, the denominator of "% of the machine"
};

struct PhaseResult {
  int round = 0;           // 0 = warm-up (discarded)
  std::string phase;       // "baseline" | "agent"
  WorkloadResult workload;
  uint64_t wall_ns = 0;    // go() → result: the window CPU is sampled over
  // CPU the workload process used in all (RUSAGE_CHILDREN delta over its spawn → reap; its set-up is
  // a few ms of it). ops per CPU-second does not depend on how much CPU other load left it.
  uint64_t workload_cpu_ns = 0;

  // Programs not the agent's that ran during the window (another tracer on this machine slows
  // both phases at random: a measurement with foreign activity is noisier).
  std::vector<std::string> foreign_programs;
  ProgStats foreign;  // run_cnt / run_time_ns summed over them

  // agent phase only
  bool valid = true;                // false: the agent exited before the window ended
  std::string invalid_reason;
  uint64_t agent_cpu_ns = 0;        // the agent's process tree, user + system (agent_tree.h)
  std::size_t agent_processes = 0;  // tree size at the end of the window
  std::vector<ProgStats> programs;  // its programs, run_time_ns/run_cnt as window deltas
  std::string stop_signal;          // what it took to stop it ("SIGINT", …; "" if it had exited)

  [[nodiscard]] uint64_t bpf_ns() const;
  [[nodiscard]] uint64_t bpf_runs() const;
  [[nodiscard]] double agent_cpu_pct(int cpus) const;
  [[nodiscard]] double bpf_cpu_pct(int cpus) const;
  [[nodiscard]] double ops_per_cpu_sec() const;  // 0 when no CPU time was measured
  // {index, phase, warmup, valid, workload{...}, cpu{...}, bpf_programs[...]} (slowdown added later)
  [[nodiscard]] nlohmann::json to_json(int cpus) const;
};

// The agent failed before the workload started: exit 2 with its stderr tail.
struct AgentFailedToSettle : UsageError {
  using UsageError::UsageError;
};

// Both need a live BpfStatsGuard for program run times to advance.
PhaseResult run_baseline_phase(const MeasureConfig& config, int round);
PhaseResult run_agent_phase(const MeasureConfig& config, int round);

// {id, name, type, run_cnt, run_time_ns, ns_per_run}
nlohmann::json program_json(const ProgStats& p);

}  // namespace ringside
