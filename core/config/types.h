// The typed values of ringside's options: parsed once at the edge (flags, config file), carried
// as enums and structs everywhere below, turned back into text only by to_string().
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "values.h"

namespace ringside {

enum class Transport : uint8_t { ringbuf, perfbuf };
enum class Hook : uint8_t { raw_tp, tracepoint };
enum class QueuePolicy : uint8_t { drop, block };
// One phase of a `run` round: nothing attached, the hooks alone, the lean consumer, the programs
// counting in the kernel (no records), the pipeline.
// floor_nostats: the floor without BPF_ENABLE_STATS — the stats' own cost is floor vs floor_nostats.
enum class Phase : uint8_t { baseline, floor, floor_nostats, bare, aggregate, traced };
// Several programs: one ring for all, or one ring each (one wait over them either way).
// per_cpu: one ring per CPU, shared by every program (producers on different CPUs never contend).
enum class RingLayout : uint8_t { shared, per_program, per_cpu };
// The catalog of reference programs (core/programs/registry.cpp).
// bpf_object is not in the catalog: a user's own object (--bpf-object), its records opaque.
enum class ProgramId : uint8_t { syscall_tap, file_ops, exec, tcp_connect, function_timing, memory_alloc, bpf_object, lean_tap };

template <>
struct EnumNames<Transport> {
  static constexpr std::array<std::pair<Transport, std::string_view>, 2> table = {
      {{Transport::ringbuf, "ringbuf"}, {Transport::perfbuf, "perfbuf"}}};
};
template <>
struct EnumNames<Hook> {
  static constexpr std::array<std::pair<Hook, std::string_view>, 2> table = {
      {{Hook::raw_tp, "raw_tp"}, {Hook::tracepoint, "tracepoint"}}};
};
template <>
struct EnumNames<QueuePolicy> {
  static constexpr std::array<std::pair<QueuePolicy, std::string_view>, 2> table = {
      {{QueuePolicy::drop, "drop"}, {QueuePolicy::block, "block"}}};
};
template <>
struct EnumNames<Phase> {
  static constexpr std::array<std::pair<Phase, std::string_view>, 6> table = {{{Phase::baseline, "baseline"},
                                                                              {Phase::floor, "floor"},
                                                                              {Phase::floor_nostats, "floor_nostats"},
                                                                              {Phase::bare, "bare"},
                                                                              {Phase::aggregate, "aggregate"},
                                                                              {Phase::traced, "traced"}}};
};
template <>
struct EnumNames<RingLayout> {
  static constexpr std::array<std::pair<RingLayout, std::string_view>, 3> table = {
      {{RingLayout::shared, "shared"}, {RingLayout::per_program, "per-program"}, {RingLayout::per_cpu, "per-cpu"}}};
};
template <>
struct EnumNames<ProgramId> {
  static constexpr std::array<std::pair<ProgramId, std::string_view>, 8> table = {{
      {ProgramId::syscall_tap, "syscall_tap"},
      {ProgramId::file_ops, "file_ops"},
      {ProgramId::exec, "exec"},
      {ProgramId::tcp_connect, "tcp_connect"},
      {ProgramId::function_timing, "function_timing"},
      {ProgramId::memory_alloc, "memory_alloc"},
      {ProgramId::bpf_object, "bpf_object"},
      {ProgramId::lean_tap, "lean_tap"},
  }};
};

// When the kernel wakes the reader: "every" record, "adaptive" (when the reader has caught up:
// the kernel's default), or "batch:N" (once N records are pending; N in 1..kMaxWakeupBatch).
inline constexpr uint32_t kMaxWakeupBatch = 1'000'000;
struct WakeupPolicy {
  enum class Kind : uint8_t { every, adaptive, batch };
  Kind kind = Kind::batch;
  uint32_t batch = 2048;  // records, for Kind::batch (2048 × 64 B = 128 KiB per wake-up)
  bool operator==(const WakeupPolicy&) const = default;
};
Parsed<WakeupPolicy> parse_wakeup(std::string_view text);
std::string to_string(const WakeupPolicy& w);

// One rung of the governor's degrade ladder: "sample:N" (keep 1 event in N, N in
// 2..kMaxSampleEvery) or "detach".
inline constexpr uint32_t kMaxSampleEvery = 1'000'000;
struct DegradeStep {
  bool detach = false;
  uint32_t sample_every = 1;  // when !detach
  bool operator==(const DegradeStep&) const = default;
};
using DegradeLadder = std::vector<DegradeStep>;
Parsed<DegradeStep> parse_degrade_step(std::string_view text);
std::string to_string(const DegradeStep& step);
// Non-empty; sample:N rungs with strictly increasing N; "detach" only last.
Parsed<DegradeLadder> parse_degrade_ladder(std::string_view text);
std::string to_string(const DegradeLadder& ladder);

// Phases of a run round: a comma list of phase names; baseline and traced are always included,
// baseline first.
Parsed<std::vector<Phase>> parse_phases(std::string_view text);

// Comma lists of names as flags take them: "syscall_tap,file_ops".
template <class E>
std::string join_names(const std::vector<E>& values) {
  std::string out;
  for (const E& v : values) out += (out.empty() ? "" : ",") + std::string(to_string(v));
  return out;
}

}  // namespace ringside
