// The options shared by `ringside run` and `ringside trace`, and the syntax of their text values.
// Defaults here are the documented defaults; ci/configs/default.yaml spells every one of them out.
// Each field's config key (agent.ebpf.*, agent.pipeline.*, run.*) is listed in config.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringside {

struct GovernorOptions {
  bool enabled = false;               // agent.ebpf.auto_disable_if_slow
  double max_overhead_percent = 1.0;  // a window is over when accounted overhead % exceeds this
  uint32_t window_ms = 500;           // sampling window
  uint32_t windows_over = 3;          // consecutive over windows before each degrade step
  double max_drop_ratio = 0.1;        // ... or when drops / matched exceeds this
  std::vector<std::string> degrade = {"sample:2", "sample:8", "detach"};
  uint32_t recover_after_windows = 0;  // 0 = never recover
  bool operator==(const GovernorOptions&) const = default;
};

struct PipelineOptions {
  std::string transport = "ringbuf";  // ringbuf|perfbuf
  std::string wakeup = "batch:2048";  // every|adaptive|batch:N (2048 x 64 B = 128 KiB per wake-up)
  std::string hook = "raw_tp";        // raw_tp|tracepoint
  uint32_t workers = 0;               // 0 = auto from online CPUs
  std::string queue_policy = "drop";  // drop|block
  uint32_t pool_size = 65536;
  uint32_t queue_size = 16384;
  uint32_t ring_bytes = 8u << 20;  // ringbuf size or total perfbuf size
  bool pin = false;
  std::string sink;                     // JSON-lines raw events, empty = off
  uint64_t inject_handler_delay_ns = 0;  // testing aid for the gate
  bool operator==(const PipelineOptions&) const = default;
};

struct RunOptions {
  std::string workload = "write";
  std::string rate = "max";
  uint32_t threads = 1;
  double duration_s = 3;
  uint32_t repeat = 5;
  double budget_pct = 1.0;
  std::string out = "ringside-out";
  bool ebpf_enabled = true;
  std::vector<std::string> programs = {"syscall_tap"};
  PipelineOptions pipeline;
  GovernorOptions governor;
  bool operator==(const RunOptions&) const = default;
};

// Limits shared by validation and the parsers below.
inline constexpr uint32_t kMaxWakeupBatch = 1'000'000;
inline constexpr uint32_t kMaxSampleEvery = 1'000'000;
inline constexpr uint64_t kMaxRate = 1'000'000'000;

// wakeup: "every" (wake the consumer per record), "adaptive" (kernel default heuristics),
// or "batch:N" (wake once every N records, N in 1..kMaxWakeupBatch).
struct WakeupPolicy {
  enum Kind { every, adaptive, batch } kind = batch;
  uint32_t batch_size = 64;  // meaningful for `batch` only
  bool operator==(const WakeupPolicy&) const = default;
};
[[nodiscard]] std::optional<WakeupPolicy> parse_wakeup(std::string_view text);

// One rung of the governor's degrade ladder: "sample:N" (keep 1 event in N, N in
// 2..kMaxSampleEvery) or "detach".
struct DegradeStep {
  bool detach = false;
  uint32_t sample_every = 1;  // meaningful when !detach
  bool operator==(const DegradeStep&) const = default;
};
[[nodiscard]] std::optional<DegradeStep> parse_degrade_step(std::string_view text);

// A whole ladder: non-empty; sample:N rungs with strictly increasing N; "detach" only last.
[[nodiscard]] std::optional<std::vector<DegradeStep>> parse_degrade_ladder(
    const std::vector<std::string>& steps);

// rate: "max" (returned as 0) or a positive number of operations per second, optionally with
// a k (×1000) or M (×1000000) suffix as in `sweep --rates 1k,10k`; at most kMaxRate.
[[nodiscard]] std::optional<uint64_t> parse_rate(std::string_view text);

// The workloads `--workload` accepts.
[[nodiscard]] bool is_known_workload(std::string_view name);

}  // namespace ringside
