// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lean_tap: the bare phase's floor for a consumer — the least a syscall tap can do and still
 * deliver every event: on the traced phase's hook (raw_tp sys_enter, or a syscall tracepoint per
 * traced syscall), the tgid compared against a load
 * time constant, one 64-byte ring buffer record with one timestamp, a wake-up only when 128 KiB
 * are pending (the reader's poll timeout picks up the tail), and the per-CPU counters that keep
 * conservation checkable (matched, emitted, ring full). Read by a counting consumer
 * (ring_buffer__poll and a callback that counts). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rs_common.bpf.h"
#include "rs_syscall.bpf.h"
#include "lean_tap.h"

const volatile __u8 lean_nr[RS_MAX_SYSCALLS]; /* raw_tp: the traced syscalls */

static __always_inline int lean_emit(__u64 id)
{
	struct rs_counters *cnt = rs_counters_get();
	if (!cnt)
		return 0;
	cnt->c[RS_CNT_MATCHED]++;
	struct rs_hdr *e = bpf_ringbuf_reserve(&events, sizeof(struct rs_lean_event), 0);
	if (!e) {
		cnt->c[RS_CNT_KERNEL_RESERVE]++;
		return 0;
	}
	e->size = sizeof(struct rs_lean_event);
	e->prog = RS_PROG_LEAN_TAP;
	e->flags = 0;
	e->kind = 0;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->t_hook = 0;
	e->t_submit = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, rs_ringbuf_flags(&events, sizeof(struct rs_lean_event)));
	cnt->c[RS_CNT_EMITTED]++;
	return 0;
}

/* --hook tracepoint: attached to syscalls:sys_enter_<name> of each traced syscall. */
SEC("tracepoint/syscalls/sys_enter_write")
int lean_tp(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!rs_is_target(id >> 32)) /* the rodata tgid: lean_tap always has one fixed target */
		return 0;
	return lean_emit(id);
}

/* --hook raw_tp (the default): one program on every syscall, the number checked first. */
SEC("raw_tracepoint/sys_enter")
int lean_raw(struct bpf_raw_tracepoint_args *ctx)
{
	if (!rs_nr_in(lean_nr, (__s64)ctx->args[1]))
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	if (!rs_is_target(id >> 32))
		return 0;
	return lean_emit(id);
}
