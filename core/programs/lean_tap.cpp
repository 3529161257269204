// lean_tap: the bare phase's minimal syscall tap (bpf/lean_tap.bpf.c). Not in the catalog: it is
// what `run --phases bare` compares the full pipeline against — on the same hook (raw_tp or a
// tracepoint per traced syscall),
// a tgid constant, one 64-byte record with one timestamp, 128 KiB wake-ups, a counting reader.
#include <fmt/format.h>

#include <stdexcept>

#include "catalog_program.h"
#include "registry.h"
#include "syscall_names.h"

extern "C" {
#include <linux/types.h>

#include "lean_tap.h"
#include "syscall_tap.h"
}
#include "lean_tap.skel.h"

namespace ringside {
namespace {

class LeanTap final : public CatalogProgram<lean_tap> {
 public:
  explicit LeanTap(const LoadOptions& o) : CatalogProgram("lean_tap", 1, o) {
    if (!o.single_target || o.follow_children)
      throw std::invalid_argument("lean_tap traces one fixed process (no followed children)");
    if (o.transport != Transport::ringbuf) throw std::invalid_argument("lean_tap writes a ring buffer");
    open_and_load();
  }

 private:
  void configure(lean_tap* skel) override {
    for (int nr : options_.syscalls)
      if (nr >= 0 && nr < RS_MAX_SYSCALLS) skel->rodata->lean_nr[nr] = 1;
    activate(options_.hook == Hook::tracepoint ? skel->progs.lean_tp : skel->progs.lean_raw);
  }

  // the traced phase's hook, so bare and traced differ only in what the program and reader do
  void attach_all(const AttachContext&) override {
    if (options_.hook == Hook::raw_tp) {
      links_.add(bpf_program__attach(skel_->progs.lean_raw), "raw_tracepoint/sys_enter");
      return;
    }
    for (int nr : options_.syscalls) {
      const std::string tp = "sys_enter_" + syscall_name(nr);
      links_.add(bpf_program__attach_tracepoint(skel_->progs.lean_tp, "syscalls", tp.c_str()), "syscalls:" + tp);
    }
  }
};

ProgramFormat format(const LoadOptions&) {
  ProgramFormat f;
  f.name = "lean_tap";
  f.prog_id = RS_PROG_LEAN_TAP;
  f.min_bytes = sizeof(rs_lean_event);
  f.max_bytes = sizeof(rs_lean_event);
  f.kinds = 1;
  return f;
}

std::unique_ptr<LoadedProgram> load(const LoadOptions& o) { return std::make_unique<LeanTap>(o); }

std::string kind_name(uint16_t) { return "event"; }

// every traced syscall's calls, as the workload counted them
std::optional<uint64_t> expected(const WorkloadResult& truth, const LoadOptions& o) {
  uint64_t n = 0;
  for (int nr : o.syscalls) {
    const auto it = truth.by_syscall.find(syscall_name(nr));
    if (it != truth.by_syscall.end()) n += it->second;
  }
  return n;
}

}  // namespace

const ProgramSpec kLeanTapSpec = {
    .id = ProgramId::lean_tap,
    .summary = "the bare phase's minimal syscall tap (a tgid constant, one 64-byte record, 128 KiB wake-ups)",
    .default_workload = WorkloadKind::write,
    .kinds = 1,
    .format = format,
    .load = load,
    .kind_name = kind_name,
    .expected = expected,
};

}  // namespace ringside
