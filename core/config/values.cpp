// The value grammar; see values.h.
#include "values.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "usage_error.h"

namespace ringside {

void throw_usage(std::string_view context, std::string_view reason) {
  throw UsageError(context.empty() ? std::string(reason) : fmt::format("{}: {}", context, reason));
}

Parsed<uint64_t> parse_count(std::string_view text, uint64_t lo, uint64_t hi) {
  const auto expected = [&] {
    if (hi >= UINT32_MAX) return fmt::format("an integer ≥ {}", lo);  // no upper bound worth naming
    return fmt::format("an integer in {}..{}", lo, hi);
  };
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value < lo || value > hi)
    return Parsed<uint64_t>::fail(fmt::format("expected {}, got '{}'", expected(), text));
  return value;
}

Parsed<double> parse_number(std::string_view text, double lo, double hi, bool lo_open) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  const bool in_range = (lo_open ? value > lo : value >= lo) && value <= hi;
  if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(value) || !in_range) {
    const std::string range = std::isinf(hi) ? fmt::format("{} {:g}", lo_open ? ">" : "≥", lo)
                                             : fmt::format("in {}{:g}, {:g}]", lo_open ? "(" : "[", lo, hi);
    return Parsed<double>::fail(fmt::format("expected a number {}, got '{}'", range, text));
  }
  return value;
}

Parsed<bool> parse_bool(std::string_view text) {
  for (std::string_view yes : {"true", "yes", "on", "1"})
    if (text == yes) return true;
  for (std::string_view no : {"false", "no", "off", "0"})
    if (text == no) return false;
  return Parsed<bool>::fail(fmt::format("expected true or false, got '{}'", text));
}

Parsed<Rate> parse_rate(std::string_view text) {
  if (text == "max") return Rate{0};
  std::string_view digits = text;
  double scale = 1;
  if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) scale = 1e3;
  if (!digits.empty() && (digits.back() == 'm' || digits.back() == 'M')) scale = 1e6;
  if (scale != 1) digits.remove_suffix(1);
  double value = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  value *= scale;
  if (digits.empty() || ec != std::errc{} || ptr != end || !std::isfinite(value) || value < 1 || value > kMaxRate)
    return Parsed<Rate>::fail(fmt::format(
        "expected max or ops/s from 1 to {:g}, optionally with a k or M suffix (e.g. 10k, 2.5M), got '{}'", kMaxRate,
        text));
  return Rate{value};
}

std::string to_string(Rate rate) {
  const double r = rate.per_sec;
  if (r <= 0) return "max";
  // "{}" is the shortest text that reads back exactly; "{:g}" kept 6 digits (1234567 → 1.23457e+06)
  if (r >= 1e6 && std::fmod(r, 1e6) == 0.0) return fmt::format("{}M", r / 1e6);
  if (r >= 1e3 && std::fmod(r, 1e3) == 0.0) return fmt::format("{}k", r / 1e3);
  return fmt::format("{}", r);
}

}  // namespace ringside
