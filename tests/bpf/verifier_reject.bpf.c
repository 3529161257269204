// An object the verifier rejects: a map value used without the null check.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 16);
} rb SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_write")
int on_write(void* ctx) {
  __u32 zero = 0;
  __u64* n = bpf_map_lookup_elem(&counts, &zero);
  *n += 1;  // no null check: R0 invalid mem access 'map_value_or_null'
  return 0;
}
