// The options of the measuring commands, typed. Defaults here are the documented defaults;
// ci/configs/default.yaml spells every one of them out, and option_table.cpp lists each field's
// config key and flag.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "types.h"
#include "values.h"
#include "workload.h"

namespace ringside {

struct GovernorOptions {
  bool enabled = false;               // agent.ebpf.auto_disable_if_slow
  double max_overhead_percent = 1.0;  // a window is over when accounted overhead % exceeds this
  uint32_t window_ms = 500;           // sampling window
  uint32_t windows_over = 3;          // consecutive over windows before each degrade step
  double max_drop_ratio = 0.1;        // ... or when drops / matched exceeds this
  DegradeLadder degrade = {{false, 2}, {false, 8}, {true, 1}};
  uint32_t recover_after_windows = 0;  // 0 = never recover
  bool operator==(const GovernorOptions&) const = default;
};

struct PipelineOptions {
  Transport transport = Transport::ringbuf;
  WakeupPolicy wakeup;  // batch:2048 (128 KiB of 64-byte records per wake-up)
  Hook hook = Hook::raw_tp;
  uint32_t workers = 0;  // 0 = inline (the consumer handles events); N = hand off to N workers
  QueuePolicy queue_policy = QueuePolicy::drop;
  uint32_t pool_size = 65536;
  uint32_t queue_size = 16384;
  uint32_t ring_bytes = 8u << 20;  // ringbuf size or total perfbuf size
  bool pin = false;
  std::string sink;                      // JSON-lines raw events, empty = off
  uint64_t inject_handler_delay_ns = 0;  // testing aid for the gate
  RingLayout rings = RingLayout::shared;  // several programs: one ring, or one each
  uint32_t max_targets = 4096;           // the BPF target set's size (testing aid: small overflows it)
  uint32_t max_latency_ms = 10;          // batch wake-ups: the reader's wait bound (poll timeout)
  uint32_t stamp_every = 16;             // timestamps (latency) on 1 of every N kept events, per CPU
  bool inline_handling = false;          // the consumer handles events itself (no worker threads)
  bool operator==(const PipelineOptions&) const = default;
};

// --bpf-object: a user's own BPF object under the harness (core/programs/bpf_object.cpp).
struct BpfObjectOptions {
  std::string file;                        // empty: the catalog programs run
  std::string ring;                        // its BPF_MAP_TYPE_RINGBUF or PERF_EVENT_ARRAY map
  std::vector<std::string> rodata;         // NAME=VALUE, VALUE an integer or {pid}
  int32_t timestamp_offset = -1;           // byte offset of a u64 bpf_ktime_get_ns() in each record
  std::vector<std::string> drop_counters;  // globals or array maps counting failed reserves/outputs
  double expect_per_op = -1;               // records per workload op (< 0: no conservation verdict)
  uint32_t ring_bytes = 0;  // not a key: --ring-bytes when given (0: the object's own ring size)
  bool operator==(const BpfObjectOptions&) const = default;
};

struct BpfObjectProgram {
  std::string name, section;
};

// What opening the object (without loading it) found (programs/bpf_object.h inspects it); the
// results describe the object with it.
struct BpfObjectInfo {
  std::string file;
  std::string ring;
  Transport transport = Transport::ringbuf;  // from the ring map's type
  uint32_t ring_bytes = 0;                   // ring buffer: its size (after --ring-bytes); perf: 0
  std::vector<BpfObjectProgram> programs;     // those that load (SEC("?…") ones do not)
  std::vector<std::string> rodata;            // as given
  std::vector<std::string> drop_counters;     // each with where it lives: "reserve_failed (.bss u64)"
  int32_t timestamp_offset = -1;
  double expect_per_op = -1;
};

struct RunOptions {
  WorkloadKind workload = WorkloadKind::write;
  Rate rate;  // max
  uint32_t threads = 1;
  double duration_s = 3;
  uint32_t repeat = 5;
  double budget_pct = 1.0;
  std::string out = "ringside-out";
  bool ebpf_enabled = true;
  std::vector<ProgramId> programs = {ProgramId::syscall_tap};
  std::string function;        // function_timing: PATH:SYMBOL ("" = the calls workload's function)
  uint32_t payload_bytes = 0;  // syscall_tap: bytes of each write's buffer a record carries; files: name length
  std::map<std::string, int> mix;  // mixed workload weights (set from the programs when empty)
  BpfObjectOptions bpf_object;
  PipelineOptions pipeline;
  GovernorOptions governor;
  bool operator==(const RunOptions&) const = default;
};

}  // namespace ringside
