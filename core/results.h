// Building results.json (schema ringside.results/v1) from what a session measured.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "capability_probe.h"
#include "histogram.h"
#include "trace_session.h"

namespace ringside {

inline constexpr const char* kResultsSchema = "ringside.results/v1";

nlohmann::json host_json(const ProbeReport& probe, const std::string& transport, const std::string& wakeup,
                         const std::string& hook);
// Per stage {count, p50, p90, p99, p999, max}; end_to_end also carries a plotting "cdf".
nlohmann::json latency_json(const StageHistograms& hist);
// {expected, received, matched, conserved, dropped{...}, by_syscall}. Without `expected`
// (trace: the tracer did not issue the syscalls) the kernel's matched count stands in. When the
// governor detached, syscalls issued after that were never seen: they are reported as
// `unobserved_after_detach` and conservation is checked against what was matched.
nlohmann::json events_json(const SessionReport& rep, std::optional<uint64_t> expected, bool detached = false);
// {bpf_ns, consumer_ns, workers_ns, ns_per_event, kernel_ns_per_event, user_ns_per_event,
//  pct_of_machine, budget_pct, within_budget}
nlohmann::json cpu_json(const SessionReading& r, uint64_t events, int cpus, double budget_pct);
double pct_of_machine(uint64_t cpu_ns, uint64_t wall_ns, int cpus);

// Creates `dir` (and parents) and writes dir/results.json; throws UsageError when it cannot.
void write_results(const std::string& dir, const nlohmann::json& results);
// Checks early that `dir` can be created and written (so a long run does not fail at the end).
void check_output_dir(const std::string& dir);

}  // namespace ringside
