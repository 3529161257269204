// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* file_ops: one variable-length record per openat(2) and unlinkat(2) of a traced process, with
 * the path it names (up to RS_PATH_CAP bytes), from the syscalls' tracepoints. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rs_common.bpf.h"
#include "rs_syscall.bpf.h"
#include "file_ops.h"

#define NR_OPENAT 257   /* x86_64 */
#define NR_UNLINKAT 263

/* One program, attached to syscalls:sys_enter_openat and syscalls:sys_enter_unlinkat. */
SEC("tracepoint/syscalls/sys_enter_openat")
int file_op(void *ctx)
{
	if (rs_floor)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	if (!rs_is_target(id >> 32))
		return 0;
	__u64 args[3];
	__s64 nr = rs_syscall_args(ctx, args);
	if (nr != NR_OPENAT && nr != NR_UNLINKAT)
		return 0;
	const __u16 kind = nr == NR_OPENAT ? RS_FILE_OPENAT : RS_FILE_UNLINKAT;
	struct rs_counters *cnt = rs_counters_get();
	if (!cnt || !rs_keep(cnt))
		return 0;
	__u64 t_hook = rs_aggregate ? 0 : rs_stamp_now(cnt);
	struct rs_file_event *e = rs_scratch_get();
	if (!e)
		return 0;
	/* Read one byte past the cap: a string that fills it is RS_PATH_CAP long or longer. */
	long n = bpf_probe_read_user_str(e->path, RS_PATH_CAP + 2, (const char *)args[1]);
	__u32 len = n > 0 ? (__u32)(n - 1) : 0;
	__u8 flags = 0;
	if (len > RS_PATH_CAP) {
		len = RS_PATH_CAP;
		flags = RS_F_TRUNCATED;
	}
	barrier_var(len);
	if (len > RS_PATH_CAP) /* keeps the index's bound in front of the verifier */
		len = RS_PATH_CAP;
	e->path[len] = 0; /* a faulting read, or the cap: NUL-terminate */
	if (rs_aggregate) {
		rs_aggregate_one(kind, len);
		return 0;
	}
	rs_fill_hdr(&e->h, 0, RS_PROG_FILE_OPS, kind, id, t_hook);
	e->h.flags |= flags;
	e->path_len = len;
	e->dfd = (__s32)args[0];
	rs_output(ctx, e, RS_RECORD_SIZE(sizeof(*e) + len + 1), cnt);
	return 0;
}
