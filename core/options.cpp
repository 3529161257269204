// Syntax of the options' text values: wakeup policy, degrade ladder, rate, workload names.
#include "options.h"

#include "workload.h"

#include <array>
#include <charconv>

namespace ringside {
namespace {

// A whole-string unsigned decimal ("12"; no sign, spaces or suffix), or nullopt.
std::optional<uint64_t> parse_decimal(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// "prefix:N" -> N when text starts with `prefix:` and N is a decimal in lo..hi.
std::optional<uint32_t> parse_suffixed_count(std::string_view text, std::string_view prefix,
                                             uint64_t lo, uint64_t hi) {
  if (!text.starts_with(prefix) || text.size() <= prefix.size() || text[prefix.size()] != ':')
    return std::nullopt;
  auto n = parse_decimal(text.substr(prefix.size() + 1));
  if (!n || *n < lo || *n > hi) return std::nullopt;
  return static_cast<uint32_t>(*n);
}

constexpr std::array<std::string_view, 6> kWorkloads = {"write",   "openat",  "getppid",
                                                        "exec",    "connect", "mixed"};

}  // namespace

std::optional<WakeupPolicy> parse_wakeup(std::string_view text) {
  if (text == "every") return WakeupPolicy{WakeupPolicy::every, 1};
  if (text == "adaptive") return WakeupPolicy{WakeupPolicy::adaptive, 0};
  if (auto n = parse_suffixed_count(text, "batch", 1, kMaxWakeupBatch))
    return WakeupPolicy{WakeupPolicy::batch, *n};
  return std::nullopt;
}

std::optional<DegradeStep> parse_degrade_step(std::string_view text) {
  if (text == "detach") return DegradeStep{true, 1};
  if (auto n = parse_suffixed_count(text, "sample", 2, kMaxSampleEvery)) return DegradeStep{false, *n};
  return std::nullopt;
}

std::optional<std::vector<DegradeStep>> parse_degrade_ladder(const std::vector<std::string>& steps) {
  if (steps.empty()) return std::nullopt;
  std::vector<DegradeStep> ladder;
  uint32_t previous_sampling = 1;
  for (const std::string& text : steps) {
    auto step = parse_degrade_step(text);
    if (!step) return std::nullopt;
    // Nothing may follow detach; each sampling rung must thin out more than the one before.
    if (!ladder.empty() && ladder.back().detach) return std::nullopt;
    if (!step->detach) {
      if (step->sample_every <= previous_sampling) return std::nullopt;
      previous_sampling = step->sample_every;
    }
    ladder.push_back(*step);
  }
  return ladder;
}

// One rate grammar for flags, config files and ringside-workload: the workload's own parser.
std::optional<uint64_t> parse_rate(std::string_view text) {
  double rate = 0;
  try {
    rate = parse_workload_rate(text);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  if (rate > static_cast<double>(kMaxRate) || (rate > 0 && rate < 1)) return std::nullopt;
  return static_cast<uint64_t>(rate + 0.5);
}

bool is_known_workload(std::string_view name) {
  for (std::string_view known : kWorkloads)
    if (name == known) return true;
  return false;
}

}  // namespace ringside
