// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memory_alloc: uprobes on malloc, calloc, realloc and free of the libc the traced process maps
 * (userspace finds it in /proc/PID/maps), uretprobes on the three allocators for the pointer they
 * return. One record per call: allocations at return, with size and pointer; free at entry. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rs_common.bpf.h"
#include "memory_alloc.h"

/* An allocation in flight on a thread, from its entry to its return. */
struct pending_alloc {
	__u64 size;
	__u64 old_ptr;
	__u64 t_hook;
	__u32 kind;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct pending_alloc);
} pending SEC(".maps");

static __always_inline int on_entry(__u32 kind, __u64 size, __u64 old_ptr)
{
	if (rs_floor)
		return 0;
	__u64 t_hook = bpf_ktime_get_ns();
	__u64 id = bpf_get_current_pid_tgid();
	if (!rs_is_target(id >> 32))
		return 0;
	__u32 tid = (__u32)id;
	struct pending_alloc p = {.size = size, .old_ptr = old_ptr, .t_hook = t_hook, .kind = kind};
	bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
	return 0;
}

static __always_inline void emit(void *ctx, __u64 id, __u32 kind, __u64 t_hook, __u64 size, __u64 ptr, __u64 old_ptr)
{
	struct rs_counters *cnt = rs_counters_get();
	if (!cnt || !rs_keep(cnt))
		return;
	if (rs_aggregate) {
		rs_aggregate_one(kind, size);
		return;
	}
	struct rs_alloc_event local;
	struct rs_alloc_event *e = rs_reserve(&local, sizeof(local), cnt);
	if (!e)
		return;
	barrier_var(e);
	rs_fill_hdr(&e->h, sizeof(*e), RS_PROG_MEMORY_ALLOC, (__u16)kind, id, rs_stamp(cnt) ? t_hook : 0);
	e->size = size;
	e->ptr = ptr;
	e->old_ptr = old_ptr;
	rs_submit(ctx, e, sizeof(*e), cnt);
}

static __always_inline int on_return(void *ctx, __u64 ptr)
{
	if (rs_floor)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct pending_alloc *p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return 0; /* its entry came before we attached (or it is not a target) */
	struct pending_alloc a = *p;
	bpf_map_delete_elem(&pending, &tid);
	emit(ctx, id, a.kind, a.t_hook, a.size, ptr, a.old_ptr);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(malloc_enter, __u64 size) { return on_entry(RS_ALLOC_MALLOC, size, 0); }

SEC("uprobe")
int BPF_KPROBE(calloc_enter, __u64 n, __u64 size) { return on_entry(RS_ALLOC_CALLOC, n * size, 0); }

SEC("uprobe")
int BPF_KPROBE(realloc_enter, __u64 ptr, __u64 size) { return on_entry(RS_ALLOC_REALLOC, size, ptr); }

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, __u64 ret) { return on_return(ctx, ret); }

SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 ptr)
{
	if (rs_floor)
		return 0;
	__u64 t_hook = bpf_ktime_get_ns();
	__u64 id = bpf_get_current_pid_tgid();
	if (!rs_is_target(id >> 32))
		return 0;
	emit(ctx, id, RS_ALLOC_FREE, t_hook, 0, ptr, 0);
	return 0;
}
