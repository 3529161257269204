#include "gate_verdict.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "usage_error.h"

namespace ringside::gate {
namespace {

double relative_change(const Metric& shape, double base, double cur) {
  if (shape.scale == Scale::difference) return cur - base;
  if (base != 0) return (cur / base - 1.0) * 100.0;
  if (cur == 0) return 0.0;
  return cur > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}

std::string describe_change(const MetricVerdict& v) {
  return v.baseline.scale == Scale::difference ? fmt::format("{:+.2f}pp", v.change)
                                               : fmt::format("{:+.1f}%", v.change);
}

std::string describe_limit(const MetricVerdict& v, const GateOptions& options) {
  return fmt::format("{:g}{}", options.max_regression_pct,
                     v.baseline.scale == Scale::difference ? "pp" : "%");
}

// The drop rule that needs no statistics: loss appearing where there was none.
bool judge_zero_tolerance(MetricVerdict& v) {
  const auto positive = [](double x) { return x > 0; };
  const auto& base = v.baseline.values;
  const auto& cur = v.current.values;
  if (!v.baseline.zero_tolerance || base.empty() || cur.empty()) return false;
  const auto base_dropping = std::count_if(base.begin(), base.end(), positive);
  const auto cur_dropping = std::count_if(cur.begin(), cur.end(), positive);
  if (base_dropping == 0 && cur_dropping > 0) {
    v.verdict = Verdict::regression;
    v.reason = fmt::format("drops appeared: none in {} baseline repetitions, {} of {} current "
                           "repetitions dropped (worst {:.3g})",
                           base.size(), cur_dropping, cur.size(), *std::max_element(cur.begin(), cur.end()));
    return true;
  }
  if (base_dropping > 0 && cur_dropping == 0) {
    v.verdict = Verdict::improvement;
    v.reason = fmt::format("drops vanished: {} of {} baseline repetitions dropped, none of {} current",
                           base_dropping, base.size(), cur.size());
    return true;
  }
  return false;
}

MetricVerdict compare(const Metric& base, const Metric& cur) {
  MetricVerdict v;
  v.baseline = base;
  v.current = cur;
  v.baseline_median = median(base.values);
  v.current_median = median(cur.values);
  v.change = relative_change(base, v.baseline_median, v.current_median);
  const MwuResult test = mann_whitney_u(base.values, cur.values);
  v.p_value = v.p_adjusted = test.p_value;
  v.exact = test.exact;
  v.ci = bootstrap_median_ci(base.values, cur.values, base.scale);
  return v;
}

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::pass: return "pass";
    case Verdict::improvement: return "improvement";
    case Verdict::regression: return "regression";
    case Verdict::inconclusive: return "inconclusive";
  }
  return "unknown";
}

std::size_t GateResult::count(Verdict v) const {
  return static_cast<std::size_t>(
      std::count_if(metrics.begin(), metrics.end(), [v](const MetricVerdict& m) { return m.verdict == v; }));
}

Verdict classify(double change, Better better, double p_adjusted, const GateOptions& options) {
  if (std::isnan(change) || !(p_adjusted < options.alpha)) return Verdict::pass;
  const double worse_by = better == Better::lower ? change : -change;
  if (worse_by > options.max_regression_pct) return Verdict::regression;
  if (-worse_by > options.max_regression_pct) return Verdict::improvement;
  return Verdict::pass;  // significant, but too small to matter
}

GateResult evaluate(const GateInput& baseline, const GateInput& current,
                    const std::vector<std::string>& patterns, const GateOptions& options) {
  const bool chosen = !patterns.empty();
  const std::vector<std::string>& wanted = chosen ? patterns : baseline.default_metrics;
  GateResult result;
  for (const std::string& pattern : wanted) {
    const bool found = std::any_of(baseline.metrics.begin(), baseline.metrics.end(),
                                   [&](const Metric& m) { return metric_matches(pattern, m.name); });
    if (found) continue;
    if (chosen) throw UsageError(fmt::format("no metric matches '{}' in {}", pattern, baseline.path));
    result.notes.push_back(fmt::format("default metric {} is not in the baseline; skipped", pattern));
  }
  const auto selected = [&](const Metric& m) {
    return std::any_of(wanted.begin(), wanted.end(), [&](const std::string& p) { return metric_matches(p, m.name); });
  };
  for (const Metric& base : baseline.metrics) {
    if (!selected(base)) continue;
    const Metric* cur = current.find(base.name);
    if (cur == nullptr)
      throw UsageError(fmt::format("{}: metric {} is missing (the baseline has it)", current.path, base.name));
    result.metrics.push_back(compare(base, *cur));
  }
  for (const Metric& cur : current.metrics)
    if (selected(cur) && baseline.find(cur.name) == nullptr)
      result.notes.push_back(fmt::format("new metric {} has no baseline; not gated", cur.name));
  if (result.metrics.empty()) throw UsageError("no metrics to compare");

  // The family for Holm: every metric with enough repetitions to be compared at all.
  std::vector<MetricVerdict*> family;
  for (MetricVerdict& v : result.metrics) {
    const std::size_t nb = v.baseline.values.size(), nc = v.current.values.size();
    const bool enough = nb >= options.min_reps && nc >= options.min_reps;
    if (enough) family.push_back(&v);
    if (judge_zero_tolerance(v)) continue;
    if (!enough)
      v.reason = fmt::format("only {} baseline / {} current repetitions (--min-reps {})", nb, nc, options.min_reps);
  }
  std::vector<double> raw;
  for (const MetricVerdict* v : family) raw.push_back(v->p_value);
  const std::vector<double> adjusted = holm_adjust(raw);
  const double per_test_alpha = options.alpha / static_cast<double>(std::max<std::size_t>(family.size(), 1));
  for (std::size_t i = 0; i < family.size(); ++i) {
    MetricVerdict& v = *family[i];
    v.p_adjusted = adjusted[i];
    if (!v.reason.empty()) continue;  // decided by the drop rule
    const double best_p = min_attainable_p(v.baseline.values.size(), v.current.values.size());
    if (best_p >= per_test_alpha) {
      v.reason = fmt::format("{} vs {} repetitions cannot reach p < {:.2g} (alpha over {} metrics); best "
                             "possible p is {:.2g}",
                             v.baseline.values.size(), v.current.values.size(), per_test_alpha,
                             family.size(), best_p);
      continue;
    }
    v.verdict = classify(v.change, v.baseline.better, v.p_adjusted, options);
    const bool significant = v.p_adjusted < options.alpha;
    if (v.verdict == Verdict::regression)
      v.reason = fmt::format("{} worse than baseline (limit {}), p_holm={:.2g}", describe_change(v),
                             describe_limit(v, options), v.p_adjusted);
    else if (v.verdict == Verdict::improvement)
      v.reason = fmt::format("{} better than baseline, p_holm={:.2g}", describe_change(v), v.p_adjusted);
    else if (significant)
      v.reason = fmt::format("significant but within the limit ({} vs {})", describe_change(v),
                             describe_limit(v, options));
    else if ((v.baseline.better == Better::lower ? v.change : -v.change) > options.max_regression_pct) {
      v.noisy = true;
      v.reason = fmt::format("median moved {} (limit {}) but not significantly (p_holm={:.2g}): too noisy to "
                             "tell at {} vs {} repetitions",
                             describe_change(v), describe_limit(v, options), v.p_adjusted,
                             v.baseline.values.size(), v.current.values.size());
    } else
      v.reason = fmt::format("no significant change (p_holm={:.2g})", v.p_adjusted);
  }
  return result;
}

}  // namespace ringside::gate
