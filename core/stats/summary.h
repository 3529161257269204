// Summaries of interleaved repetitions: medians, bootstrap confidence intervals, paired
// slowdowns, and the one definition of "% of the machine".
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace ringside {

// Median of a copy of `v` (mean of the two middle values for even sizes); 0 for empty input.
inline double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lo + hi) / 2.0;
}

// Percentile bootstrap 95 % CI of the median of `v` (resampling the repetitions, fixed seed so a
// result file is reproducible from its runs). Returns {lo, hi}; a single value gives {v, v}.
inline std::array<double, 2> bootstrap_median_ci95(const std::vector<double>& v, int resamples = 2000,
                                                   uint64_t seed = 0x5eed) {
  if (v.empty()) return {0.0, 0.0};
  if (v.size() == 1) return {v[0], v[0]};
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, v.size() - 1);
  std::vector<double> medians;
  medians.reserve(static_cast<std::size_t>(resamples));
  std::vector<double> sample(v.size());
  for (int r = 0; r < resamples; ++r) {
    for (auto& s : sample) s = v[pick(rng)];
    medians.push_back(median(sample));
  }
  std::sort(medians.begin(), medians.end());
  auto at = [&](double q) { return medians[static_cast<std::size_t>(q * static_cast<double>(medians.size() - 1))]; };
  return {at(0.025), at(0.975)};
}

// CPU time as a percentage of the machine over a wall interval: cpu / (wall × cpus) × 100.
inline double pct_of_machine(uint64_t cpu_ns, uint64_t wall_ns, int cpus) {
  if (wall_ns == 0 || cpus <= 0) return 0.0;
  return static_cast<double>(cpu_ns) / (static_cast<double>(wall_ns) * cpus) * 100.0;
}

// Slowdown % of each paired round: (1 - treated / baseline) * 100 (positive = slower).
inline std::vector<double> paired_slowdowns(const std::vector<double>& baseline_ops_per_sec,
                                            const std::vector<double>& treated_ops_per_sec) {
  if (baseline_ops_per_sec.size() != treated_ops_per_sec.size())
    throw std::invalid_argument("paired slowdown needs as many baseline as treated rounds");
  std::vector<double> out;
  for (std::size_t i = 0; i < baseline_ops_per_sec.size(); ++i) {
    if (baseline_ops_per_sec[i] <= 0) continue;
    out.push_back((1.0 - treated_ops_per_sec[i] / baseline_ops_per_sec[i]) * 100.0);
  }
  return out;
}

}  // namespace ringside
