// memory_alloc: uprobes on malloc/calloc/realloc/free of the libc each traced process maps (from
// /proc/PID/maps), uretprobes for the pointers the allocators return; one 56-byte record per call
// (bpf/memory_alloc.bpf.c).
#include <fmt/format.h>

#include <cstring>

#include "catalog_program.h"
#include "elf_symbols.h"
#include "registry.h"
#include "usage_error.h"

extern "C" {
#include <linux/types.h>

#include "memory_alloc.h"
}
#include "memory_alloc.skel.h"

namespace ringside {
namespace {

static_assert(sizeof(rs_alloc_event) == 56, "memory_alloc records stay 56 bytes (shared with BPF)");

constexpr const char* kNames[RS_ALLOC_KINDS] = {"malloc", "calloc", "realloc", "free"};

class MemoryAlloc final : public CatalogProgram<memory_alloc> {
 public:
  explicit MemoryAlloc(const LoadOptions& o) : CatalogProgram("memory_alloc", RS_ALLOC_KINDS, o) { open_and_load(); }

 private:
  void configure(memory_alloc* skel) override {
    for (bpf_program* p : {skel->progs.malloc_enter, skel->progs.calloc_enter, skel->progs.realloc_enter,
                           skel->progs.alloc_return, skel->progs.free_enter})
      activate(p);
  }

  void attach_all(const AttachContext& ctx) override {
    if (ctx.pids.empty()) throw UsageError("memory_alloc attaches to the libc of traced processes: give it a --pid");
    auto* s = skel_.get();
    for (pid_t pid : ctx.pids) {
      const auto libc = mapped_library(pid, "libc.so");
      if (!libc) throw UsageError(fmt::format("memory_alloc: pid {} maps no libc.so (statically linked?)", pid));
      const auto attach = [&](bpf_program* p, const char* fn, bool ret) {
        links_.add(attach_uprobe(p, pid, *libc, fn, ret),
                   fmt::format("{}probe {}:{} in pid {}", ret ? "uret" : "u", *libc, fn, pid));
      };
      attach(s->progs.malloc_enter, "malloc", false);
      attach(s->progs.calloc_enter, "calloc", false);
      attach(s->progs.realloc_enter, "realloc", false);
      attach(s->progs.free_enter, "free", false);
      for (const char* fn : {"malloc", "calloc", "realloc"}) attach(s->progs.alloc_return, fn, true);
    }
  }
};

void to_json(const uint8_t* record, uint32_t size, std::string& out) {
  if (size < sizeof(rs_alloc_event)) return;
  rs_alloc_event e;
  std::memcpy(&e, record, sizeof(e));
  fmt::format_to(std::back_inserter(out), "\"function\":\"{}\",\"alloc_size\":{},\"ptr\":{},\"old_ptr\":{}",
                 e.h.kind < RS_ALLOC_KINDS ? kNames[e.h.kind] : "?", e.size, e.ptr, e.old_ptr);
}

ProgramFormat format(const LoadOptions&) {
  ProgramFormat f;
  f.name = "memory_alloc";
  f.prog_id = RS_PROG_MEMORY_ALLOC;
  f.min_bytes = f.max_bytes = sizeof(rs_alloc_event);
  f.kinds = RS_ALLOC_KINDS;
  f.stages = kAllStages & ~stage_bit(Stage::syscall_to_hook);
  f.to_json = to_json;
  return f;
}

std::unique_ptr<LoadedProgram> load(const LoadOptions& o) { return std::make_unique<MemoryAlloc>(o); }

std::string kind_name(uint16_t kind) { return kind < RS_ALLOC_KINDS ? kNames[kind] : "?"; }

}  // namespace

const ProgramSpec kMemoryAllocSpec = {
    .id = ProgramId::memory_alloc,
    .summary = "uprobes on malloc/calloc/realloc/free of the target's libc: one record per call",
    .default_workload = WorkloadKind::alloc,
    .kinds = RS_ALLOC_KINDS,
    .aggregates = true,
    .kinds_key = "by_function",
    .format = format,
    .load = load,
    .kind_name = kind_name,
};

}  // namespace ringside
