// `ringside gate --interleave`: runs side A and side B as separate ringside processes, in pairs
// of randomized order, reads each run's results.json, and applies the sequential rule of
// interleave.h until it decides or reaches the cap.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "interleave.h"

namespace ringside::gate {

// One side: the ringside binary and what it runs. Agent sides run `measure --agent CMD`.
struct Side {
  std::string label;             // "A" or "B"
  std::string binary;            // a ringside executable
  std::vector<std::string> args;  // the side's own options (--a "…")
  std::string agent;             // non-empty: measure this agent instead of running the pipeline
};

struct InterleaveSetup {
  Side a, b;
  std::vector<std::string> shared;  // options both sides get (--workload, --rate, --wakeup, …)
  std::string out_dir;              // per-run results under out_dir/runs/
  double run_duration_s = 0.4;      // the measured phase of one run
  double run_warmup_s = -1;         // ≥ 0: each run's own warm-up phases (`run --warmup-s`); < 0: run's default
  InterleaveOptions stats;
};

struct PairRecord {
  std::size_t index = 0;  // 0: the warm-up pair (discarded)
  bool a_first = true;
  std::map<std::string, double> a, b;  // metric → value of each side's run
  double seconds = 0;                  // wall time of the pair
};

struct InterleaveOutcome {
  LookResult result;  // at the last look
  std::vector<LookResult> looks;
  std::vector<PairRecord> pairs;  // warm-up first
  std::map<std::string, PairedMetric> shapes;  // metric descriptions (values unused)
  double wall_s = 0;
  bool interrupted = false;
  bool at_cap_undecided = false;
};

// Runs the pairs; `progress` gets one line per pair; `stop` is polled between runs. Throws
// UsageError when a run fails (with its last stderr line), std::runtime_error otherwise.
InterleaveOutcome run_interleaved(const InterleaveSetup& setup, const std::function<void(const std::string&)>& progress,
                                  const std::function<bool()>& stop);

// Seconds of each run's warm-up phases: run_warmup_s, or run's default (its --duration, at most
// 1 s) when the gate does not pass one.
double effective_run_warmup_s(const InterleaveSetup& setup);

// Whether `binary run --help` lists `flag` (an older build of ringside may not know it).
bool run_accepts(const std::string& binary, const std::string& flag);

// The metrics of one run's results.json (a `run` or a `measure` result), one value each.
std::vector<Metric> run_metrics(const std::string& results_path);

// Renderings of an outcome.
std::string interleave_table(const InterleaveSetup& setup, const InterleaveOutcome& out);
std::string interleave_markdown(const InterleaveSetup& setup, const InterleaveOutcome& out);
std::string interleave_junit(const InterleaveOutcome& out);
std::string interleave_json(const InterleaveSetup& setup, const InterleaveOutcome& out);

}  // namespace ringside::gate
