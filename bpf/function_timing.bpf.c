// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* function_timing: a uprobe and a uretprobe on one function of the traced process; the entry
 * time is kept per thread, and each return emits one record with the call's duration. Userspace
 * attaches both to PATH:SYMBOL of each traced pid (the symbol resolved from the ELF). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rs_common.bpf.h"
#include "function_timing.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);   /* tid */
	__type(value, __u64); /* entry time */
} starts SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(call_enter)
{
	if (rs_floor)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	if (!rs_is_target(id >> 32))
		return 0;
	__u32 tid = (__u32)id;
	__u64 now = bpf_ktime_get_ns();
	bpf_map_update_elem(&starts, &tid, &now, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(call_return, long ret)
{
	if (rs_floor)
		return 0;
	__u64 t_hook = bpf_ktime_get_ns();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 *start = bpf_map_lookup_elem(&starts, &tid);
	if (!start)
		return 0; /* its entry came before we attached: not a whole call */
	const __u64 duration = t_hook - *start;
	bpf_map_delete_elem(&starts, &tid);
	struct rs_counters *cnt = rs_counters_get();
	if (!cnt || !rs_keep(cnt))
		return 0;
	if (rs_aggregate) {
		rs_aggregate_one(0, duration);
		return 0;
	}
	struct rs_call_event local;
	struct rs_call_event *e = rs_reserve(&local, sizeof(local), cnt);
	if (!e)
		return 0;
	barrier_var(e);
	rs_fill_hdr(&e->h, sizeof(*e), RS_PROG_FUNCTION_TIMING, 0, id, rs_stamp(cnt) ? t_hook : 0);
	e->duration_ns = duration;
	e->ret = (__u64)ret;
	rs_submit(ctx, e, sizeof(*e), cnt);
	return 0;
}
