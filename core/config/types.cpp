// Parsing and printing the typed option values; see types.h.
#include "types.h"

#include <fmt/format.h>

#include <algorithm>

namespace ringside {
namespace {

// "prefix:N" → N when text starts with `prefix:` and N is a decimal in lo..hi.
Parsed<uint32_t> suffixed_count(std::string_view text, std::string_view prefix, uint64_t lo, uint64_t hi) {
  if (!text.starts_with(prefix) || text.size() <= prefix.size() || text[prefix.size()] != ':')
    return Parsed<uint32_t>::fail("");
  auto n = parse_count(text.substr(prefix.size() + 1), lo, hi);
  if (!n) return Parsed<uint32_t>::fail("");
  return static_cast<uint32_t>(*n);
}

}  // namespace

Parsed<WakeupPolicy> parse_wakeup(std::string_view text) {
  using K = WakeupPolicy::Kind;
  if (text == "every") return WakeupPolicy{K::every, 1};
  if (text == "adaptive") return WakeupPolicy{K::adaptive, 0};
  if (auto n = suffixed_count(text, "batch", 1, kMaxWakeupBatch)) return WakeupPolicy{K::batch, *n};
  return Parsed<WakeupPolicy>::fail(
      fmt::format("expected every, adaptive or batch:N with N in 1..{}, got '{}'", kMaxWakeupBatch, text));
}

std::string to_string(const WakeupPolicy& w) {
  switch (w.kind) {
    case WakeupPolicy::Kind::every: return "every";
    case WakeupPolicy::Kind::adaptive: return "adaptive";
    case WakeupPolicy::Kind::batch: return fmt::format("batch:{}", w.batch);
  }
  return "?";
}

Parsed<DegradeStep> parse_degrade_step(std::string_view text) {
  if (text == "detach") return DegradeStep{true, 1};
  if (auto n = suffixed_count(text, "sample", 2, kMaxSampleEvery)) return DegradeStep{false, *n};
  return Parsed<DegradeStep>::fail(
      fmt::format("expected sample:N with N in 2..{} or detach, got '{}'", kMaxSampleEvery, text));
}

std::string to_string(const DegradeStep& step) {
  return step.detach ? std::string("detach") : fmt::format("sample:{}", step.sample_every);
}

Parsed<DegradeLadder> parse_degrade_ladder(std::string_view text) {
  const auto fail = [&] {
    return Parsed<DegradeLadder>::fail(fmt::format(
        "expected a list of sample:N (N in 2..{}, increasing), optionally ending in detach, got '{}'", kMaxSampleEvery,
        text));
  };
  auto steps = parse_list(text, parse_degrade_step);
  if (!steps) return fail();
  uint32_t previous = 1;
  for (std::size_t i = 0; i < steps->size(); ++i) {
    const DegradeStep& s = (*steps)[i];
    // Nothing may follow detach; each sampling rung must thin out more than the one before.
    if (s.detach && i + 1 != steps->size()) return fail();
    if (!s.detach && s.sample_every <= previous) return fail();
    if (!s.detach) previous = s.sample_every;
  }
  return *steps;
}

std::string to_string(const DegradeLadder& ladder) {
  std::string out;
  for (const DegradeStep& s : ladder) out += (out.empty() ? "" : ",") + to_string(s);
  return out;
}

Parsed<std::vector<Phase>> parse_phases(std::string_view text) {
  auto listed = parse_list(text, parse_enum<Phase>);
  if (!listed) return Parsed<std::vector<Phase>>::fail(listed.error());
  std::vector<Phase> out = {Phase::baseline};
  for (Phase p : *listed)
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  if (std::find(out.begin(), out.end(), Phase::traced) == out.end()) out.push_back(Phase::traced);
  return out;
}

}  // namespace ringside
