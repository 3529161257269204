// Log-linear (HDR-style) latency histogram of uint64 nanosecond values, fixed memory.
//
// Buckets: values 0..255 each have their own bucket (exact). Above that, every power of two
// [2^k, 2^(k+1)) is split into 128 equal sub-buckets of width 2^(k-7), so a bucket's width is at
// most 1/128 of its lowest value: kMaxRelativeError = 1/128 ≈ 0.78 %. Values above
// kMaxTrackableValue (2^40 - 1 ns ≈ 18 min) are counted in the top bucket; min/max/mean stay exact.
//
// One histogram per recording thread, merged by the owner at the end: no atomics, no locks.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace ringside {

class LogHistogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;                   // 128 sub-buckets per power of two
  static constexpr std::uint64_t kSubBucketCount = 1u << kSubBucketBits;
  static constexpr unsigned kMaxValueBits = 40;
  static constexpr std::uint64_t kMaxTrackableValue = (std::uint64_t{1} << kMaxValueBits) - 1;
  // Bucket width / bucket's lowest value, at most. percentile() returns bucket midpoints, so its
  // error against the exact nearest-rank sample is at most half of this.
  static constexpr double kMaxRelativeError = 1.0 / kSubBucketCount;

  // Index of the bucket holding v (v clamped to kMaxTrackableValue).
  static constexpr std::size_t bucket_index(std::uint64_t v) noexcept {
    v = std::min(v, kMaxTrackableValue);
    // Or-ing in 2*kSubBucketCount-1 makes every value below 256 land at shift 0 (exact buckets).
    const unsigned top_bit = 63u - static_cast<unsigned>(std::countl_zero(v | (2 * kSubBucketCount - 1)));
    const unsigned shift = top_bit - kSubBucketBits;
    // (v >> shift) is in [128, 256): consecutive powers of two tile consecutive index ranges.
    return (std::size_t{shift} << kSubBucketBits) + static_cast<std::size_t>(v >> shift);
  }

  // 256 exact buckets, then 128 per power of two from 2^8 up to 2^kMaxValueBits.
  static constexpr std::size_t kBucketCount = (kMaxValueBits - kSubBucketBits + 1) * kSubBucketCount;

  // Lowest value counted in bucket `index`.
  static constexpr std::uint64_t bucket_lower(std::size_t index) noexcept {
    const unsigned shift = index < 2 * kSubBucketCount ? 0u : static_cast<unsigned>((index >> kSubBucketBits) - 1);
    return static_cast<std::uint64_t>(index - (std::size_t{shift} << kSubBucketBits)) << shift;
  }
  // Highest value counted in bucket `index` (the top bucket also takes everything above range).
  static constexpr std::uint64_t bucket_upper(std::size_t index) noexcept {
    if (index + 1 >= kBucketCount) return std::numeric_limits<std::uint64_t>::max();
    return bucket_lower(index + 1) - 1;
  }

  LogHistogram() noexcept { reset(); }

  void record(std::uint64_t v) noexcept {
    ++counts_[bucket_index(v)];
    ++count_;
    sum_ += v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  // Records v n times.
  void record_n(std::uint64_t v, std::uint64_t n) noexcept;

  // Adds every sample of `other` into this one.
  void merge(const LogHistogram& other) noexcept;

  void reset() noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  // Exact; 0 when empty.
  [[nodiscard]] std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  // Exact (from the running sum); 0 when empty.
  [[nodiscard]] double mean() const noexcept;

  // Nearest-rank percentile, q in [0, 100] (clamped): the midpoint of the bucket holding the
  // sample of rank ceil(q/100 * count), clamped to [min, max]. Within kMaxRelativeError / 2 of that
  // sample for values up to kMaxTrackableValue; p0 == min and p100 == max exactly; 0 when empty.
  [[nodiscard]] std::uint64_t percentile(double q) const noexcept;

  // Points (value, fraction of samples <= value) for plotting, increasing in both, ending at
  // (max, 1.0). One point per non-empty bucket (its upper edge, clamped to max), thinned evenly
  // to at most max_points. Empty when the histogram is empty or max_points is 0.
  [[nodiscard]] std::vector<std::pair<std::uint64_t, double>> cdf(std::size_t max_points = 100) const;

  // Raw bucket counts (index with bucket_index()).
  [[nodiscard]] std::uint64_t bucket_count_at(std::size_t index) const noexcept { return counts_[index]; }

 private:
  __extension__ typedef unsigned __int128 Sum;  // 2^64 samples of up to 2^64 ns cannot overflow it

  std::array<std::uint64_t, kBucketCount> counts_;
  std::uint64_t count_;
  std::uint64_t min_;
  std::uint64_t max_;
  Sum sum_;
};

static_assert(LogHistogram::bucket_index(255) == 255, "values below 256 must be exact");
static_assert(LogHistogram::bucket_index(256) == 256, "bucket ranges must tile without gaps");
static_assert(LogHistogram::bucket_lower(LogHistogram::bucket_index(1'000'003)) <= 1'000'003 &&
                  LogHistogram::bucket_upper(LogHistogram::bucket_index(1'000'003)) >= 1'000'003,
              "bucket_lower/bucket_upper must bracket the value");
static_assert(LogHistogram::kMaxRelativeError <= 0.01, "histogram must stay within 1 % per bucket");
static_assert(LogHistogram::bucket_index(LogHistogram::kMaxTrackableValue) + 1 == LogHistogram::kBucketCount,
              "the top value must land in the last bucket");
static_assert(LogHistogram::kBucketCount == 4352, "bucket layout changed: update results readers");

}  // namespace ringside
