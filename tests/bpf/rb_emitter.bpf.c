// A user's object as ringside meets it: one record per write(2) of one process into a BPF ring
// buffer, the process chosen by a const volatile global, failed reserves counted in a .bss u64.
// Used by the --bpf-object tests and the README's worked example.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;

struct write_rec {
  __u64 ts;     // bpf_ktime_get_ns() at submit: --timestamp-offset 0
  __u32 tgid, tid;
  __u64 fd, count;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 22);
} rb SEC(".maps");

// not a ring: for the wrong-map-type test
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} seen SEC(".maps");

__u64 reserve_failed = 0;

SEC("tracepoint/syscalls/sys_enter_write")
int on_write(struct trace_event_raw_sys_enter* ctx) {
  const __u64 id = bpf_get_current_pid_tgid();
  if ((__u32)(id >> 32) != target_tgid) return 0;
  struct write_rec* r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
  if (!r) {
    __sync_fetch_and_add(&reserve_failed, 1);
    return 0;
  }
  r->tgid = id >> 32;
  r->tid = (__u32)id;
  r->fd = ctx->args[0];
  r->count = ctx->args[2];
  r->ts = bpf_ktime_get_ns();
  bpf_ringbuf_submit(r, 0);
  return 0;
}
