// The interleaved A/B gate's statistics: randomized pair order, per-pair ratios, Wilcoxon
// signed-rank on them, Holm over a few primary metrics, and a sequential rule with a cap.
//
// Why pairs: on a shared VM the noise between two runs (thread placement, neighbours) is larger
// than most regressions worth catching. Running A and B back to back, many times, each run its
// own process (placement drawn again), and comparing within pairs cancels whatever drifts slower
// than a pair. The per-pair statistic is log(B/A) for ratio metrics (B − A for metrics already
// in percent), oriented so that positive is worse.
//
// The rule, at a look with n pairs (looks at first_pairs, first_pairs + step, …, max_pairs):
//   regression  a primary metric is significantly worse than half the threshold — the
//               one-sided signed-rank p of (difference − half the threshold), Holm-adjusted over
//               the primary metrics, is below the per-look level (alpha_per_look: Pocock's
//               constant level over the planned looks, which keeps the family-wise false-alarm
//               rate at alpha however many looks happen, less conservatively than alpha/looks) —
//               AND its median change is beyond the threshold in the bad direction. (Testing
//               against half the threshold keeps a real but small change, whose median lands
//               past the threshold by chance, from firing.)
//   undecided   some primary metric's median change is beyond the threshold but not
//               significant, or within it but leaning worse (plain one-sided p < futility_p):
//               more pairs may tell (until max_pairs, where undecided passes with a warning);
//   pass        otherwise (no change beyond the threshold and no lean toward worse).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results_reader.h"

namespace ringside::gate {

struct InterleaveOptions {
  double alpha = 0.01;          // family-wise, over the primary metrics and every look
  double threshold_pct = 5.0;   // smallest change that counts (points for difference metrics)
  std::size_t first_pairs = 12;
  std::size_t step_pairs = 12;
  std::size_t max_pairs = 48;
  std::vector<std::string> primary = {"latency.end_to_end.p50", "cpu.ns_per_event", "workload.ops_per_sec"};
  uint64_t seed = 0;
  int ci_resamples = 2000;  // bootstrap resamples for the reported CI (0: none)
  // A pass needs no lean toward worse either: the plain one-sided p (any worsening) at least
  // this; below it the gate takes more pairs (until the cap), so a regression whose median
  // happened to land inside the threshold at an early look is not passed on that look.
  double futility_p = 0.1;
};

// One metric's values over the pairs (a[i], b[i] from pair i).
struct PairedMetric {
  std::string name, unit;
  Better better = Better::lower;
  Scale scale = Scale::ratio;
  std::vector<double> a, b;
};

enum class PairVerdict { pass, regression, undecided, reported };
std::string_view to_string(PairVerdict v);

struct PairedDecision {
  std::string name, unit;
  Better better = Better::lower;
  bool primary = false;
  std::size_t n = 0;           // pairs with both values
  double change = 0;           // median of B/A − 1 in % (ratio) or of B − A in points (difference)
  std::array<double, 2> ci{};  // 95 % bootstrap CI of that median
  double p_value = 1;          // one-sided signed-rank p: worse than half the threshold
  double p_adjusted = 1;       // Holm over the primary metrics (primary only)
  double p_any = 1;            // one-sided signed-rank p of any worsening (the futility check)
  PairVerdict verdict = PairVerdict::reported;
  std::string reason;
};

struct LookResult {
  PairVerdict overall = PairVerdict::undecided;  // pass, regression or undecided
  std::size_t pairs = 0;
  double alpha_per_look = 0;
  std::vector<PairedDecision> metrics;  // primary first
};

// The number of planned looks: first_pairs, then every step_pairs up to max_pairs.
std::size_t planned_looks(const InterleaveOptions& o);
// The level the Holm-adjusted p is compared with at every look: m × pocock_level(looks,
// alpha / m) for m primary metrics (between alpha / looks and alpha).
double alpha_per_look(const InterleaveOptions& o);
// The pair counts at which the rule looks.
std::vector<std::size_t> look_points(const InterleaveOptions& o);

// Why no data at all could make a regression significant under `o` (the smallest signed-rank p
// with max_pairs pairs, 2^-n, is not below alpha_per_look / primary metrics), or nullopt.
std::optional<std::string> cannot_fire(const InterleaveOptions& o);
// Like cannot_fire, for the first look only (a warning: the gate can fire only later).
std::optional<std::string> cannot_fire_at_first_look(const InterleaveOptions& o);

// The rule at one look over the metrics (each PairedMetric one entry; the primary ones are
// those named in o.primary that are present).
LookResult decide(const std::vector<PairedMetric>& metrics, const InterleaveOptions& o);

// Which side runs first in each pair: a fair coin per pair from `seed` (true = A first).
std::vector<bool> pair_orders(std::size_t pairs, uint64_t seed);

}  // namespace ringside::gate
