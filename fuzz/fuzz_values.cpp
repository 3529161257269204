// The value grammar (values.h, types.h), every row of the option table and ringside-workload's
// flag parsers, all on the same text. Parsers return a value or a reason and must never throw
// (the workload's throw std::invalid_argument); a value they accept must print back (to_string,
// the option table's show) to text that parses to the same value, since validate() and the
// workload's command line depend on that round trip.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "option_table.h"
#include "types.h"
#include "usage_error.h"
#include "values.h"
#include "workload.h"

namespace ringside {
namespace {

using fuzz::finding;

void counts(std::string_view t) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (auto [lo, hi] : {std::pair<uint64_t, uint64_t>{0, kMax}, {1, 256}, {4096, 1u << 30}, {50, UINT32_MAX}}) {
    const auto v = parse_count(t, lo, hi);
    if (!v) continue;
    if (*v < lo || *v > hi) finding("parse_count('{}', {}, {}) = {}: out of range", t, lo, hi, *v);
    const auto back = parse_count(fmt::format("{}", *v), lo, hi);
    if (!back || *back != *v) finding("parse_count('{}') = {} does not read back", t, *v);
  }
}

void numbers(std::string_view t) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  struct Range {
    double lo, hi;
    bool lo_open;
  };
  for (const Range r : {Range{0, 1, false}, Range{0, 100, true}, Range{0, 86400, true}, Range{1e-9, 0.5, false},
                        Range{0, kInf, false}}) {
    const auto v = parse_number(t, r.lo, r.hi, r.lo_open);
    if (!v) continue;
    const bool in = std::isfinite(*v) && (r.lo_open ? *v > r.lo : *v >= r.lo) && *v <= r.hi;
    if (!in) finding("parse_number('{}') = {}: outside its range", t, *v);
    const auto back = parse_number(fmt::format("{}", *v), r.lo, r.hi, r.lo_open);  // option_table's num()
    if (!back || *back != *v) finding("parse_number('{}') = {} does not read back", t, *v);
  }
}

void rates(std::string_view t) {
  const auto r = parse_rate(t);
  if (!r) return;
  if (!r->is_max() && !(r->per_sec >= 1 && r->per_sec <= kMaxRate)) finding("parse_rate('{}') = {}", t, r->per_sec);
  const std::string shown = to_string(*r);
  const auto back = parse_rate(shown);
  if (!back || !(*back == *r)) finding("parse_rate('{}') = {:.17g} shows as '{}', which reads back differently", t,
                                       r->per_sec, shown);
}

template <class E>
void enum_round_trip(std::string_view t) {
  const auto v = parse_enum<E>(t);
  if (v && to_string(*v) != t) finding("parse_enum('{}') shows as '{}'", t, to_string(*v));
}

void typed(std::string_view t) {
  if (const auto b = parse_bool(t)) {
    const auto back = parse_bool(*b ? "true" : "false");  // option_table's boolean()
    if (!back || *back != *b) finding("parse_bool('{}') does not read back", t);
  }
  enum_round_trip<Transport>(t);
  enum_round_trip<Hook>(t);
  enum_round_trip<QueuePolicy>(t);
  enum_round_trip<Phase>(t);
  enum_round_trip<RingLayout>(t);
  enum_round_trip<ProgramId>(t);
  enum_round_trip<WorkloadKind>(t);

  if (const auto w = parse_wakeup(t)) {
    if (w->kind == WakeupPolicy::Kind::batch && (w->batch < 1 || w->batch > kMaxWakeupBatch))
      finding("parse_wakeup('{}'): batch {}", t, w->batch);
    const auto back = parse_wakeup(to_string(*w));
    if (!back || !(*back == *w)) finding("parse_wakeup('{}') does not read back from '{}'", t, to_string(*w));
  }
  if (const auto s = parse_degrade_step(t)) {
    const auto back = parse_degrade_step(to_string(*s));
    if (!back || !(*back == *s)) finding("parse_degrade_step('{}') does not read back", t);
  }
  if (const auto ladder = parse_degrade_ladder(t)) {
    if (ladder->empty()) finding("parse_degrade_ladder('{}'): empty ladder", t);
    uint32_t previous = 1;
    for (std::size_t i = 0; i < ladder->size(); ++i) {
      const DegradeStep& s = (*ladder)[i];
      if (s.detach && i + 1 != ladder->size()) finding("parse_degrade_ladder('{}'): detach before the end", t);
      if (!s.detach && (s.sample_every <= previous || s.sample_every > kMaxSampleEvery))
        finding("parse_degrade_ladder('{}'): rung {} not increasing", t, i);
      if (!s.detach) previous = s.sample_every;
    }
    const auto back = parse_degrade_ladder(to_string(*ladder));
    if (!back || !(*back == *ladder)) finding("parse_degrade_ladder('{}') does not read back", t);
  }
  if (const auto phases = parse_phases(t)) {
    if (phases->empty() || phases->front() != Phase::baseline) finding("parse_phases('{}'): baseline not first", t);
    for (std::size_t i = 0; i < phases->size(); ++i)
      for (std::size_t j = i + 1; j < phases->size(); ++j)
        if ((*phases)[i] == (*phases)[j]) finding("parse_phases('{}'): a phase twice", t);
    if (std::find(phases->begin(), phases->end(), Phase::traced) == phases->end())
      finding("parse_phases('{}'): no traced phase", t);
  }
  if (const auto programs = parse_list(t, parse_enum<ProgramId>)) {
    const auto back = parse_list(join_names(*programs), parse_enum<ProgramId>);
    if (!back || *back != *programs) finding("program list '{}' does not read back", t);
  }
}

// Every option as both the command line and the config file set it.
void options(std::string_view t) {
  for (const OptionSpec& spec : option_specs()) {
    RunOptions o;
    try {
      assign_option(spec, o, t, spec.key);
    } catch (const UsageError& e) {
      fuzz::expect_one_line(e.what(), spec.key);
      continue;
    }
    const std::string shown = spec.show(o);
    RunOptions again;
    if (const auto error = spec.assign(again, shown))
      finding("{} = '{}' shows as '{}', which is rejected: {}", spec.key, t, shown, *error);
    if (!(again == o)) finding("{} = '{}' shows as '{}', which reads back as another value", spec.key, t, shown);
    try {
      validate(o);
    } catch (const UsageError& e) {
      finding("{} = '{}' is accepted but validate() rejects it: {}", spec.key, t, e.what());
    }
  }
}

// ringside-workload's own flags, then the spec they build through validate() as its main does
// (std::invalid_argument is its usage error).
void workload_flags(std::string_view t) {
  try {
    if (parse_workload_ops(t) == 0) finding("parse_workload_ops('{}') = 0", t);
  } catch (const std::invalid_argument&) {  // ringside-workload's main prints it as one line
  }
  WorkloadSpec burst;
  try {
    std::tie(burst.burst_on_ms, burst.burst_off_ms) = parse_workload_burst(t);
  } catch (const std::invalid_argument&) {
  }
  try {
    validate(burst);  // an accepted burst is a valid one
  } catch (const std::invalid_argument& e) {
    finding("--burst '{}' is accepted but validate() rejects it: {}", t, e.what());
  }
  WorkloadSpec spec;
  spec.kind = WorkloadKind::mixed;
  try {
    spec.mix = parse_workload_mix(t);
  } catch (const std::invalid_argument&) {
    return;
  }
  try {
    validate(spec);
  } catch (const std::invalid_argument&) {
    return;
  }
  // a valid mix names only real kinds: what the tracer attaches to follows from it
  (void)traced_calls(spec);
  (void)traced_syscalls(spec);
  (void)to_args(spec);
}

}  // namespace
}  // namespace ringside

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view t(reinterpret_cast<const char*>(data), size);
  ringside::counts(t);
  ringside::numbers(t);
  ringside::rates(t);
  ringside::typed(t);
  ringside::options(t);
  ringside::workload_flags(t);
  return 0;
}
