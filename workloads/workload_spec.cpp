// WorkloadSpec: validation, the flag parsers shared with `ringside run`, and to_args().
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <span>

#include "syscall_ops.h"
#include "workload.h"

namespace ringside {
namespace {

constexpr int kMaxThreads = 256;
constexpr int kMaxMixCycle = 10000;  // ops in one weighted round-robin cycle


// A burst time in ms: a finite number > 0 (the value grammar's).
double burst_ms(std::string_view text, std::string_view what) {
  auto ms = parse_number(text, 0, 86'400'000, /*lo_open=*/true);
  if (!ms) throw std::invalid_argument(fmt::format("{}: {}", what, ms.error()));
  return *ms;
}

}  // namespace

std::map<std::string, int> effective_mix(const WorkloadSpec& spec) {
  if (spec.kind != WorkloadKind::mixed) return {};
  if (!spec.mix.empty()) return spec.mix;
  return {{"write", 70}, {"openat", 20}, {"getppid", 10}};
}

void validate(const WorkloadSpec& spec) {
  if (!std::isfinite(spec.rate) || spec.rate < 0 || spec.rate > kMaxRate || (spec.rate > 0 && spec.rate < 1))
    throw std::invalid_argument(fmt::format("rate must be max (0) or 1 to {:g} ops/s, got {}", kMaxRate, spec.rate));
  if (spec.threads < 1 || spec.threads > kMaxThreads)
    throw std::invalid_argument(fmt::format("threads must be 1..{}, got {}", kMaxThreads, spec.threads));
  if (spec.ops == 0 && (!std::isfinite(spec.duration_s) || spec.duration_s <= 0 || spec.duration_s > 86400))
    throw std::invalid_argument(fmt::format("duration must be in (0, 86400] seconds, got {}", spec.duration_s));
  const bool no_burst = spec.burst_on_ms == 0 && spec.burst_off_ms == 0;
  const bool good_burst = std::isfinite(spec.burst_on_ms) && std::isfinite(spec.burst_off_ms) &&
                          spec.burst_on_ms > 0 && spec.burst_off_ms > 0;
  if (!no_burst && !good_burst)
    throw std::invalid_argument(fmt::format("burst on and off must both be > 0 ms, got {}:{}",
                                            spec.burst_on_ms, spec.burst_off_ms));
  if (spec.write_bytes < 16 || spec.write_bytes > 65536)
    throw std::invalid_argument(fmt::format("write bytes must be 16..65536, got {}", spec.write_bytes));
  if (spec.path_bytes > 4096) throw std::invalid_argument(fmt::format("path bytes must be 0..4096, got {}", spec.path_bytes));
  if (!spec.mix.empty() && spec.kind != WorkloadKind::mixed)
    throw std::invalid_argument("a mix only applies to the mixed kind");
  int64_t total = 0, divisor = 0;
  for (const auto& [name, weight] : spec.mix) {
    const auto kind = parse_enum<WorkloadKind>(name);
    if (!kind || *kind == WorkloadKind::mixed)
      throw std::invalid_argument(fmt::format("mix kind '{}' is not a workload kind (mixed aside)", name));
    if (weight < 0) throw std::invalid_argument(fmt::format("mix weight for {} is negative", name));
    total += weight;
    divisor = std::gcd(divisor, int64_t{weight});
  }
  if (!spec.mix.empty() && total == 0) throw std::invalid_argument("mix weights sum to zero");
  if (!spec.mix.empty() && total / divisor > kMaxMixCycle)
    throw std::invalid_argument(fmt::format("mix weights reduce to a cycle over {} ops", kMaxMixCycle));
}

std::vector<std::string> traced_calls(const WorkloadSpec& spec) {
  std::vector<WorkloadKind> kinds;
  if (spec.kind != WorkloadKind::mixed) kinds.push_back(spec.kind);
  for (const auto& [name, weight] : effective_mix(spec))
    if (weight > 0) kinds.push_back(*parse_enum<WorkloadKind>(name));
  std::vector<std::string> names;
  for (WorkloadKind k : kinds)
    for (workload_detail::Call c : workload_detail::calls_of(k)) {
      const std::string name(workload_detail::call_name(c));
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  return names;
}

std::vector<std::string> traced_syscalls(const WorkloadSpec& spec) {
  using workload_detail::Call;
  std::vector<std::string> names;
  for (const std::string& name : traced_calls(spec))
    for (Call c : {Call::write, Call::openat, Call::getppid, Call::execve, Call::connect, Call::unlinkat})
      if (name == workload_detail::call_name(c)) names.push_back(name);
  return names;
}

bool needs_follow_children(const WorkloadSpec& spec) {
  const auto calls = traced_calls(spec);
  return std::find(calls.begin(), calls.end(), "execve") != calls.end();
}

uint64_t parse_workload_ops(std::string_view text) {
  uint64_t ops = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ops);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || ops == 0)
    throw std::invalid_argument(fmt::format("ops must be a positive integer, got '{}'", text));
  return ops;
}

std::pair<double, double> parse_workload_burst(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    throw std::invalid_argument(fmt::format("burst must be ON_MS:OFF_MS, got '{}'", text));
  return {burst_ms(text.substr(0, colon), "burst on time"), burst_ms(text.substr(colon + 1), "burst off time")};
}

std::map<std::string, int> parse_workload_mix(std::string_view text) {
  std::map<std::string, int> mix;
  for (bool more = !text.empty(); more;) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    more = comma != std::string_view::npos;
    if (more) text.remove_prefix(comma + 1);
    auto colon = item.find(':');
    if (colon == std::string_view::npos)
      throw std::invalid_argument(fmt::format("mix entry '{}' is not NAME:WEIGHT", item));
    std::string_view weight_text = item.substr(colon + 1);
    int weight = 0;
    auto [end, ec] = std::from_chars(weight_text.data(), weight_text.data() + weight_text.size(), weight);
    if (weight_text.empty() || ec != std::errc() || end != weight_text.data() + weight_text.size())
      throw std::invalid_argument(fmt::format("mix weight '{}' is not an integer", weight_text));
    if (!mix.emplace(std::string(item.substr(0, colon)), weight).second)
      throw std::invalid_argument(fmt::format("mix names '{}' twice", item.substr(0, colon)));
  }
  if (mix.empty()) throw std::invalid_argument("mix is empty");
  return mix;
}

std::vector<std::string> to_args(const WorkloadSpec& spec) {
  std::vector<std::string> args = {"--kind", std::string(to_string(spec.kind)), "--rate",
                                   spec.rate == 0 ? std::string("max") : fmt::format("{}", spec.rate),
                                   "--threads", std::to_string(spec.threads)};
  if (spec.ops > 0) {
    args.insert(args.end(), {"--ops", std::to_string(spec.ops)});
  } else {
    args.insert(args.end(), {"--duration", fmt::format("{}", spec.duration_s)});
  }
  if (spec.burst_on_ms > 0 || spec.burst_off_ms > 0)
    args.insert(args.end(), {"--burst", fmt::format("{}:{}", spec.burst_on_ms, spec.burst_off_ms)});
  if (spec.path_bytes > 0) args.insert(args.end(), {"--path-bytes", std::to_string(spec.path_bytes)});
  if (spec.write_bytes != 64) args.insert(args.end(), {"--write-bytes", std::to_string(spec.write_bytes)});
  if (!spec.mix.empty()) {
    std::string mix;
    for (const auto& [name, weight] : spec.mix) mix += fmt::format("{}{}:{}", mix.empty() ? "" : ",", name, weight);
    args.insert(args.end(), {"--mix", mix});
  }
  return args;
}

}  // namespace ringside
