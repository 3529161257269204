// Change points in a performance history: E-divisive means (Matteson & James 2014, "A
// nonparametric approach for multiple change point analysis of multivariate data"), the method
// Apache Otava (formerly DataStax hunter) builds on for CI benchmark series; significance as in
// the paper, by a permutation test.
//
// Why this and not a threshold on consecutive points: one CI run is noisy (the gate's A/A
// trials moved p50 by 48 % once), so comparing neighbours either cries wolf or misses slow
// drifts. E-divisive asks where the series splits into two segments whose distributions differ
// most (the energy distance, no normality assumed, outliers weigh by distance not by square),
// and a permutation test says whether that split is stronger than any split of the same values
// shuffled. Accepted splits are searched again on each side (binary segmentation).
//
// Deterministic: the permutations come from a fixed seed and a shuffle written out here, so
// the same series gives the same change points and p-values on every build and machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ringside::stats {

struct ChangePointOptions {
  double alpha = 0.05;          // a split is accepted when its permutation p is below this
  int permutations = 199;       // p resolution 1 / (permutations + 1)
  std::size_t min_segment = 3;  // fewest points on each side of a split
  std::uint64_t seed = 0x0e15;  // fixed: the same series, the same answer
};

struct ChangePoint {
  std::size_t index = 0;   // first point of the new level
  double statistic = 0;    // Q̂ of the split within the segment it was found in
  double p_value = 1;      // (1 + #permutations with Q̂ ≥ observed) / (1 + permutations)
  double mean_before = 0;  // of the points since the previous change point (or the start)
  double mean_after = 0;   // of the points up to the next change point (or the end)
};

// The scaled energy statistic Q̂(τ) (α = 1) of splitting `x` at every τ in
// [min_segment, n - min_segment]: index τ of the result (others 0). O(n log n).
std::vector<double> energy_split_statistics(std::span<const double> x, std::size_t min_segment);

// Change points of `series` in index order; none when it is shorter than 2 × min_segment.
std::vector<ChangePoint> e_divisive(std::span<const double> series, const ChangePointOptions& options = {});

}  // namespace ringside::stats
