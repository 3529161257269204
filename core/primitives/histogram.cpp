// LogHistogram's cold paths: merging, percentiles and the plotting CDF.
#include "histogram.h"

#include <cmath>

namespace ringside {
namespace {

// Width of bucket `index` as laid out by bucket_index() (the top bucket's nominal width).
constexpr std::uint64_t bucket_width(std::size_t index) noexcept {
  constexpr std::size_t kExactBuckets = 2 * LogHistogram::kSubBucketCount;
  if (index < kExactBuckets) return 1;
  return std::uint64_t{1} << ((index >> LogHistogram::kSubBucketBits) - 1);
}

static_assert(bucket_width(LogHistogram::bucket_index(1u << 20)) * LogHistogram::kSubBucketCount <= (1u << 20),
              "bucket width must stay within 1/128 of the bucket's lowest value");

}  // namespace

void LogHistogram::record_n(std::uint64_t v, std::uint64_t n) noexcept {
  if (n == 0) return;
  counts_[bucket_index(v)] += n;
  count_ += n;
  sum_ += static_cast<Sum>(v) * n;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void LogHistogram::merge(const LogHistogram& other) noexcept {
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LogHistogram::reset() noexcept {
  counts_.fill(0);
  count_ = 0;
  min_ = std::numeric_limits<std::uint64_t>::max();
  max_ = 0;
  sum_ = 0;
}

double LogHistogram::mean() const noexcept {
  if (count_ == 0) return 0.0;
  return static_cast<double>(static_cast<long double>(sum_) / static_cast<long double>(count_));
}

std::uint64_t LogHistogram::percentile(double q) const noexcept {
  if (count_ == 0) return 0;
  if (!(q > 0.0)) return min_;  // also catches NaN
  if (q >= 100.0) return max_;
  // Nearest rank ceil(q/100 * n); the tiny relative slack forgives q's decimal-to-binary rounding
  // (99.9 is stored as 99.900000000000006, which would otherwise push the rank up by one).
  const double exact_rank = q / 100.0 * static_cast<double>(count_);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(exact_rank * (1.0 - 1e-12))));
  if (rank >= count_) return max_;

  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t midpoint = bucket_lower(i) + bucket_width(i) / 2;
      return std::clamp(midpoint, min_, max_);  // the true sample is inside [min, max] too
    }
  }
  return max_;  // unreachable while the bucket counts sum to count_
}

std::vector<std::pair<std::uint64_t, double>> LogHistogram::cdf(std::size_t max_points) const {
  std::vector<std::pair<std::uint64_t, double>> points;
  if (count_ == 0 || max_points == 0) return points;

  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount && seen < count_; ++i) {
    if (counts_[i] == 0) continue;
    seen += counts_[i];
    // Every sample in buckets <= i is <= this bucket's upper edge, every later one is above it.
    points.emplace_back(std::min(bucket_upper(i), max_),
                        static_cast<double>(seen) / static_cast<double>(count_));
  }
  if (points.size() <= max_points) return points;

  // Keep max_points evenly spaced points, always including the last (max, 1.0).
  std::vector<std::pair<std::uint64_t, double>> thinned;
  thinned.reserve(max_points);
  for (std::size_t k = 1; k <= max_points; ++k) thinned.push_back(points[k * points.size() / max_points - 1]);
  return thinned;
}

}  // namespace ringside
