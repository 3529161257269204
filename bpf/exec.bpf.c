// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* exec: one variable-length record per execve(2), with the filename and up to RS_EXEC_MAX_ARGS
 * argv strings (a bounded loop), from syscalls:sys_enter_execve. The processes that exec are
 * usually the traced process's children: the session follows forks (rs_follow_fork). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rs_common.bpf.h"
#include "rs_syscall.bpf.h"
#include "exec.h"

#define STRINGS_SPACE (RS_RECORD_MAX - sizeof(struct rs_exec_event))

SEC("tracepoint/syscalls/sys_enter_execve")
int exec_enter(void *ctx)
{
	if (rs_floor)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	if (!rs_is_target(id >> 32))
		return 0;
	struct rs_counters *cnt = rs_counters_get();
	if (!cnt || !rs_keep(cnt))
		return 0;
	__u64 t_hook = rs_aggregate ? 0 : rs_stamp_now(cnt);
	__u64 args[3];
	rs_syscall_args(ctx, args);
	struct rs_exec_event *e = rs_scratch_get();
	if (!e)
		return 0;
	__u8 flags = 0;
	long n = bpf_probe_read_user_str(e->strings, RS_EXEC_FILENAME_CAP + 1, (const char *)args[0]);
	__u32 off = n > 0 ? (__u32)n : 0;
	if (off == 0)
		e->strings[off++] = 0;
	if (off == RS_EXEC_FILENAME_CAP + 1)
		flags = RS_F_TRUNCATED; /* may have been longer: at the cap */
	e->filename_len = off - 1;
	__u16 argc = 0;
	const char *const *argv = (const char *const *)args[1];
	for (int i = 0; i < RS_EXEC_MAX_ARGS + 1; i++) {
		const char *arg = 0;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) != 0 || !arg)
			break;
		if (i == RS_EXEC_MAX_ARGS) {
			flags = RS_F_TRUNCATED; /* more arguments than we keep */
			break;
		}
		if (off > STRINGS_SPACE - RS_EXEC_ARG_CAP)
			break;
		n = bpf_probe_read_user_str(e->strings + (off & 511), RS_EXEC_ARG_CAP, arg);
		if (n <= 0)
			break;
		if (n == RS_EXEC_ARG_CAP)
			flags = RS_F_TRUNCATED;
		off += (__u32)n;
		argc++;
	}
	if (rs_aggregate) {
		rs_aggregate_one(0, off);
		return 0;
	}
	rs_fill_hdr(&e->h, 0, RS_PROG_EXEC, 0, id, t_hook);
	e->h.flags |= flags;
	e->argc = argc;
	e->strings_len = off;
	rs_output(ctx, e, RS_RECORD_SIZE(sizeof(*e) + off), cnt);
	return 0;
}
