// file_ops: one variable-length record per openat/unlinkat of a traced process, with the path
// (bpf/file_ops.bpf.c), from the syscalls' tracepoints.
#include <fmt/format.h>

#include <cstring>

#include "catalog_program.h"
#include "record_json.h"
#include "registry.h"

extern "C" {
#include <linux/types.h>

#include "file_ops.h"
}
#include "file_ops.skel.h"

namespace ringside {
namespace {

class FileOps final : public CatalogProgram<file_ops> {
 public:
  explicit FileOps(const LoadOptions& o) : CatalogProgram("file_ops", RS_FILE_KINDS, o) { open_and_load(); }

 private:
  void configure(file_ops* skel) override { activate(skel->progs.file_op); }
  void attach_all(const AttachContext&) override {
    for (const char* tp : {"sys_enter_openat", "sys_enter_unlinkat"})
      links_.add(bpf_program__attach_tracepoint(skel_->progs.file_op, "syscalls", tp), std::string("syscalls:") + tp);
  }
};

void to_json(const uint8_t* record, uint32_t size, std::string& out) {
  if (size < sizeof(rs_file_event)) return;
  rs_file_event e;
  std::memcpy(&e, record, sizeof(e));
  const uint32_t n = std::min<uint32_t>(e.path_len, size - sizeof(e));
  fmt::format_to(std::back_inserter(out), "\"dfd\":{},\"path_len\":{},\"truncated\":{},\"path\":", e.dfd, e.path_len,
                 (e.h.flags & RS_F_TRUNCATED) != 0);
  append_json_string(reinterpret_cast<const char*>(record) + sizeof(e), n, out);
}

ProgramFormat format(const LoadOptions&) {
  ProgramFormat f;
  f.name = "file_ops";
  f.prog_id = RS_PROG_FILE_OPS;
  f.min_bytes = RS_RECORD_SIZE(sizeof(rs_file_event) + 1);
  f.max_bytes = RS_RECORD_SIZE(sizeof(rs_file_event) + RS_PATH_CAP + 1);
  f.kinds = RS_FILE_KINDS;
  f.stages = kAllStages & ~stage_bit(Stage::syscall_to_hook);
  f.to_json = to_json;
  return f;
}

std::unique_ptr<LoadedProgram> load(const LoadOptions& o) { return std::make_unique<FileOps>(o); }

std::string kind_name(uint16_t kind) { return kind == RS_FILE_OPENAT ? "openat" : "unlinkat"; }

}  // namespace

const ProgramSpec kFileOpsSpec = {
    .id = ProgramId::file_ops,
    .summary = "one variable-length record per openat/unlinkat with the path (up to 256 bytes)",
    .default_workload = WorkloadKind::files,
    .kinds = RS_FILE_KINDS,
    .aggregates = true,
    .kinds_key = "by_syscall",
    .format = format,
    .load = load,
    .kind_name = kind_name,
};

}  // namespace ringside
