// exec: one variable-length record per execve of a traced process or its children, with the
// filename and up to five argv strings (bpf/exec.bpf.c).
#include <fmt/format.h>

#include <cstring>

#include "catalog_program.h"
#include "record_json.h"
#include "registry.h"

extern "C" {
#include <linux/types.h>

#include "exec.h"
}
#include "exec.skel.h"

namespace ringside {
namespace {

class Exec final : public CatalogProgram<exec> {
 public:
  explicit Exec(const LoadOptions& o) : CatalogProgram("exec", 1, o) { open_and_load(); }

 private:
  void configure(exec* skel) override { activate(skel->progs.exec_enter); }
  void attach_all(const AttachContext&) override {
    links_.add(bpf_program__attach_tracepoint(skel_->progs.exec_enter, "syscalls", "sys_enter_execve"),
               "syscalls:sys_enter_execve");
  }
};

void to_json(const uint8_t* record, uint32_t size, std::string& out) {
  if (size < sizeof(rs_exec_event)) return;
  rs_exec_event e;
  std::memcpy(&e, record, sizeof(e));
  const char* s = reinterpret_cast<const char*>(record) + sizeof(e);
  const uint32_t room = std::min<uint32_t>(e.strings_len, size - sizeof(e));
  uint32_t at = std::min<uint32_t>(e.filename_len, room);
  out += "\"filename\":";
  append_json_string(s, at, out);
  out += ",\"argv\":[";
  ++at;  // past the filename's NUL
  for (uint16_t i = 0; i < e.argc && at < room; ++i) {
    const uint32_t len = static_cast<uint32_t>(strnlen(s + at, room - at));
    if (i) out += ',';
    append_json_string(s + at, len, out);
    at += len + 1;
  }
  fmt::format_to(std::back_inserter(out), "],\"truncated\":{}", (e.h.flags & RS_F_TRUNCATED) != 0);
}

ProgramFormat format(const LoadOptions&) {
  ProgramFormat f;
  f.name = "exec";
  f.prog_id = RS_PROG_EXEC;
  f.min_bytes = RS_RECORD_SIZE(sizeof(rs_exec_event) + 1);
  f.max_bytes = RS_RECORD_MAX;
  f.kinds = 1;
  f.stages = kAllStages & ~stage_bit(Stage::syscall_to_hook);
  f.to_json = to_json;
  return f;
}

std::unique_ptr<LoadedProgram> load(const LoadOptions& o) { return std::make_unique<Exec>(o); }

std::string kind_name(uint16_t) { return "execve"; }

}  // namespace

const ProgramSpec kExecSpec = {
    .id = ProgramId::exec,
    .summary = "one record per execve with the filename and up to 5 argv strings; follows children",
    .default_workload = WorkloadKind::exec,
    .kinds = 1,
    .aggregates = true,
    .follows_children = true,
    .kinds_key = "by_syscall",
    .format = format,
    .load = load,
    .kind_name = kind_name,
};

}  // namespace ringside
