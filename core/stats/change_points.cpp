#include "change_points.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace ringside::stats {
namespace {

// Counts and sums of the values seen so far, by rank: Σ|x − xᵢ| over them in O(log n).
class RankSums {
 public:
  explicit RankSums(std::size_t ranks) : count_(ranks + 1, 0), sum_(ranks + 1, 0.0) {}
  void add(std::size_t rank, double x) {
    for (std::size_t i = rank + 1; i < count_.size(); i += i & (~i + 1)) {
      ++count_[i];
      sum_[i] += x;
    }
    ++seen_;
    total_ += x;
  }
  // Σ |x − v| over the values added so far (x has rank `rank`).
  [[nodiscard]] double distance_sum(std::size_t rank, double x) const {
    std::int64_t below = 0;  // values ≤ x
    double below_sum = 0;
    for (std::size_t i = rank + 1; i > 0; i -= i & (~i + 1)) {
      below += count_[i];
      below_sum += sum_[i];
    }
    const auto above = static_cast<double>(seen_ - below);
    return x * static_cast<double>(below) - below_sum + (total_ - below_sum) - x * above;
  }

 private:
  std::vector<std::int64_t> count_;
  std::vector<double> sum_;
  std::int64_t seen_ = 0;
  double total_ = 0;
};

std::vector<std::size_t> ranks_of(std::span<const double> x) {
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<std::size_t> ranks(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    ranks[i] = static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), x[i]) - sorted.begin());
  return ranks;
}

struct Split {
  std::size_t tau = 0;
  double q = 0;
};

Split best_split(std::span<const double> x, std::size_t min_segment) {
  const std::vector<double> q = energy_split_statistics(x, min_segment);
  Split best;
  for (std::size_t tau = 0; tau < q.size(); ++tau)
    if (q[tau] > best.q) best = {tau, q[tau]};  // ties: the earliest split
  return best;
}

// Fisher–Yates over the raw engine output: std::shuffle and the std distributions are
// implementation-defined, and a p-value must not depend on the standard library.
void shuffle(std::vector<double>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size() - 1; i > 0; --i) std::swap(v[i], v[static_cast<std::size_t>(rng() % (i + 1))]);
}

double mean(std::span<const double> x) {
  return x.empty() ? 0.0 : std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

void divide(std::span<const double> series, std::size_t begin, std::size_t end, const ChangePointOptions& options,
            std::vector<ChangePoint>& found) {
  if (end - begin < 2 * options.min_segment) return;
  const std::span<const double> segment = series.subspan(begin, end - begin);
  const Split split = best_split(segment, options.min_segment);
  if (split.q <= 0) return;  // no split separates anything (e.g. a constant segment)

  // The same seed for the same segment, whatever order the recursion visits it in.
  std::seed_seq seq{static_cast<std::uint32_t>(options.seed), static_cast<std::uint32_t>(options.seed >> 32),
                    static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)};
  std::mt19937_64 rng(seq);
  std::vector<double> shuffled(segment.begin(), segment.end());
  const double tolerance = split.q * 1e-12;  // equal statistics computed in another order
  const auto permutations = static_cast<std::size_t>(std::max(options.permutations, 1));
  std::size_t as_strong = 0;
  for (std::size_t r = 0; r < permutations; ++r) {
    shuffle(shuffled, rng);
    if (best_split(shuffled, options.min_segment).q >= split.q - tolerance) ++as_strong;
    // p can no longer fall below alpha: stop (a rejected split's p is never reported)
    if (static_cast<double>(1 + as_strong) >= options.alpha * static_cast<double>(1 + permutations)) return;
  }
  const double p = static_cast<double>(1 + as_strong) / static_cast<double>(1 + permutations);
  if (p >= options.alpha) return;
  found.push_back({.index = begin + split.tau, .statistic = split.q, .p_value = p});
  divide(series, begin, begin + split.tau, options, found);
  divide(series, begin + split.tau, end, options, found);
}

}  // namespace

std::vector<double> energy_split_statistics(std::span<const double> x, std::size_t min_segment) {
  const std::size_t n = x.size();
  std::vector<double> q(n + 1, 0.0);
  min_segment = std::max<std::size_t>(min_segment, 2);  // within-sample means need two points
  if (n < 2 * min_segment) return q;
  const std::vector<std::size_t> rank = ranks_of(x);
  const std::size_t ranks = *std::max_element(rank.begin(), rank.end()) + 1;

  // within_left[τ] = Σ_{i<k<τ} |xᵢ − xₖ|, within_right[τ] = Σ_{τ≤i<k} |xᵢ − xₖ|
  std::vector<double> within_left(n + 1, 0.0), within_right(n + 1, 0.0);
  RankSums left(ranks), right(ranks);
  for (std::size_t p = 0; p < n; ++p) {
    within_left[p + 1] = within_left[p] + left.distance_sum(rank[p], x[p]);
    left.add(rank[p], x[p]);
  }
  for (std::size_t p = n; p-- > 0;) {
    within_right[p] = within_right[p + 1] + right.distance_sum(rank[p], x[p]);
    right.add(rank[p], x[p]);
  }
  const double total = within_left[n];
  for (std::size_t tau = min_segment; tau + min_segment <= n; ++tau) {
    const auto m = static_cast<double>(tau), k = static_cast<double>(n - tau);
    const double between = total - within_left[tau] - within_right[tau];
    // Ê = 2/(mk) Σ|x−y| − C(m,2)⁻¹ Σ|x−x'| − C(k,2)⁻¹ Σ|y−y'|, scaled by mk/(m+k)
    const double energy = 2.0 * between / (m * k) - within_left[tau] / (m * (m - 1) / 2) -
                          within_right[tau] / (k * (k - 1) / 2);
    q[tau] = m * k / (m + k) * energy;
  }
  return q;
}

std::vector<ChangePoint> e_divisive(std::span<const double> series, const ChangePointOptions& options) {
  ChangePointOptions o = options;
  o.min_segment = std::max<std::size_t>(o.min_segment, 2);
  std::vector<ChangePoint> found;
  divide(series, 0, series.size(), o, found);
  std::sort(found.begin(), found.end(), [](const ChangePoint& a, const ChangePoint& b) { return a.index < b.index; });
  for (std::size_t i = 0; i < found.size(); ++i) {
    const std::size_t from = i == 0 ? 0 : found[i - 1].index;
    const std::size_t to = i + 1 == found.size() ? series.size() : found[i + 1].index;
    found[i].mean_before = mean(series.subspan(from, found[i].index - from));
    found[i].mean_after = mean(series.subspan(found[i].index, to - found[i].index));
  }
  return found;
}

}  // namespace ringside::stats
