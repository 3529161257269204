// Turning what a session counted into the results model — written once: which counter is which
// drop, what conservation is checked against, what the CPU cost divides by, how a run's cost is
// split between its programs.
#pragma once

#include <optional>

#include "model.h"
#include "trace_session.h"

namespace ringside {

DropCounts drop_counts(const ProgramCounters& kernel, const PipelineDrops& user);
DropCounts drop_counts(const SessionReading& r);

// What the session's programs counted: the pipeline's handled events, or in aggregate mode what
// the programs counted in the kernel.
uint64_t received_events(const SessionReport& rep, std::optional<std::size_t> slot = std::nullopt);

// The events of a finished session, every program together. `truth`: the workload's ground
// truth, or nullopt when the kernel's matched count has to stand in (trace). `detached`: the
// governor detached mid-run.
EventCounts event_counts(const SessionReport& rep, const SessionConfig& config, const WorkloadResult* truth,
                         bool detached = false);

// Each program on its own: its events, the stages its records measure, its BPF programs' run
// time, its share (by events) of the pipeline's CPU, its record sizes.
std::vector<ProgramSummary> program_summaries(const SessionReport& rep, const SessionConfig& config,
                                              const WorkloadResult* truth, bool detached = false);

// The tracer's CPU over the session; `events` = received + dropped.
CpuCost cpu_cost(const SessionReading& r, uint64_t events, int cpus, double budget_pct);

}  // namespace ringside
