#include "rank_tests.h"

#include "summary.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace ringside::stats {
namespace {

// The pooled sample ranked with midranks; ranks are doubled so that they stay integers.
struct PooledRanks {
  std::vector<std::int64_t> doubled;  // doubled midrank of every pooled value
  std::int64_t x_doubled_sum = 0;     // sum of the doubled midranks of x
  double tie_term = 0;                // sum over tie groups of t^3 - t
  bool ties = false;
};

PooledRanks rank_pooled(std::span<const double> x, std::span<const double> y) {
  std::vector<std::pair<double, bool>> pooled;  // value, belongs to x
  pooled.reserve(x.size() + y.size());
  for (double v : x) pooled.emplace_back(v, true);
  for (double v : y) pooled.emplace_back(v, false);
  std::sort(pooled.begin(), pooled.end());

  PooledRanks r;
  r.doubled.reserve(pooled.size());
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j + 1 < pooled.size() && pooled[j + 1].first == pooled[i].first) ++j;
    // 1-based positions i+1 .. j+1 share the midrank (i+j+2)/2, doubled: i+j+2.
    const auto doubled = static_cast<std::int64_t>(i + j + 2);
    const auto t = static_cast<double>(j - i + 1);
    if (t > 1) {
      r.ties = true;
      r.tie_term += t * t * t - t;
    }
    for (std::size_t k = i; k <= j; ++k) {
      r.doubled.push_back(doubled);
      if (pooled[k].second) r.x_doubled_sum += doubled;
    }
    i = j + 1;
  }
  return r;
}

// P(|S - E[S]| >= |s_obs - E[S]|) where S is the doubled rank sum of a uniformly random
// n1-subset of the pooled ranks. Counts subsets per (size, sum) by dynamic programming.
double exact_p(const PooledRanks& r, std::size_t n1) {
  const std::size_t n = r.doubled.size();
  const auto max_sum = static_cast<std::size_t>(std::accumulate(r.doubled.begin(), r.doubled.end(),
                                                                std::int64_t{0}));
  // counts[k][s]: number of k-subsets of the items seen so far whose doubled sum is s.
  std::vector<std::vector<double>> counts(n1 + 1, std::vector<double>(max_sum + 1, 0.0));
  counts[0][0] = 1.0;
  for (std::size_t item = 0; item < n; ++item) {
    const auto d = static_cast<std::size_t>(r.doubled[item]);
    for (std::size_t k = std::min(item + 1, n1); k >= 1; --k)
      for (std::size_t s = max_sum; s >= d; --s) counts[k][s] += counts[k - 1][s - d];
  }
  // E[S] = n1 * (n + 1) in doubled units; everything below is integer arithmetic.
  const auto mean = static_cast<std::int64_t>(n1 * (n + 1));
  const std::int64_t observed = std::llabs(r.x_doubled_sum - mean);
  double extreme = 0, total = 0;
  for (std::size_t s = 0; s <= max_sum; ++s) {
    total += counts[n1][s];
    if (std::llabs(static_cast<std::int64_t>(s) - mean) >= observed) extreme += counts[n1][s];
  }
  return total > 0 ? std::min(1.0, extreme / total) : 1.0;
}

double normal_p(double u, const PooledRanks& r, std::size_t n1, std::size_t n2) {
  const double a = static_cast<double>(n1), b = static_cast<double>(n2), n = a + b;
  const double variance = a * b / 12.0 * ((n + 1.0) - r.tie_term / (n * (n - 1.0)));
  if (!(variance > 0)) return 1.0;  // every value tied: no evidence of any shift
  const double z = (std::fabs(u - a * b / 2.0) - 0.5) / std::sqrt(variance);
  if (z <= 0) return 1.0;
  return std::min(1.0, std::erfc(z / std::sqrt(2.0)));
}

// The project's one median (summary.h); the gate reports NaN for an empty side.
double median_in_place(std::vector<double>& v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  return ringside::median(std::move(v));
}

// Median of one bootstrap resample of `sorted` (ascending), without sorting: draw how
// often each value is picked, then walk the cumulative counts to the middle.
double resampled_median(const std::vector<double>& sorted, std::vector<std::size_t>& picks,
                        std::mt19937_64& rng) {
  const std::size_t n = sorted.size();
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::fill(picks.begin(), picks.end(), std::size_t{0});
  for (std::size_t i = 0; i < n; ++i) ++picks[pick(rng)];
  const auto kth = [&](std::size_t k) {  // k-th smallest (0-based) of the resample
    std::size_t seen = 0;
    for (std::size_t i = 0; i < n; ++i) {
      seen += picks[i];
      if (seen > k) return sorted[i];
    }
    return sorted.back();
  };
  return n % 2 == 1 ? kth(n / 2) : (kth(n / 2 - 1) + kth(n / 2)) / 2.0;
}

double effect(double base, double cur, Scale scale) {
  if (scale == Scale::difference) return cur - base;
  if (base != 0) return cur / base;
  if (cur == 0) return 1.0;  // zero to zero: unchanged
  return cur > 0 ? std::numeric_limits<double>::infinity()
                 : -std::numeric_limits<double>::infinity();
}

}  // namespace

MwuResult mann_whitney_u(std::span<const double> x, std::span<const double> y, MwuMethod method) {
  MwuResult result;
  if (x.empty() || y.empty()) return result;
  const PooledRanks ranks = rank_pooled(x, y);
  const double n1 = static_cast<double>(x.size());
  result.u = static_cast<double>(ranks.x_doubled_sum) / 2.0 - n1 * (n1 + 1.0) / 2.0;
  result.ties = ranks.ties;
  const bool small = x.size() <= kExactMaxPerSide && y.size() <= kExactMaxPerSide;
  result.exact = method == MwuMethod::exact || (method == MwuMethod::automatic && small);
  result.p_value = result.exact ? exact_p(ranks, x.size())
                                : normal_p(result.u, ranks, x.size(), y.size());
  return result;
}

double min_attainable_p(std::size_t n1, std::size_t n2) {
  if (n1 == 0 || n2 == 0) return 1.0;
  double ways = 1.0;  // C(n1 + n2, n1), built up as a product of exact ratios
  for (std::size_t i = 1; i <= n1; ++i)
    ways = ways * static_cast<double>(n2 + i) / static_cast<double>(i);
  return std::min(1.0, 2.0 / ways);
}

double median(std::span<const double> values) {
  std::vector<double> copy(values.begin(), values.end());
  return median_in_place(copy);
}

Interval bootstrap_median_ci(std::span<const double> baseline, std::span<const double> current,
                             Scale scale, double confidence, int resamples, std::uint64_t seed) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (baseline.empty() || current.empty() || resamples < 1) return {nan, nan};
  std::mt19937_64 rng(seed);
  std::vector<double> base(baseline.begin(), baseline.end()), cur(current.begin(), current.end());
  std::sort(base.begin(), base.end());
  std::sort(cur.begin(), cur.end());
  std::vector<std::size_t> base_picks(base.size()), cur_picks(cur.size());
  std::vector<double> effects(static_cast<std::size_t>(resamples));
  for (double& e : effects) {
    const double base_median = resampled_median(base, base_picks, rng);
    e = effect(base_median, resampled_median(cur, cur_picks, rng), scale);
  }
  std::sort(effects.begin(), effects.end());
  const auto at = [&](double q) {
    const double pos = q * static_cast<double>(effects.size() - 1);
    return effects[static_cast<std::size_t>(std::lround(pos))];
  };
  const double tail = (1.0 - confidence) / 2.0;
  return {at(tail), at(1.0 - tail)};
}

std::vector<double> holm_adjust(std::span<const double> p_values) {
  const std::size_t m = p_values.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(m, 1.0);
  double running_max = 0.0;  // step-down: adjusted p-values never decrease along the order
  for (std::size_t rank = 0; rank < m; ++rank) {
    const double scaled = std::min(1.0, static_cast<double>(m - rank) * p_values[order[rank]]);
    running_max = std::max(running_max, scaled);
    adjusted[order[rank]] = running_max;
  }
  return adjusted;
}

SignedRankResult wilcoxon_signed_rank(std::span<const double> differences, MwuMethod method) {
  std::vector<double> mag;
  std::vector<bool> positive;
  for (double d : differences) {
    if (d == 0 || std::isnan(d)) continue;
    mag.push_back(std::fabs(d));
    positive.push_back(d > 0);
  }
  SignedRankResult r;
  r.n = mag.size();
  if (r.n == 0) return r;
  // doubled midranks of |d|
  std::vector<std::size_t> order(r.n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return mag[a] < mag[b]; });
  std::vector<std::int64_t> doubled(r.n);
  double tie_term = 0;
  for (std::size_t i = 0; i < r.n;) {
    std::size_t j = i;
    while (j + 1 < r.n && mag[order[j + 1]] == mag[order[i]]) ++j;
    const auto t = static_cast<double>(j - i + 1);
    if (t > 1) tie_term += t * t * t - t;
    for (std::size_t k = i; k <= j; ++k) doubled[order[k]] = static_cast<std::int64_t>(i + j + 2);
    i = j + 1;
  }
  std::int64_t w2 = 0;  // doubled W+
  for (std::size_t i = 0; i < r.n; ++i)
    if (positive[i]) w2 += doubled[i];
  r.w_plus = static_cast<double>(w2) / 2.0;
  const bool exact = method == MwuMethod::exact || (method == MwuMethod::automatic && r.n <= kSignedRankExactMax);
  if (exact) {
    // counts[s]: sign assignments whose doubled positive-rank sum is s (each rank in or out)
    const auto total = static_cast<std::size_t>(std::accumulate(doubled.begin(), doubled.end(), std::int64_t{0}));
    std::vector<double> counts(total + 1, 0.0);
    counts[0] = 1.0;
    for (std::int64_t d : doubled)
      for (std::size_t s = total; s >= static_cast<std::size_t>(d); --s) counts[s] += counts[s - static_cast<std::size_t>(d)];
    double upper = 0, all = 0;
    for (std::size_t s = 0; s <= total; ++s) {
      all += counts[s];
      if (static_cast<std::int64_t>(s) >= w2) upper += counts[s];
    }
    r.p_value = std::min(1.0, upper / all);
    r.exact = true;
    return r;
  }
  const double n = static_cast<double>(r.n);
  const double mean = n * (n + 1) / 4.0;
  const double variance = n * (n + 1) * (2 * n + 1) / 24.0 - tie_term / 48.0;
  if (!(variance > 0)) return r;
  const double z = (r.w_plus - mean - 0.5) / std::sqrt(variance);
  r.p_value = 0.5 * std::erfc(z / std::sqrt(2.0));
  return r;
}

double min_signed_rank_p(std::size_t n) { return std::ldexp(1.0, -static_cast<int>(std::min<std::size_t>(n, 1000))); }

}  // namespace ringside::stats
