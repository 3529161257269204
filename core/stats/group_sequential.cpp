#include "group_sequential.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ringside::stats {
namespace {

constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

double upper_tail(double z) { return 0.5 * std::erfc(z / kSqrt2); }

// z with upper_tail(z) = p, by bisection on the monotone tail (p in (0, 0.5]).
double upper_quantile(double p) {
  double lo = 0, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
    const double mid = 0.5 * (lo + hi);
    (upper_tail(mid) > p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// Probability that S_k > c·sqrt(n_k) at some look, S a sum of iid N(0, 1) increments. The
// density of S on the not-yet-crossed region is carried from look to look on a grid (trapezoid
// rule): f_k(s) = ∫ f_{k-1}(u) φ((s − u)/σ_k)/σ_k du over u ≤ c·sqrt(n_{k-1}),
// σ_k² = n_k − n_{k-1}; look k's crossing adds ∫ f_{k-1}(u) Q((c·sqrt(n_k) − u)/σ_k) du.
double crossing(const std::vector<std::size_t>& looks, double c) {
  constexpr int kPoints = 401;  // per look; the density is smooth, so this is plenty
  constexpr double kLow = 9.0;  // grid from −9 standard deviations: the mass below is < 1e-18
  std::vector<double> grid, dens, next_grid, next_dens;
  const double n1 = static_cast<double>(looks[0]);
  double crossed = upper_tail(c);
  auto make_grid = [&](double n, std::vector<double>& g) {
    const double lo = -kLow * std::sqrt(n), hi = c * std::sqrt(n);
    g.resize(kPoints);
    for (int i = 0; i < kPoints; ++i) g[i] = lo + (hi - lo) * i / (kPoints - 1);
  };
  make_grid(n1, grid);
  dens.resize(kPoints);
  for (int i = 0; i < kPoints; ++i) dens[i] = kInvSqrt2Pi * std::exp(-0.5 * grid[i] * grid[i] / n1) / std::sqrt(n1);
  for (std::size_t k = 1; k < looks.size(); ++k) {
    const double n = static_cast<double>(looks[k]);
    const double sigma = std::sqrt(n - static_cast<double>(looks[k - 1]));
    const double h = grid[1] - grid[0];
    auto weight = [&](int i) { return (i == 0 || i == kPoints - 1) ? 0.5 * h : h; };
    const double bound = c * std::sqrt(n);
    for (int i = 0; i < kPoints; ++i) crossed += weight(i) * dens[i] * upper_tail((bound - grid[i]) / sigma);
    if (k + 1 == looks.size()) break;
    make_grid(n, next_grid);
    next_dens.assign(kPoints, 0.0);
    for (int j = 0; j < kPoints; ++j) {
      double sum = 0;
      for (int i = 0; i < kPoints; ++i) {
        const double z = (next_grid[j] - grid[i]) / sigma;
        sum += weight(i) * dens[i] * std::exp(-0.5 * z * z);
      }
      next_dens[j] = sum * kInvSqrt2Pi / sigma;
    }
    grid.swap(next_grid);
    dens.swap(next_dens);
  }
  return crossed;
}

void check(const std::vector<std::size_t>& looks, double p) {
  if (looks.empty() || looks[0] == 0 || !std::is_sorted(looks.begin(), looks.end()) ||
      std::adjacent_find(looks.begin(), looks.end()) != looks.end())
    throw std::invalid_argument("looks must be increasing sample sizes above 0");
  if (!(p > 0 && p < 0.5)) throw std::invalid_argument("a one-sided level must be in (0, 0.5)");
}

}  // namespace

double crossing_probability(const std::vector<std::size_t>& looks, double nominal) {
  check(looks, nominal);
  return looks.size() == 1 ? nominal : crossing(looks, upper_quantile(nominal));
}

double pocock_level(const std::vector<std::size_t>& looks, double overall) {
  check(looks, overall);
  if (looks.size() == 1) return overall;
  // the boundary lies between the unadjusted one and Bonferroni's
  double lo = upper_quantile(overall), hi = upper_quantile(overall / static_cast<double>(looks.size()));
  for (int i = 0; i < 60 && hi - lo > 1e-7; ++i) {
    const double mid = 0.5 * (lo + hi);
    (crossing(looks, mid) > overall ? lo : hi) = mid;
  }
  return upper_tail(hi);  // the conservative end of the bracket
}

}  // namespace ringside::stats
