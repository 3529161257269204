// Rate strings as the CLI accepts them; see rate.h.
#include "rate.h"

#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "cli.h"
#include "options.h"

namespace ringside {

double parse_rate(const std::string& text) {
  const std::optional<uint64_t> rate = parse_rate(std::string_view(text));
  if (!rate)
    throw UsageError(fmt::format("invalid rate '{}': use max or ops/s from 1 to {}, optionally with a k or M "
                                 "suffix (e.g. 10k, 2.5M)",
                                 text, kMaxRate));
  return static_cast<double>(*rate);
}

std::string format_rate(double ops_per_sec) {
  if (ops_per_sec <= 0.0) return "max";
  if (ops_per_sec >= 1e6 && std::fmod(ops_per_sec, 1e6) == 0.0) return fmt::format("{:g}M", ops_per_sec / 1e6);
  if (ops_per_sec >= 1e3 && std::fmod(ops_per_sec, 1e3) == 0.0) return fmt::format("{:g}k", ops_per_sec / 1e3);
  return fmt::format("{:g}", ops_per_sec);
}

}  // namespace ringside
