// function_timing: a uprobe and a uretprobe on --function PATH:SYMBOL in each traced process; one
// 48-byte record per call with its duration (bpf/function_timing.bpf.c).
#include <fmt/format.h>

#include <cstring>

#include "catalog_program.h"
#include "elf_symbols.h"
#include "registry.h"

extern "C" {
#include <linux/types.h>

#include "function_timing.h"
}
#include "function_timing.skel.h"

namespace ringside {
namespace {

static_assert(sizeof(rs_call_event) == 48, "function_timing records stay 48 bytes (shared with BPF)");

class FunctionTiming final : public CatalogProgram<function_timing> {
 public:
  explicit FunctionTiming(const LoadOptions& o) : CatalogProgram("function_timing", 1, o) {
    if (o.function_path.empty() || o.function_symbol.empty())
      throw std::invalid_argument("function_timing needs --function PATH:SYMBOL");
    check_function_target({o.function_path, o.function_symbol});
    open_and_load();
  }

 private:
  void configure(function_timing* skel) override {
    activate(skel->progs.call_enter);
    activate(skel->progs.call_return);
  }
  // Per traced process: the uprobe traps only in them, not in every process running the binary.
  void attach_all(const AttachContext& ctx) override {
    const std::vector<pid_t> everyone = {-1};
    for (pid_t pid : ctx.pids.empty() ? everyone : ctx.pids) {
      const std::string what = fmt::format("uprobe {}:{} in pid {}", options_.function_path, options_.function_symbol, pid);
      links_.add(attach_uprobe(skel_->progs.call_enter, pid, options_.function_path, options_.function_symbol, false), what);
      links_.add(attach_uprobe(skel_->progs.call_return, pid, options_.function_path, options_.function_symbol, true),
                 "uret" + what.substr(1));
    }
  }
};

void to_json(const uint8_t* record, uint32_t size, std::string& out) {
  if (size < sizeof(rs_call_event)) return;
  rs_call_event e;
  std::memcpy(&e, record, sizeof(e));
  fmt::format_to(std::back_inserter(out), "\"duration_ns\":{},\"ret\":{}", e.duration_ns, e.ret);
}

ProgramFormat format(const LoadOptions&) {
  ProgramFormat f;
  f.name = "function_timing";
  f.prog_id = RS_PROG_FUNCTION_TIMING;
  f.min_bytes = f.max_bytes = sizeof(rs_call_event);
  f.kinds = 1;
  f.stages = kAllStages & ~stage_bit(Stage::syscall_to_hook);
  f.to_json = to_json;
  return f;
}

std::unique_ptr<LoadedProgram> load(const LoadOptions& o) { return std::make_unique<FunctionTiming>(o); }

std::string kind_name(uint16_t) { return "call"; }

}  // namespace

const ProgramSpec kFunctionTimingSpec = {
    .id = ProgramId::function_timing,
    .summary = "uprobe + uretprobe on --function PATH:SYMBOL: one record per call with its duration",
    .default_workload = WorkloadKind::calls,
    .kinds = 1,
    .aggregates = true,
    .needs_function = true,
    .kinds_key = "by_function",
    .format = format,
    .load = load,
    .kind_name = kind_name,
};

}  // namespace ringside
