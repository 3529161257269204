// Gate verdicts: which metrics are compared, and how a comparison becomes pass/fail.
//
// A metric is a "regression" only when BOTH hold:
//   1. significant: its Mann–Whitney p-value, Holm-adjusted over every metric compared in
//      this gate, is below alpha (so alpha is the family-wise false-alarm rate however
//      many metrics are gated), and
//   2. material: the median moved in the bad direction by more than --max-regression
//      (percent for ratio metrics, percentage points for slowdown_pct).
// "improvement" is the mirror image; everything else passes. A metric with fewer than
// --min-reps repetitions on either side, or too few for any result to reach significance
// (2/C(n1+n2,n1) >= alpha/m), is "inconclusive" rather than a silent pass.
// Drops (zero_tolerance metrics): a current run that drops when no baseline repetition
// did is a regression outright; otherwise the drop fraction goes through the rule above.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "results_reader.h"
#include "rank_tests.h"

namespace ringside::gate {

using namespace stats;  // NOLINT: the gate is a client of the rank tests

enum class Verdict { pass, improvement, regression, inconclusive };
std::string_view to_string(Verdict v);

struct GateOptions {
  double max_regression_pct = 5.0;
  // Family-wise: 0.05 keeps the statistical A/A false-alarm rate at <= 2.5 % (regressions
  // are one tail) for any number of metrics, while 5 vs 5 repetitions over the six default
  // metrics can still reach significance (2/252 = 0.0079 < 0.05/6). A stricter 0.01 would
  // make every 5-repetition gate of more than one metric unable to fail at all.
  double alpha = 0.05;
  std::size_t min_reps = 5;
};

struct MetricVerdict {
  Metric baseline;  // samples and shape (name, unit, direction, scale)
  Metric current;
  double baseline_median = 0;
  double current_median = 0;
  double change = 0;      // ratio scale: % change of the medians; difference scale: points
  double p_value = 1;     // raw two-sided Mann–Whitney p
  double p_adjusted = 1;  // Holm-adjusted over the compared metrics
  bool exact = false;
  Interval ci;            // 95 % bootstrap CI of the median ratio (or difference)
  Verdict verdict = Verdict::inconclusive;
  // A pass whose median moved beyond the limit in the bad direction without significance:
  // too noisy to tell at this many repetitions. Reported loudly, never failed.
  bool noisy = false;
  std::string reason;     // one line: why this verdict
};

struct GateResult {
  std::vector<MetricVerdict> metrics;
  std::vector<std::string> notes;  // metrics skipped, defaults missing, new metrics
  [[nodiscard]] std::size_t count(Verdict v) const;
};

// Direction-aware classification of one compared metric (pure; exposed for tests).
Verdict classify(double change, Better better, double p_adjusted, const GateOptions& options);

// Compares the metrics selected by `patterns` (the baseline's defaults when empty).
// Throws UsageError when an explicitly requested metric is absent, or a selected baseline
// metric is missing from the current results (missing data could hide a regression).
GateResult evaluate(const GateInput& baseline, const GateInput& current,
                    const std::vector<std::string>& patterns, const GateOptions& options);

}  // namespace ringside::gate
