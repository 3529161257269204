// A reference program of the catalog: its BPF object, how it attaches, how the pipeline
// recognises its records, and which workload gives its ground truth. registry.h lists them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "options.h"
#include "record_format.h"
#include "types.h"
#include "workload.h"

namespace ringside {

// A program's per-CPU counters (rs_record.h), summed over CPUs.
struct ProgramCounters {
  uint64_t matched = 0, emitted = 0, kernel_reserve = 0, perf_output = 0, sampled_out = 0, targets_full = 0;
  ProgramCounters& operator+=(const ProgramCounters& o);
};

// Run time of one loaded BPF program (advancing while BPF stats are enabled).
struct ProgRuntime {
  uint32_t id = 0;
  std::string name;
  uint64_t run_time_ns = 0, run_cnt = 0;
};

// How a session loads a program.
struct LoadOptions {
  Transport transport = Transport::ringbuf;
  WakeupPolicy wakeup;
  uint32_t ring_bytes = 8u << 20;
  Hook hook = Hook::raw_tp;
  bool floor = false;             // attach the same hooks, return at once: the hooks' own cost
  bool follow_children = false;   // this instance also runs the fork/exit followers
  bool filter_targets = true;     // false: every process
  std::vector<int> syscalls;      // syscall_tap: syscall numbers to record
  uint32_t payload_bytes = 0;     // syscall_tap: bytes of write's buffer each record carries
  bool aggregate = false;         // count (and sum sizes) in a BPF map, emit no records
  std::string function_path;      // function_timing: the binary holding the function
  std::string function_symbol;    // function_timing: the function
  int reuse_events_fd = -1;       // share another program's ring (one ring for the session)
  int reuse_targets_fd = -1;      // share the session's target set
  bool per_cpu_rings = false;     // one ring buffer per CPU (rs_rings) instead of `events`
  int reuse_rings_fd = -1;        // per_cpu_rings: share another program's rs_rings
  uint32_t max_targets = 0;       // the target set's size (0: the BPF default, RS_MAX_TARGETS)
  BpfObjectOptions bpf_object;    // bpf_object: the user's object and how to read it
  pid_t target_pid = 0;           // bpf_object: what {pid} in --rodata stands for (0: not known)
  uint32_t single_target = 0;     // the one fixed target (compared in BPF without a map), 0 = the map
  uint32_t stamp_every = 1;       // timestamps on 1 of every N kept events (per CPU)
};

// Aggregate mode's counts of one kind, summed over CPUs.
struct KindCount {
  uint64_t count = 0, bytes = 0;
};

// The traced processes, for attaching (uprobes attach per process).
struct AttachContext {
  std::vector<pid_t> pids;
};

class LoadedProgram {
 public:
  virtual ~LoadedProgram() = default;
  virtual void attach(const AttachContext& ctx) = 0;  // throws std::runtime_error
  virtual void detach() noexcept = 0;                 // programs stay loaded until destruction
  [[nodiscard]] virtual bool attached() const = 0;
  virtual void add_target(uint32_t tgid) = 0;
  [[nodiscard]] virtual ProgramCounters counters() const = 0;
  [[nodiscard]] virtual std::vector<ProgRuntime> runtime() const = 0;  // the loaded BPF programs
  virtual void set_sample_every(uint32_t n) = 0;  // in-kernel 1/N sampling, effective at once
  // The program's mmap'ed "reader is idle" flag (batch wake-ups), or null when it has none.
  [[nodiscard]] virtual uint32_t* reader_idle_flag() { return nullptr; }
  [[nodiscard]] virtual uint32_t sample_every() const = 0;
  // Aggregate mode: what the program counted, by kind (empty when it streams).
  [[nodiscard]] virtual std::vector<KindCount> aggregate_counts() const = 0;
  [[nodiscard]] virtual int events_fd() const = 0;
  // The rings the consumer reads: events_fd(), or one per CPU with per_cpu_rings.
  [[nodiscard]] virtual std::vector<int> ring_fds() const { return {events_fd()}; }
  [[nodiscard]] virtual int rings_map_fd() const { return -1; }  // per_cpu_rings: the outer map
  [[nodiscard]] virtual int targets_fd() const = 0;
  [[nodiscard]] virtual int counters_fd() const = 0;
};

struct ProgramSpec {
  ProgramId id;
  std::string_view summary;
  WorkloadKind default_workload;  // the workload whose ground truth this program is checked against
  uint16_t kinds = 1;             // record kinds (rs_hdr.kind < kinds)
  bool takes_payload = false;     // --payload-bytes changes its records
  bool aggregates = false;        // has an aggregate (count-in-the-kernel) mode
  bool follows_children = false;  // its events come from the traced process's children
  bool needs_function = false;    // attaches to --function PATH:SYMBOL
  const char* kinds_key = "by_kind";  // what results call its per-kind counts (by_syscall, by_function)
  // How the pipeline recognises this program's records under `options`.
  ProgramFormat (*format)(const LoadOptions& options);
  // Opens, configures and loads; throws std::runtime_error ("failed to load syscall_tap: ...").
  std::unique_ptr<LoadedProgram> (*load)(const LoadOptions& options);
  // The display name of a record kind ("write" for syscall 1), also the key the workload counts
  // it under in its ground truth.
  std::string (*kind_name)(uint16_t kind);
  // Whether a record kind is recorded under `options` (syscall_tap: only the syscalls asked for).
  bool (*records_kind)(uint16_t kind, const LoadOptions& options) = nullptr;
  // false: the program has no count of its own of what it matched (a user's object): what it
  // matched is taken as received + its counted drops, and conservation needs `expected`.
  bool counts_matched = true;
  // The events the ground truth promises, when not by kind (a user's object: ops × K); nullopt
  // when nothing independent promises a number (no verdict).
  std::optional<uint64_t> (*expected)(const WorkloadResult& truth, const LoadOptions& options) = nullptr;
};

[[nodiscard]] std::string_view name_of(const ProgramSpec& spec);

// The events the workload's ground truth promises `spec` under `options`: every kind it records,
// counted under the kind's name (or spec.expected's number); nullopt: no promise to check against.
[[nodiscard]] std::optional<uint64_t> expected_events(const ProgramSpec& spec, const WorkloadResult& truth,
                                                      const LoadOptions& options);

}  // namespace ringside
