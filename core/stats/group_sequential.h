// The per-look significance level of a sequential test that looks at its data several times.
//
// Testing at level alpha at each of K looks raises the chance of a false alarm somewhere in the
// sequence above alpha. Bonferroni (alpha / K per look) fixes that but is conservative: the
// statistics at successive looks share most of their data, so their crossings overlap. Pocock's
// boundary (Pocock 1977) uses one nominal level for every look, chosen so that under the null a
// statistic with independent increments — a sum over pairs, standardized, as the signed-rank
// statistic is in its normal limit — crosses it at one look or more with probability exactly
// alpha. The looks may be unequally spaced (a cap that is not a whole step away).
#pragma once

#include <cstddef>
#include <vector>

namespace ringside::stats {

// The nominal one-sided level for every look at the (increasing) sample sizes `looks`, so that
// the overall one-sided false-alarm probability is `overall` (0 < overall < 0.5). One look:
// `overall` itself. Computed by numerical integration of the density of the standardized sum
// over the region where no look has crossed yet (Armitage, McPherson & Rowe 1969), with the
// boundary found by bisection; accurate to about 1e-4 relative. Always between overall / K
// (Bonferroni) and overall.
double pocock_level(const std::vector<std::size_t>& looks, double overall);

// The probability, under the null, that the standardized sum crosses the one-sided level
// `nominal` at one look or more of `looks` (the inverse of pocock_level).
double crossing_probability(const std::vector<std::size_t>& looks, double nominal);

}  // namespace ringside::stats
