// LogHistogram: percentiles against an exact sort, bucket geometry, merge, and the plotting CDF.
#include "histogram.h"
#include "stages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace ringside {
namespace {

constexpr std::size_t kSamples = 200'000;
// Percentiles as parts per 10000, so the exact nearest rank is integer arithmetic.
constexpr std::uint64_t kQuantilesPer10k[] = {0, 1, 100, 1000, 2500, 5000, 7500, 9000, 9900, 9990, 9999, 10000};

std::vector<std::uint64_t> draw(std::size_t n, auto&& next) {
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) x = next();
  return v;
}

// Records `samples` and checks every percentile, count, min, max and mean against the exact values.
void expect_matches_exact(const std::vector<std::uint64_t>& samples) {
  LogHistogram h;
  for (std::uint64_t v : samples) h.record(v);
  std::vector<std::uint64_t> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const std::uint64_t n = sorted.size();

  EXPECT_EQ(h.count(), n);
  EXPECT_EQ(h.min(), sorted.front());
  EXPECT_EQ(h.max(), sorted.back());
  long double sum = 0;
  for (std::uint64_t v : sorted) sum += static_cast<long double>(v);
  EXPECT_NEAR(h.mean(), static_cast<double>(sum / n), 1e-9 * static_cast<double>(sum / n));

  for (std::uint64_t q : kQuantilesPer10k) {
    const std::uint64_t rank = std::max<std::uint64_t>(1, (q * n + 9999) / 10000);  // ceil(q/100 * n)
    const std::uint64_t exact = sorted[rank - 1];
    const std::uint64_t got = h.percentile(static_cast<double>(q) / 100.0);
    // Midpoint reporting: within half a bucket, i.e. kMaxRelativeError / 2 of the exact sample.
    const double bound = static_cast<double>(exact) * LogHistogram::kMaxRelativeError / 2;
    EXPECT_LE(std::fabs(static_cast<double>(got) - static_cast<double>(exact)), bound)
        << "q=" << static_cast<double>(q) / 100 << " exact=" << exact << " got=" << got;
  }
  EXPECT_EQ(h.percentile(0), sorted.front());
  EXPECT_EQ(h.percentile(100), sorted.back());
}

TEST(LogHistogram, UniformMatchesExactSort) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::uint64_t> d(1, 1'000'000);
  expect_matches_exact(draw(kSamples, [&] { return d(rng); }));
}

TEST(LogHistogram, LognormalHeavyTailMatchesExactSort) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> d(std::log(20'000.0), 1.5);  // median 20 us, p99.99 ~5 ms
  expect_matches_exact(draw(kSamples, [&] { return static_cast<std::uint64_t>(d(rng)); }));
}

TEST(LogHistogram, ConstantIsReportedExactly) {
  expect_matches_exact(std::vector<std::uint64_t>(1000, 123'457));
  LogHistogram h;
  h.record_n(123'457, 1000);
  for (double q : {0.0, 50.0, 99.9, 100.0}) EXPECT_EQ(h.percentile(q), 123'457u);
}

TEST(LogHistogram, TinyValuesAreExact) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::uint64_t> d(0, 127);
  const auto samples = draw(kSamples / 10, [&] { return d(rng); });
  expect_matches_exact(samples);  // bound is 0 below 256: must be exact
}

TEST(LogHistogram, HugeValuesUpToTheTrackableMax) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<std::uint64_t> d(std::uint64_t{1} << 30, LogHistogram::kMaxTrackableValue);
  expect_matches_exact(draw(kSamples, [&] { return d(rng); }));
}

TEST(LogHistogram, BimodalAcrossManyDecades) {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> fast(std::log(300.0), 0.3);
  std::lognormal_distribution<double> slow(std::log(5e7), 0.8);
  std::bernoulli_distribution is_slow(0.02);
  expect_matches_exact(
      draw(kSamples, [&] { return static_cast<std::uint64_t>(is_slow(rng) ? slow(rng) : fast(rng)); }));
}

TEST(LogHistogram, AboveRangeClampsButMaxAndCountStayExact) {
  LogHistogram h;
  h.record(100);
  const std::uint64_t huge = std::uint64_t{1} << 60;
  h.record(huge);
  h.record(~std::uint64_t{0});  // e.g. a negative clock difference
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.max(), ~std::uint64_t{0});
  EXPECT_EQ(h.bucket_count_at(LogHistogram::kBucketCount - 1), 2u);
  EXPECT_GE(h.percentile(50), LogHistogram::kMaxTrackableValue / 2);
  EXPECT_EQ(h.percentile(100), ~std::uint64_t{0});
  EXPECT_NEAR(h.mean(), (100.0 + std::ldexp(1.0, 60) + std::ldexp(1.0, 64)) / 3, 1e-9 * std::ldexp(1.0, 64));
}

TEST(LogHistogram, BucketsBracketValuesWithinTheRelativeError) {
  std::mt19937_64 rng(6);
  for (int i = 0; i < 100'000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);  // every magnitude
    const std::size_t idx = LogHistogram::bucket_index(v);
    ASSERT_LT(idx, LogHistogram::kBucketCount);
    const std::uint64_t lo = LogHistogram::bucket_lower(idx);
    const std::uint64_t hi = LogHistogram::bucket_upper(idx);
    ASSERT_LE(lo, v);
    if (v <= LogHistogram::kMaxTrackableValue) {
      ASSERT_GE(hi, v);
      // The top bucket also absorbs everything above range; its in-range part ends at the max.
      const std::uint64_t in_range_hi = std::min(hi, LogHistogram::kMaxTrackableValue);
      ASSERT_LE(static_cast<double>(in_range_hi - lo + 1), std::max(1.0, static_cast<double>(lo) * LogHistogram::kMaxRelativeError))
          << "v=" << v;
    }
  }
  for (std::size_t i = 0; i + 1 < LogHistogram::kBucketCount; ++i) {
    ASSERT_LT(LogHistogram::bucket_lower(i), LogHistogram::bucket_lower(i + 1));
    ASSERT_EQ(LogHistogram::bucket_index(LogHistogram::bucket_lower(i)), i) << "gap below bucket " << i;
    ASSERT_EQ(LogHistogram::bucket_index(LogHistogram::bucket_upper(i)), i) << "overlap above bucket " << i;
  }
}

TEST(LogHistogram, MergeEqualsRecordingEverythingIntoOne) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(std::log(5000.0), 2.0);
  LogHistogram all;
  LogHistogram parts[3];
  for (std::size_t i = 0; i < kSamples; ++i) {
    const auto v = static_cast<std::uint64_t>(d(rng));
    all.record(v);
    parts[i % 3].record(v);
  }
  LogHistogram merged;
  merged.merge(LogHistogram{});  // merging an empty histogram changes nothing
  for (const auto& p : parts) merged.merge(p);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
  for (std::size_t i = 0; i < LogHistogram::kBucketCount; ++i) {
    ASSERT_EQ(merged.bucket_count_at(i), all.bucket_count_at(i)) << i;
  }
  for (double q : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(merged.percentile(q), all.percentile(q));
}

TEST(LogHistogram, RecordNEqualsRepeatedRecord) {
  LogHistogram a, b;
  a.record_n(777, 5);
  a.record_n(3, 0);  // no-op: must not touch min
  for (int i = 0; i < 5; ++i) b.record(777);
  EXPECT_EQ(a.count(), b.count());
  EXPECT_EQ(a.min(), 777u);
  EXPECT_EQ(a.mean(), b.mean());
  EXPECT_EQ(a.bucket_count_at(LogHistogram::bucket_index(777)), 5u);
}

TEST(LogHistogram, EmptyAndReset) {
  LogHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_TRUE(h.cdf().empty());
  h.record(5);
  h.record(500);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(99), 0u);
  EXPECT_EQ(h.bucket_count_at(5), 0u);
  h.record(9);
  EXPECT_EQ(h.min(), 9u);
  EXPECT_EQ(h.max(), 9u);
}

TEST(LogHistogram, CdfIsMonotoneExactAndEndsAtOne) {
  std::mt19937_64 rng(8);
  std::lognormal_distribution<double> d(std::log(10'000.0), 1.2);
  const auto samples = draw(kSamples, [&] { return static_cast<std::uint64_t>(d(rng)); });
  LogHistogram h;
  for (auto v : samples) h.record(v);
  std::vector<std::uint64_t> sorted = samples;
  std::sort(sorted.begin(), sorted.end());

  for (std::size_t max_points : {1u, 2u, 10u, 100u, 100'000u}) {
    const auto points = h.cdf(max_points);
    ASSERT_FALSE(points.empty());
    ASSERT_LE(points.size(), max_points);
    EXPECT_EQ(points.back().first, h.max());
    EXPECT_EQ(points.back().second, 1.0);
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (i > 0) {
        ASSERT_GT(points[i].first, points[i - 1].first);
        ASSERT_GT(points[i].second, points[i - 1].second);
      }
      // Each point is exact: the fraction of samples <= value.
      const auto at_or_below = std::upper_bound(sorted.begin(), sorted.end(), points[i].first) - sorted.begin();
      ASSERT_DOUBLE_EQ(points[i].second, static_cast<double>(at_or_below) / static_cast<double>(sorted.size()));
    }
  }
  EXPECT_TRUE(h.cdf(0).empty());
}

TEST(StageHistograms, MergeIsPerStage) {
  StageHistograms a, b;
  a[Stage::queue_wait].record(100);
  b[Stage::queue_wait].record(300);
  b[Stage::end_to_end].record(9000);
  a.merge(b);
  EXPECT_EQ(a[Stage::queue_wait].count(), 2u);
  EXPECT_EQ(a[Stage::queue_wait].max(), 300u);
  EXPECT_EQ(a[Stage::end_to_end].count(), 1u);
  EXPECT_EQ(a[Stage::handle].count(), 0u);
  EXPECT_EQ(a.stage.size(), static_cast<std::size_t>(Stage::count));
}

}  // namespace
}  // namespace ringside
