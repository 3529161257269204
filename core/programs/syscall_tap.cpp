// syscall_tap: one 64-byte record per syscall entry of a traced process (bpf/syscall_tap.bpf.c),
// on raw_tracepoint/sys_enter (one program for every syscall) or per-syscall tracepoints.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "catalog_program.h"
#include "registry.h"
#include "syscall_names.h"

extern "C" {
#include <linux/types.h>

#include "syscall_tap.h"
}
#include "syscall_tap.skel.h"

namespace ringside {
namespace {

static_assert(sizeof(rs_syscall_event) == 64, "syscall_tap records stay 64 bytes (shared with BPF)");

class SyscallTap final : public CatalogProgram<syscall_tap> {
 public:
  explicit SyscallTap(const LoadOptions& o) : CatalogProgram("syscall_tap", o) { open_and_load(); }

 private:
  void configure(syscall_tap* skel) override {
    for (int nr : options_.syscalls)
      if (nr >= 0 && nr < RS_MAX_SYSCALLS) skel->rodata->want_nr[nr] = 1;
    activate(options_.hook == Hook::tracepoint ? skel->progs.tap_tp : skel->progs.tap_raw);
  }

  void attach_all(const AttachContext&) override {
    if (options_.hook == Hook::raw_tp) {
      links_.add(bpf_program__attach(skel_->progs.tap_raw), "raw_tracepoint/sys_enter");
      return;
    }
    // one program, attached to the syscalls:sys_enter_<name> tracepoint of each syscall
    for (int nr : options_.syscalls) {
      const std::string tp = "sys_enter_" + syscall_name(nr);
      links_.add(bpf_program__attach_tracepoint(skel_->progs.tap_tp, "syscalls", tp.c_str()), "syscalls:" + tp);
    }
  }
};

void to_json(const uint8_t* record, uint32_t size, std::string& out) {
  if (size < sizeof(rs_syscall_event)) return;
  rs_syscall_event e;
  std::memcpy(&e, record, sizeof(e));
  fmt::format_to(std::back_inserter(out), "\"nr\":{},\"args\":[{},{},{}],\"t_user\":{}", e.h.kind, e.args[0],
                 e.args[1], e.args[2], e.t_user);
}

ProgramFormat format() {
  ProgramFormat f;
  f.name = "syscall_tap";
  f.prog_id = RS_PROG_SYSCALL_TAP;
  f.min_bytes = f.max_bytes = sizeof(rs_syscall_event);
  f.kinds = RS_MAX_SYSCALLS;
  f.user_ts_offset = offsetof(rs_syscall_event, t_user);
  f.to_json = to_json;
  return f;
}

std::unique_ptr<LoadedProgram> load(const LoadOptions& o) { return std::make_unique<SyscallTap>(o); }

// The traced syscalls' calls, as the workload counted them.
uint64_t expected(const WorkloadResult& truth, const LoadOptions& o) {
  uint64_t n = 0;
  for (const auto& [name, count] : truth.by_syscall) {
    auto nr = syscall_number(name);
    if (nr && std::find(o.syscalls.begin(), o.syscalls.end(), *nr) != o.syscalls.end()) n += count;
  }
  return n;
}

std::string kind_name(uint16_t kind) { return syscall_name(kind); }

}  // namespace

const ProgramSpec kSyscallTapSpec = {ProgramId::syscall_tap,
                                     "one 64-byte record per syscall entry (raw_tp sys_enter or per-syscall tracepoints)",
                                     WorkloadKind::write,
                                     format,
                                     load,
                                     expected,
                                     kind_name};

}  // namespace ringside
