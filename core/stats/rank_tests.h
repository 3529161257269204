// Rank tests for comparing repetitions: Mann–Whitney U, effect size, bootstrap CI, multiplicity.
//
// Why Mann–Whitney U: per-repetition latency percentiles are heavy-tailed, skewed and
// HDR-quantized (so they tie), and a CI runner occasionally produces one wild repetition.
// A rank test assumes no distribution shape, is unmoved by how far an outlier lies, and
// stays valid for 5–20 repetitions where a t-test's normality assumption cannot be
// checked. Significance alone is not a verdict: the gate also asks for a practical effect
// (median ratio beyond --max-regression), so a tiny-but-consistent shift never fails CI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ringside::stats {

enum class MwuMethod { automatic, exact, normal };

struct MwuResult {
  double u = 0;         // U of the first sample: #pairs (x_i > y_j) + 0.5 * #ties
  double p_value = 1;   // two-sided
  bool exact = false;   // exact permutation p (else normal approximation)
  bool ties = false;    // the pooled sample had tied values
};

// Largest per-side sample size for which `automatic` computes the exact distribution.
inline constexpr std::size_t kExactMaxPerSide = 20;

// Two-sided Mann–Whitney U (Wilcoxon rank-sum) test of x against y.
// exact: the permutation distribution of the midrank sum, counted by dynamic programming
//        (with no ties this is the classic U distribution; with ties it is the exact
//        distribution conditional on the observed ties, as in coin/exactRankTests).
// normal: normal approximation with tie-corrected variance and continuity correction.
// automatic: exact when both sides have <= kExactMaxPerSide values, else normal.
// Empty samples give p = 1.
MwuResult mann_whitney_u(std::span<const double> x, std::span<const double> y,
                         MwuMethod method = MwuMethod::automatic);

// Smallest two-sided p any data could give with n1 and n2 distinct values (complete
// separation under the exact test): 2 / C(n1+n2, n1). Used to tell "cannot detect" apart
// from "no change".
double min_attainable_p(std::size_t n1, std::size_t n2);

double median(std::span<const double> values);  // NaN when empty

// How the effect size is expressed: a ratio of medians (latency, CPU, throughput) or a
// difference of medians (metrics already in percent, e.g. slowdown_pct).
enum class Scale { ratio, difference };

struct Interval {
  double lo = 0;
  double hi = 0;
};

// Percentile-bootstrap confidence interval for median(current) / median(baseline)
// (Scale::ratio) or median(current) - median(baseline) (Scale::difference). Resamples
// both sides independently `resamples` times with a fixed seed, so the same inputs always
// give the same interval. Ratios with a zero baseline median resample to +inf/NaN and are
// ordered last.
Interval bootstrap_median_ci(std::span<const double> baseline, std::span<const double> current,
                             Scale scale, double confidence = 0.95, int resamples = 2000,
                             std::uint64_t seed = 0x5eed'9a7e);

// Wilcoxon signed-rank test of paired differences d_i (B − A, or log(B/A)), one-sided: small p
// means the differences lean positive (alternative "greater"). Zero differences are dropped
// (Wilcoxon's original treatment); tied |d| share midranks. exact: the permutation
// distribution of W+ over the 2^n sign flips, counted by dynamic programming on doubled
// midranks (with no ties this is the tabulated distribution); normal: tie-corrected normal
// approximation with continuity correction. automatic: exact up to kSignedRankExactMax
// non-zero differences. No non-zero difference gives p = 1.
struct SignedRankResult {
  double w_plus = 0;    // sum of the ranks of the positive differences
  std::size_t n = 0;    // non-zero differences ranked
  double p_value = 1;   // one-sided, alternative "greater"
  bool exact = false;
};
inline constexpr std::size_t kSignedRankExactMax = 200;
SignedRankResult wilcoxon_signed_rank(std::span<const double> differences, MwuMethod method = MwuMethod::automatic);

// Smallest one-sided p the signed-rank test can give with n non-zero differences: 2^-n.
double min_signed_rank_p(std::size_t n);

// Holm–Bonferroni step-down adjusted p-values (same order as the input). Rejecting every
// hypothesis whose adjusted p < alpha controls the family-wise error rate at alpha.
std::vector<double> holm_adjust(std::span<const double> p_values);

}  // namespace ringside::stats
