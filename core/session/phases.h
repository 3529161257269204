// Interleaved repetitions of one workload in phases — baseline (nothing attached), floor (the
// programs' hooks attached, returning at once), bare (the lean counting consumer), aggregate (the
// programs counting in the kernel, no records), traced (the full pipeline) — with a discarded
// warm-up round and the phase order rotated each round: the measurement behind `ringside run`
// and each rung of `ringside sweep`.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capability_probe.h"
#include "model.h"
#include "options.h"
#include "sink_writer.h"
#include "trace_session.h"

namespace ringside {

struct ScenarioOutcome {
  Summary summary;                // of the complete rounds
  std::vector<PhaseRecord> runs;  // every phase run of the complete rounds (warm-up discarded)
  int complete_rounds = 0;
  bool interrupted = false;       // SIGINT/SIGTERM, or a failure: the round in progress was abandoned
  std::string failure;            // the failure that ended it early (a workload killed, ...); empty for a signal
};

// Progress is "round i/n phase elapsed" lines for the caller to print.
using ProgressFn = std::function<void(const std::string&)>;

inline const std::vector<Phase> kDefaultPhases = {Phase::baseline, Phase::floor, Phase::traced};

// Runs the warm-up round (discarded; each phase `warmup_s` seconds, default min(1, duration); 0
// skips it) then `repeat` rounds of `phases`, rotating their order each round. A stop signal
// (stop_signal.h) abandons the round in progress — its workload is killed — and returns the
// complete rounds. Throws UsageError / std::runtime_error on environment failures.
ScenarioOutcome run_scenario(const RunOptions& o, const ProbeReport& probe, const ProgressFn& progress,
                             const std::vector<Phase>& phases = kDefaultPhases,
                             const std::shared_ptr<SinkWriter>& sink = nullptr,
                             std::optional<double> warmup_s = std::nullopt);

// 0 workers or --inline: the consumer handles each event itself (the default).
bool handles_inline(const PipelineOptions& p);
// --rings per-cpu needs the catalog on a ring buffer: UsageError otherwise.
void check_rings(const RunOptions& o);
// Whether the bare phase runs lean_tap (syscall_tap alone on syscalls) or the programs themselves.
bool lean_bare(const RunOptions& o, const std::vector<int>& syscall_nrs);

// The workload that gives the programs their ground truth: one program's own, or a mix of them.
void default_workload_for_programs(RunOptions& o);

// Fills in what the programs need and the user left to defaults (function_timing's target), and
// rejects combinations that cannot work ("--payload-bytes: file_ops carries no payload"). With
// --bpf-object: opens and checks the object (its ring, --rodata, --drop-counter), runs it instead
// of the catalog, on the transport its ring's type says; returns what it found. `given(key)`:
// whether an option was set by a flag or the config (an explicit --transport must agree).
std::optional<BpfObjectInfo> complete_program_options(RunOptions& o,
                                                      const std::function<bool(std::string_view)>& given = {});

// Rejects phases the programs cannot run (aggregate without an aggregate mode, bare on a user's
// perf buffer); UsageError.
void check_phases(const RunOptions& o, const std::vector<Phase>& phases);

// The session a set of options describes, for the given syscall numbers.
SessionConfig session_config(const RunOptions& o, std::vector<int> syscalls, bool follow_children,
                             std::shared_ptr<SinkWriter> sink = nullptr);

WorkloadSpec workload_spec(const RunOptions& o, double duration_s);

// The `scenario` block of results for these options.
RunScenario scenario_of(const RunOptions& o);

}  // namespace ringside
