// The option table: one row per option, each with the parser both the flag and the config key
// use. Adding an option is one row here (and, for a new type, one parser in types.cpp).
#include "option_table.h"

#include <fmt/format.h>

#include <cctype>
#include <limits>

#include "usage_error.h"

namespace ringside {
namespace {

using Error = std::optional<std::string>;

// Stores a parsed value into `field` (narrowing counts to the field's width), or the reason.
template <class Field, class T>
Error set(Field& field, const Parsed<T>& parsed) {
  if (!parsed) return parsed.error();
  field = static_cast<Field>(*parsed);
  return std::nullopt;
}

std::string num(double v) { return fmt::format("{}", v); }
std::string num(uint64_t v) { return fmt::format("{}", v); }
std::string boolean(bool v) { return v ? "true" : "false"; }

constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();

// A power of two in 4096..1 GiB: ring buffers must be page-sized powers of two.
Parsed<uint64_t> ring_size(std::string_view t) {
  auto n = parse_count(t, 4096, 1u << 30);
  if (!n || (*n & (*n - 1)) != 0)
    return Parsed<uint64_t>::fail(fmt::format("expected a power of two in 4096..1073741824, got '{}'", t));
  return n;
}

// A catalog program's name: bpf_object is what --bpf-object loads and lean_tap the bare phase's
// floor, not names to ask for.
Parsed<ProgramId> catalog_program(std::string_view t) {
  auto id = parse_enum<ProgramId>(t);
  if (!id || *id == ProgramId::bpf_object || *id == ProgramId::lean_tap)
    return Parsed<ProgramId>::fail(fmt::format(
        "expected syscall_tap, file_ops, exec, tcp_connect, function_timing or memory_alloc, got '{}'{}", t,
        id && *id == ProgramId::bpf_object ? " (your own object: --bpf-object FILE)" : ""));
  return id;
}

// Items of a list that may be empty ("" = none), each checked by `ok`.
Error set_items(std::vector<std::string>& field, std::string_view t, Error (*ok)(std::string_view)) {
  std::vector<std::string> items;
  while (!t.empty()) {
    const auto comma = t.find(',');
    const std::string_view item = t.substr(0, comma);
    if (auto e = ok(item)) return e;
    items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    t.remove_prefix(comma + 1);
  }
  field = std::move(items);
  return std::nullopt;
}

bool c_identifier(std::string_view t) {
  if (t.empty() || std::isdigit(static_cast<unsigned char>(t.front()))) return false;
  for (char c : t)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  return true;
}

Error rodata_item(std::string_view t) {
  const auto eq = t.find('=');
  if (eq == std::string_view::npos || !c_identifier(t.substr(0, eq)) || eq + 1 == t.size())
    return fmt::format("expected NAME=VALUE (VALUE an integer or {{pid}}), got '{}'", t);
  return std::nullopt;
}

Error identifier_item(std::string_view t) {
  if (!c_identifier(t)) return fmt::format("expected a global or map name, got '{}'", t);
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

using G = OptionGroup;

const std::vector<OptionSpec> kSpecs = {
    {"agent.ebpf.enabled", "", G::ebpf, "", "true or false", true, false,
     [](RunOptions& o, std::string_view t) { return set(o.ebpf_enabled, parse_bool(t)); },
     [](const RunOptions& o) { return boolean(o.ebpf_enabled); }},
    {"agent.ebpf.programs", "--program", G::programs,
     "program(s) to run: syscall_tap, file_ops, exec, tcp_connect, function_timing, memory_alloc (default syscall_tap)",
     "a list of program names", false, true,
     [](RunOptions& o, std::string_view t) { return set(o.programs, parse_list(t, catalog_program)); },
     [](const RunOptions& o) { return join_names(o.programs); }},
    {"agent.ebpf.function", "--function", G::programs,
     "function_timing: PATH:SYMBOL to time (default: the calls workload's ringside_workload_call)",
     "PATH:SYMBOL, or empty", false, false,
     [](RunOptions& o, std::string_view t) -> Error {
       if (!t.empty() && (t.find(':') == std::string_view::npos || t.front() == ':' || t.back() == ':'))
         return fmt::format("expected PATH:SYMBOL, got '{}'", t);
       o.function = std::string(t);
       return std::nullopt;
     },
     [](const RunOptions& o) { return o.function; }},
    {"agent.ebpf.payload_bytes", "--payload-bytes", G::programs,
     "syscall_tap: bytes of each write's buffer a record carries (0..256); file_ops: the files workload's name length",
     "an integer in 0..4096", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.payload_bytes, parse_count(t, 0, 4096)); },
     [](const RunOptions& o) { return num(uint64_t{o.payload_bytes}); }},
    {"agent.ebpf.bpf_object", "--bpf-object", G::programs,
     "your own BPF object (FILE.bpf.o) instead of the catalog: loaded, attached by its SEC()s, its --ring read",
     "a file path, or empty", false, false,
     [](RunOptions& o, std::string_view t) -> Error {
       o.bpf_object.file = std::string(t);
       return std::nullopt;
     },
     [](const RunOptions& o) { return o.bpf_object.file; }},
    {"agent.ebpf.ring", "--ring", G::programs, "--bpf-object: the ring buffer or perf event array map to consume",
     "a map name, or empty", false, false,
     [](RunOptions& o, std::string_view t) -> Error {
       if (!t.empty() && !c_identifier(t)) return fmt::format("expected a map name, got '{}'", t);
       o.bpf_object.ring = std::string(t);
       return std::nullopt;
     },
     [](const RunOptions& o) { return o.bpf_object.ring; }},
    {"agent.ebpf.rodata", "--rodata", G::programs,
     "--bpf-object: set a const volatile global before load, NAME=VALUE ({pid} = the traced/workload pid); repeatable",
     "a list of NAME=VALUE", false, true,
     [](RunOptions& o, std::string_view t) { return set_items(o.bpf_object.rodata, t, rodata_item); },
     [](const RunOptions& o) { return joined(o.bpf_object.rodata); }},
    {"agent.ebpf.timestamp_offset", "--timestamp-offset", G::programs,
     "--bpf-object: byte offset of a u64 bpf_ktime_get_ns() in each record (gives submit→read and end-to-end)",
     "an integer in 0..65528, or -1 for none", false, false,
     [](RunOptions& o, std::string_view t) -> Error {
       if (t == "-1") {
         o.bpf_object.timestamp_offset = -1;
         return std::nullopt;
       }
       return set(o.bpf_object.timestamp_offset, parse_count(t, 0, 65528));
     },
     [](const RunOptions& o) { return fmt::format("{}", o.bpf_object.timestamp_offset); }},
    {"agent.ebpf.drop_counters", "--drop-counter", G::programs,
     "--bpf-object: a u64 global or array map counting the object's failed reserves/outputs; repeatable",
     "a list of names", false, true,
     [](RunOptions& o, std::string_view t) { return set_items(o.bpf_object.drop_counters, t, identifier_item); },
     [](const RunOptions& o) { return joined(o.bpf_object.drop_counters); }},
    {"agent.ebpf.expect_per_op", "--expect-per-op", G::programs,
     "--bpf-object: records the object emits per workload op (conservation verdict; default: none)",
     "a number in [0, 1000000], or -1 for none", false, false,
     [](RunOptions& o, std::string_view t) -> Error {
       if (t == "-1") {
         o.bpf_object.expect_per_op = -1;
         return std::nullopt;
       }
       return set(o.bpf_object.expect_per_op, parse_number(t, 0, 1e6));
     },
     [](const RunOptions& o) { return num(o.bpf_object.expect_per_op); }},
    {"agent.ebpf.rings", "--rings", G::pipeline,
     "shared (one ring for every program), per-program (one each) or per-cpu (one per CPU, shared by every program); "
     "default shared",
     "shared, per-program or per-cpu", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.pipeline.rings, parse_enum<RingLayout>(t)); },
     [](const RunOptions& o) { return std::string(to_string(o.pipeline.rings)); }},
    {"agent.ebpf.transport", "--transport", G::pipeline, "ringbuf|perfbuf (default ringbuf)", "ringbuf or perfbuf",
     false, false, [](RunOptions& o, std::string_view t) { return set(o.pipeline.transport, parse_enum<Transport>(t)); },
     [](const RunOptions& o) { return std::string(to_string(o.pipeline.transport)); }},
    {"agent.ebpf.wakeup", "--wakeup", G::pipeline, "every|adaptive|batch:N (default batch:2048)",
     "every, adaptive or batch:N", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.pipeline.wakeup, parse_wakeup(t)); },
     [](const RunOptions& o) { return to_string(o.pipeline.wakeup); }},
    {"agent.ebpf.hook", "--hook", G::pipeline, "raw_tp|tracepoint (default raw_tp)", "raw_tp or tracepoint", false,
     false, [](RunOptions& o, std::string_view t) { return set(o.pipeline.hook, parse_enum<Hook>(t)); },
     [](const RunOptions& o) { return std::string(to_string(o.pipeline.hook)); }},
    {"agent.ebpf.ring_bytes", "--ring-bytes", G::pipeline, "ring buffer bytes / perf buffer bytes over all CPUs",
     "a power of two in 4096..1073741824", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.pipeline.ring_bytes, ring_size(t)); },
     [](const RunOptions& o) { return num(uint64_t{o.pipeline.ring_bytes}); }},
    {"agent.ebpf.max_targets", "--max-targets", G::pipeline,
     "processes the BPF target set holds (default 4096; testing aid: a small set shows untraced children)",
     "an integer in 1..4096", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.pipeline.max_targets, parse_count(t, 1, 4096)); },
     [](const RunOptions& o) { return num(uint64_t{o.pipeline.max_targets}); }},
    {"agent.ebpf.max_overhead_percent", "--max-overhead", G::governor, "governor budget, % of the machine (default 1.0)",
     "a number in (0, 100]", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.governor.max_overhead_percent, parse_number(t, 0, 100, true)); },
     [](const RunOptions& o) { return num(o.governor.max_overhead_percent); }},
    {"agent.ebpf.auto_disable_if_slow", "--governor", G::governor, "enable the auto-disable governor", "true or false",
     true, false, [](RunOptions& o, std::string_view t) { return set(o.governor.enabled, parse_bool(t)); },
     [](const RunOptions& o) { return boolean(o.governor.enabled); }},
    {"agent.ebpf.governor.window_ms", "--governor-window-ms", G::governor, "governor window (default 500)",
     "an integer ≥ 50", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.governor.window_ms, parse_count(t, 50, kU32)); },
     [](const RunOptions& o) { return num(uint64_t{o.governor.window_ms}); }},
    {"agent.ebpf.governor.windows_over", "--governor-windows-over", G::governor,
     "over-budget windows before a step (default 3)", "an integer in 1..1000", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.governor.windows_over, parse_count(t, 1, 1000)); },
     [](const RunOptions& o) { return num(uint64_t{o.governor.windows_over}); }},
    {"agent.ebpf.governor.max_drop_ratio", "--governor-max-drop-ratio", G::governor,
     "drop ratio that counts as over (default 0.1)", "a number in [0, 1]", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.governor.max_drop_ratio, parse_number(t, 0, 1)); },
     [](const RunOptions& o) { return num(o.governor.max_drop_ratio); }},
    {"agent.ebpf.governor.degrade", "--governor-degrade", G::governor, "degrade ladder, e.g. sample:2,sample:8,detach",
     "a list of sample:N (N in 2..1000000, increasing), optionally ending in detach", false, true,
     [](RunOptions& o, std::string_view t) { return set(o.governor.degrade, parse_degrade_ladder(t)); },
     [](const RunOptions& o) { return to_string(o.governor.degrade); }},
    {"agent.ebpf.governor.recover_after_windows", "--governor-recover-after", G::governor,
     "calm windows before stepping back (0 = never, default)", "an integer ≥ 0 (0 = never)", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.governor.recover_after_windows, parse_count(t, 0, kU32)); },
     [](const RunOptions& o) { return num(uint64_t{o.governor.recover_after_windows}); }},
    {"agent.pipeline.workers", "--workers", G::pipeline,
     "hand events to N worker threads over SPSC queues (default 0: the consumer handles them inline, measured cheaper here)",
     "an integer in 0..256 (0 = inline)", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.pipeline.workers, parse_count(t, 0, 256)); },
     [](const RunOptions& o) { return num(uint64_t{o.pipeline.workers}); }},
    {"agent.pipeline.inline", "--inline", G::pipeline,
     "the consumer handles each event itself, even when --workers (or the config) asks for workers", "true or false",
     true, false, [](RunOptions& o, std::string_view t) { return set(o.pipeline.inline_handling, parse_bool(t)); },
     [](const RunOptions& o) { return boolean(o.pipeline.inline_handling); }},
    {"agent.pipeline.max_latency_ms", "--max-latency-ms", G::pipeline,
     "batched wake-ups: longest a record waits for the reader, ms (default 10; larger = fewer wake-ups)",
     "an integer in 1..10000", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.pipeline.max_latency_ms, parse_count(t, 1, 10000)); },
     [](const RunOptions& o) { return num(uint64_t{o.pipeline.max_latency_ms}); }},
    {"agent.pipeline.stamp_every", "--stamp-every", G::pipeline,
     "latency on 1 of every N events (hook/submit clock reads and the tag read on those only; 1 = all; default 16)",
     "an integer in 1..65536", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.pipeline.stamp_every, parse_count(t, 1, 65536)); },
     [](const RunOptions& o) { return num(uint64_t{o.pipeline.stamp_every}); }},
    {"agent.pipeline.queue_policy", "--queue-policy", G::pipeline, "drop|block when a worker queue is full",
     "drop or block", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.pipeline.queue_policy, parse_enum<QueuePolicy>(t)); },
     [](const RunOptions& o) { return std::string(to_string(o.pipeline.queue_policy)); }},
    {"agent.pipeline.pool_size", "--pool-size", G::pipeline, "pooled events (default 65536)",
     "an integer in 1..16777216", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.pipeline.pool_size, parse_count(t, 1, 1u << 24)); },
     [](const RunOptions& o) { return num(uint64_t{o.pipeline.pool_size}); }},
    {"agent.pipeline.queue_size", "--queue-size", G::pipeline, "per-worker queue slots (default 16384)",
     "an integer in 2..16777216", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.pipeline.queue_size, parse_count(t, 2, 1u << 24)); },
     [](const RunOptions& o) { return num(uint64_t{o.pipeline.queue_size}); }},
    {"agent.pipeline.pin", "--pin", G::pipeline, "pin consumer to CPU 0 and workers to the next CPUs",
     "true or false", true, false, [](RunOptions& o, std::string_view t) { return set(o.pipeline.pin, parse_bool(t)); },
     [](const RunOptions& o) { return boolean(o.pipeline.pin); }},
    {"agent.pipeline.sink", "--sink", G::pipeline, "write every event as a JSON line to this file",
     "a file path, or empty for none", false, false,
     [](RunOptions& o, std::string_view t) -> Error {
       o.pipeline.sink = std::string(t);
       return std::nullopt;
     },
     [](const RunOptions& o) { return o.pipeline.sink; }},
    {"agent.pipeline.inject_handler_delay_ns", "--inject-handler-delay-ns", G::pipeline,
     "testing aid: busy-wait this long in the handler (for gate power tests)", "an integer in 0..1000000000", false,
     false,
     [](RunOptions& o, std::string_view t) {
       return set(o.pipeline.inject_handler_delay_ns, parse_count(t, 0, 1'000'000'000));
     },
     [](const RunOptions& o) { return num(o.pipeline.inject_handler_delay_ns); }},
    {"run.workload", "--workload", G::workload,
     "write|openat|getppid|exec|connect|files|calls|alloc|mixed (default: the programs' own workload)",
     "a workload name", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.workload, parse_enum<WorkloadKind>(t)); },
     [](const RunOptions& o) { return std::string(to_string(o.workload)); }},
    {"run.rate", "--rate", G::workload, "ops/s (10k, 1M) or max (default max)",
     "max or a positive number (k or M suffix allowed)", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.rate, parse_rate(t)); },
     [](const RunOptions& o) { return to_string(o.rate); }},
    {"run.threads", "--threads", G::workload, "workload threads (default 1)", "an integer in 1..256", false, false,
     [](RunOptions& o, std::string_view t) { return set(o.threads, parse_count(t, 1, 256)); },
     [](const RunOptions& o) { return num(uint64_t{o.threads}); }},
    {"run.duration_s", "--duration", G::workload, "seconds per phase (default 3)", "a number in (0, 86400]", false,
     false, [](RunOptions& o, std::string_view t) { return set(o.duration_s, parse_number(t, 0, 86400, true)); },
     [](const RunOptions& o) { return num(o.duration_s); }},
    {"run.repeat", "--repeat", G::workload, "interleaved repetitions (default 5)", "an integer in 1..1000", false,
     false, [](RunOptions& o, std::string_view t) { return set(o.repeat, parse_count(t, 1, 1000)); },
     [](const RunOptions& o) { return num(uint64_t{o.repeat}); }},
    {"run.budget_pct", "--budget", G::workload, "CPU budget, % of the machine (default 1.0)", "a number in (0, 100]",
     false, false, [](RunOptions& o, std::string_view t) { return set(o.budget_pct, parse_number(t, 0, 100, true)); },
     [](const RunOptions& o) { return num(o.budget_pct); }},
    {"run.out", "--out", G::out, "results directory", "a non-empty path", false, false,
     [](RunOptions& o, std::string_view t) -> Error {
       if (t.empty()) return std::string("expected a non-empty path, got ''");
       o.out = std::string(t);
       return std::nullopt;
     },
     [](const RunOptions& o) { return o.out; }},
};

}  // namespace

const std::vector<OptionSpec>& option_specs() { return kSpecs; }

const OptionSpec* find_option(std::string_view key) {
  for (const OptionSpec& s : kSpecs)
    if (s.key == key) return &s;
  return nullptr;
}

void assign_option(const OptionSpec& spec, RunOptions& into, std::string_view text, std::string_view context) {
  if (auto error = spec.assign(into, text)) throw_usage(context, *error);
}

void validate(const RunOptions& options) {
  RunOptions scratch = options;
  for (const OptionSpec& s : kSpecs) assign_option(s, scratch, s.show(options), s.key);
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  for (const OptionSpec& s : kSpecs) keys.emplace_back(s.key);
  return keys;
}

}  // namespace ringside
