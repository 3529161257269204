// Capacity planning from a sweep: a linear cost model (CPU % = a + b·rate) and what follows
// from it — max rate within budget, ns/event, ring size for a burst, predicted cost at a rate.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace ringside {

struct LinearFit {
  double a = 0, b = 0, r2 = 0;  // y = a + b·x, coefficient of determination
  std::size_t n = 0;
};

// Ordinary least squares; n < 2 or constant x gives b = 0, a = mean(y), r2 = 0.
LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y);

// Rate at which the fitted % reaches `budget_pct`, or nullopt if the slope is not positive.
std::optional<double> rate_at_budget(const LinearFit& f, double budget_pct);

// ns of CPU per event implied by the slope of a % -of-machine fit on `cpus` CPUs.
double ns_per_event_from_slope(const LinearFit& f, int cpus);

struct RingAdvice {
  double burst_rate = 0, burst_seconds = 0, drain_rate = 0;
  uint32_t record_bytes = 0;
  uint64_t bytes_needed = 0;  // backlog the ring must hold: (burst - drain) × seconds × record
  uint64_t ring_bytes = 0;    // next power of two ≥ 1.25 × bytes_needed (kernel needs a power of two)
};

// `record_bytes` is what one event occupies in the ring (64-byte record + 8-byte ringbuf header).
RingAdvice ring_for_burst(double burst_rate, double burst_seconds, double drain_rate, uint32_t record_bytes);

// Predicted % of a machine with `plan_cpus` CPUs at `rate`, from a fit measured on `cpus` CPUs
// (the fit's CPU time is absolute; only the denominator changes).
double predict_pct(const LinearFit& f, double rate, int cpus, int plan_cpus);

}  // namespace ringside
