#include "capacity_model.h"

#include <cmath>

namespace ringside {

LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  LinearFit f;
  f.n = std::min(x.size(), y.size());
  if (f.n == 0) return f;
  double sx = 0, sy = 0;
  for (std::size_t i = 0; i < f.n; ++i) sx += x[i], sy += y[i];
  const double mx = sx / static_cast<double>(f.n), my = sy / static_cast<double>(f.n);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < f.n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (f.n < 2 || sxx == 0) {
    f.a = my;
    return f;
  }
  f.b = sxy / sxx;
  f.a = my - f.b * mx;
  double ss_res = 0;
  for (std::size_t i = 0; i < f.n; ++i) {
    const double e = y[i] - (f.a + f.b * x[i]);
    ss_res += e * e;
  }
  f.r2 = syy > 0 ? 1.0 - ss_res / syy : 1.0;
  return f;
}

std::optional<double> rate_at_budget(const LinearFit& f, double budget_pct) {
  if (f.b <= 0) return std::nullopt;
  const double r = (budget_pct - f.a) / f.b;
  return r > 0 ? std::optional<double>(r) : std::optional<double>(0.0);
}

double ns_per_event_from_slope(const LinearFit& f, int cpus) {
  // pct = ns_per_event · rate / (1e9 · cpus) · 100  ⇒  ns_per_event = b · 1e9 · cpus / 100
  return f.b * 1e9 * cpus / 100.0;
}

RingAdvice ring_for_burst(double burst_rate, double burst_seconds, double drain_rate, uint32_t record_bytes) {
  RingAdvice r{burst_rate, burst_seconds, drain_rate, record_bytes, 0, 0};
  const double backlog = std::max(0.0, burst_rate - drain_rate) * burst_seconds * record_bytes;
  r.bytes_needed = static_cast<uint64_t>(std::ceil(backlog));
  uint64_t ring = 4096;
  while (static_cast<double>(ring) < backlog * 1.25) ring <<= 1;
  r.ring_bytes = ring;
  return r;
}

double predict_pct(const LinearFit& f, double rate, int cpus, int plan_cpus) {
  if (plan_cpus <= 0) return 0;
  return (f.a + f.b * rate) * cpus / plan_cpus;
}

}  // namespace ringside
