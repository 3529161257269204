#include "interleave.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "group_sequential.h"
#include "summary.h"

namespace ringside::gate {
namespace {

bool is_primary(const InterleaveOptions& o, const std::string& name) {
  return std::find(o.primary.begin(), o.primary.end(), name) != o.primary.end();
}

// Per-pair differences oriented so that positive is worse: log(B/A) or B − A.
std::vector<double> oriented(const PairedMetric& m) {
  std::vector<double> d;
  const std::size_t n = std::min(m.a.size(), m.b.size());
  for (std::size_t i = 0; i < n; ++i) {
    double v;
    if (m.scale == Scale::ratio) {
      if (!(m.a[i] > 0) || !(m.b[i] > 0)) continue;  // a ratio needs both sides positive
      v = std::log(m.b[i] / m.a[i]);
    } else {
      v = m.b[i] - m.a[i];
    }
    if (!std::isfinite(v)) continue;
    d.push_back(m.better == Better::lower ? v : -v);
  }
  return d;
}

// An oriented difference back in the metric's terms: % change of B over A, or points.
double as_change(const PairedMetric& m, double oriented_value) {
  const double v = m.better == Better::lower ? oriented_value : -oriented_value;
  return m.scale == Scale::ratio ? (std::exp(v) - 1.0) * 100.0 : v;
}

}  // namespace

std::string_view to_string(PairVerdict v) {
  switch (v) {
    case PairVerdict::pass: return "pass";
    case PairVerdict::regression: return "REGRESSION";
    case PairVerdict::undecided: return "undecided";
    case PairVerdict::reported: return "reported";
  }
  return "?";
}

std::vector<std::size_t> look_points(const InterleaveOptions& o) {
  std::vector<std::size_t> at;
  const std::size_t step = std::max<std::size_t>(o.step_pairs, 1);
  for (std::size_t n = o.first_pairs; n < o.max_pairs; n += step) at.push_back(n);
  at.push_back(o.max_pairs);
  return at;
}

std::size_t planned_looks(const InterleaveOptions& o) { return look_points(o).size(); }

double alpha_per_look(const InterleaveOptions& o) {
  // m × the Pocock level for alpha / m: each primary metric's own chance of a false alarm over
  // the looks stays at alpha / m, so the family's stays at alpha (Holm's first step tests the
  // smallest p at alpha_per_look / m). The level is cached: decide() runs at every look.
  const double m = static_cast<double>(std::max<std::size_t>(o.primary.size(), 1));
  const std::vector<std::size_t> looks = look_points(o);
  thread_local std::vector<std::size_t> cached_looks;
  thread_local double cached_alpha = -1, cached_m = -1, cached_level = 0;
  if (looks != cached_looks || o.alpha != cached_alpha || m != cached_m) {
    cached_level = o.alpha >= 0.5 * m || o.alpha <= 0 ? o.alpha / static_cast<double>(looks.size())
                                                       : m * stats::pocock_level(looks, o.alpha / m);
    cached_looks = looks;
    cached_alpha = o.alpha;
    cached_m = m;
  }
  return cached_level;
}

namespace {

std::optional<std::string> unfireable_at(const InterleaveOptions& o, std::size_t n, std::string_view when) {
  const double m = static_cast<double>(std::max<std::size_t>(o.primary.size(), 1));
  const double need = alpha_per_look(o) / m;
  const double best = stats::min_signed_rank_p(n);
  if (best < need) return std::nullopt;
  return fmt::format("{} {} pairs the smallest signed-rank p is 2^-{} = {:.2g}, not below the per-look level {:.2g} "
                     "(alpha {} over {} looks) / {} primary metrics = {:.2g}",
                     when, n, n, best, alpha_per_look(o), o.alpha, planned_looks(o), o.primary.size(), need);
}

}  // namespace

std::optional<std::string> cannot_fire(const InterleaveOptions& o) { return unfireable_at(o, o.max_pairs, "at"); }

std::optional<std::string> cannot_fire_at_first_look(const InterleaveOptions& o) {
  return unfireable_at(o, o.first_pairs, "at the first look,");
}

LookResult decide(const std::vector<PairedMetric>& metrics, const InterleaveOptions& o) {
  LookResult r;
  r.alpha_per_look = alpha_per_look(o);
  std::vector<PairedDecision> primary, other;
  for (const PairedMetric& m : metrics) {
    PairedDecision d;
    d.name = m.name;
    d.unit = m.unit;
    d.better = m.better;
    d.primary = is_primary(o, m.name);
    const std::vector<double> diffs = oriented(m);
    d.n = diffs.size();
    r.pairs = std::max(r.pairs, d.n);
    if (!diffs.empty()) {
      d.change = as_change(m, median(diffs));
      if (o.ci_resamples > 0) {
        const auto ci = bootstrap_median_ci95(diffs, o.ci_resamples, o.seed ^ 0x9a1e);
        const double lo = as_change(m, ci[0]), hi = as_change(m, ci[1]);
        d.ci = {std::min(lo, hi), std::max(lo, hi)};
      }
      // significantly worse than half the threshold: a real but immaterial change whose median
      // happens to land past the threshold does not fire
      const double margin = m.scale == Scale::ratio ? std::log1p(o.threshold_pct / 200.0) : o.threshold_pct / 2.0;
      std::vector<double> beyond(diffs);
      for (double& x : beyond) x -= margin;
      d.p_value = stats::wilcoxon_signed_rank(beyond).p_value;
      d.p_any = stats::wilcoxon_signed_rank(diffs).p_value;
    }
    (d.primary ? primary : other).push_back(std::move(d));
  }
  std::vector<double> ps;
  for (const auto& d : primary) ps.push_back(d.p_value);
  const std::vector<double> adjusted = stats::holm_adjust(ps);
  bool any_regression = false, any_undecided = false;
  for (std::size_t i = 0; i < primary.size(); ++i) {
    PairedDecision& d = primary[i];
    d.p_adjusted = adjusted[i];
    const double bad = d.better == Better::lower ? d.change : -d.change;  // the change toward worse
    const bool significant = d.p_adjusted < r.alpha_per_look;
    const bool material = bad > o.threshold_pct;
    if (d.n < 2) {
      d.verdict = PairVerdict::undecided;
      d.reason = "fewer than 2 usable pairs";
    } else if (significant && material) {
      d.verdict = PairVerdict::regression;
      d.reason = fmt::format("{:+.1f} {} worse than A, p_holm {:.2g} < {:.2g}", d.change,
                             d.unit == "pp" ? "pp" : "%", d.p_adjusted, r.alpha_per_look);
    } else if (material) {
      d.verdict = PairVerdict::undecided;
      d.reason = fmt::format("{:+.1f} beyond the {} threshold but p_holm {:.2g} not below {:.2g}", d.change,
                             o.threshold_pct, d.p_adjusted, r.alpha_per_look);
    } else if (d.p_any < o.futility_p) {
      d.verdict = PairVerdict::undecided;
      d.reason = fmt::format("{:+.1f}, within the threshold, but leaning worse (p {:.2g} < {}): more pairs", d.change,
                             d.p_any, o.futility_p);
    } else {
      d.verdict = PairVerdict::pass;
      d.reason = significant ? fmt::format("a real but small change ({:+.2f}), within the {} threshold", d.change,
                                           o.threshold_pct)
                             : "no change beyond the threshold";
    }
    any_regression = any_regression || d.verdict == PairVerdict::regression;
    any_undecided = any_undecided || d.verdict == PairVerdict::undecided;
  }
  r.overall = any_regression ? PairVerdict::regression : any_undecided ? PairVerdict::undecided : PairVerdict::pass;
  r.metrics = std::move(primary);
  r.metrics.insert(r.metrics.end(), std::make_move_iterator(other.begin()), std::make_move_iterator(other.end()));
  return r;
}

std::vector<bool> pair_orders(std::size_t pairs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution coin(0.5);
  std::vector<bool> a_first(pairs);
  for (std::size_t i = 0; i < pairs; ++i) a_first[i] = coin(rng);
  return a_first;
}

}  // namespace ringside::gate
