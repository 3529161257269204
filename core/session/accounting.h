// Turning what a session counted into the results model — written once: which counter is which
// drop, what conservation is checked against, what the CPU cost divides by.
#pragma once

#include <optional>

#include "model.h"
#include "trace_session.h"

namespace ringside {

DropCounts drop_counts(const SessionReading& r);

// The events of a finished session. `expected`: the workload's ground truth, or nullopt when the
// kernel's matched count has to stand in (trace). `detached`: the governor detached mid-run.
EventCounts event_counts(const SessionReport& rep, const SessionConfig& config, std::optional<uint64_t> expected,
                         bool detached = false);

// The tracer's CPU over the session; `events` = received + dropped.
CpuCost cpu_cost(const SessionReading& r, uint64_t events, int cpus, double budget_pct);

}  // namespace ringside
