// A user's object on the perf buffer: one record per write(2) of one process through
// bpf_perf_event_output, its timestamp at byte 8, failed outputs counted in a per-CPU array.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

struct write_rec {
  __u32 tgid, tid;
  __u64 ts;  // --timestamp-offset 8
  __u64 fd;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(int));
  __uint(value_size, sizeof(int));
} pb SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} output_failed SEC(".maps");

SEC("raw_tracepoint/sys_enter")
int on_enter(struct bpf_raw_tracepoint_args* ctx) {
  if (ctx->args[1] != 1) return 0;  // __NR_write
  const __u64 id = bpf_get_current_pid_tgid();
  if ((__u32)(id >> 32) != target_tgid) return 0;
  struct pt_regs* regs = (struct pt_regs*)ctx->args[0];
  struct write_rec r = {.tgid = id >> 32, .tid = (__u32)id};
  bpf_probe_read_kernel(&r.fd, sizeof(r.fd), &regs->di);
  r.ts = bpf_ktime_get_ns();
  if (bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, &r, sizeof(r))) {
    __u32 zero = 0;
    __u64* n = bpf_map_lookup_elem(&output_failed, &zero);
    if (n) *n += 1;
  }
  return 0;
}
