// syscall_tap: one 64-byte record per syscall entry of a traced process (bpf/syscall_tap.bpf.c),
// on raw_tracepoint/sys_enter (one program for every syscall) or per-syscall tracepoints; a write
// may carry the first bytes of its buffer (--payload-bytes).
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
  explicit SyscallTap(const LoadOptions& o) : CatalogProgram("syscall_tap", RS_MAX_SYSCALLS, o) { open_and_load(); }

 private:
  void configure(syscall_tap* skel) override {
    for (int nr : options_.syscalls)
      if (nr >= 0 && nr < RS_MAX_SYSCALLS) skel->rodata->want_nr[nr] = 1;
    skel->rodata->payload_bytes = std::min<uint32_t>(options_.payload_bytes, RS_SYSCALL_PAYLOAD_MAX);
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
  fmt::format_to(std::back_inserter(out), "\"nr\":{},\"args\":[{},{},{}],\"t_user\":{},\"payload_bytes\":{}", e.h.kind,
                 e.args[0], e.args[1], e.args[2], e.t_user, size - sizeof(e));
}

ProgramFormat format(const LoadOptions& o) {
  ProgramFormat f;
  f.name = "syscall_tap";
  f.prog_id = RS_PROG_SYSCALL_TAP;
  f.min_bytes = sizeof(rs_syscall_event);
  f.max_bytes = sizeof(rs_syscall_event) + RS_RECORD_SIZE(std::min<uint32_t>(o.payload_bytes, RS_SYSCALL_PAYLOAD_MAX));
  f.kinds = RS_MAX_SYSCALLS;
  f.user_ts_offset = offsetof(rs_syscall_event, t_user);
  f.to_json = to_json;
  return f;
}

std::unique_ptr<LoadedProgram> load(const LoadOptions& o) { return std::make_unique<SyscallTap>(o); }

std::string kind_name(uint16_t kind) { return syscall_name(kind); }

bool records_kind(uint16_t kind, const LoadOptions& o) {
  return std::find(o.syscalls.begin(), o.syscalls.end(), int{kind}) != o.syscalls.end();
}

}  // namespace

const ProgramSpec kSyscallTapSpec = {
    .id = ProgramId::syscall_tap,
    .summary = "one 64-byte record per syscall entry (raw_tp sys_enter or per-syscall tracepoints)",
    .default_workload = WorkloadKind::write,
    .kinds = RS_MAX_SYSCALLS,
    .takes_payload = true,
    .aggregates = true,
    .kinds_key = "by_syscall",
    .format = format,
    .load = load,
    .kind_name = kind_name,
    .records_kind = records_kind,
};

}  // namespace ringside
