// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* syscall_tap: one 64-byte record per syscall entry of a traced process. Two entry points share
 * one emit path:
 *   tap_raw  raw_tracepoint/sys_enter: one program sees every syscall (the default)
 *   tap_tp   tracepoint/syscalls/sys_enter_*: attached per syscall by userspace
 * With rs_floor set both return at once: the unavoidable cost of the hook. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rs_common.bpf.h"
#include "rs_syscall.bpf.h"
#include "syscall_tap.h"

#define NR_WRITE 1 /* x86_64 */

const volatile __u8 want_nr[RS_MAX_SYSCALLS];
const volatile __u32 payload_bytes = 0; /* write: capture this many bytes of the buffer */

static __always_inline int wanted(__s64 nr, __u32 tgid)
{
	return rs_nr_in(want_nr, nr) && rs_is_target(tgid);
}

static __always_inline void fill(struct rs_syscall_event *e, __u64 t_hook, __u64 id, __s32 nr, const __u64 *args)
{
	rs_fill_hdr(&e->h, sizeof(*e), RS_PROG_SYSCALL_TAP, (__u16)nr, id, t_hook);
	e->t_user = 0;
	/* only where the workload tags, and only on stamped events: the tag is a user-memory read */
	if (t_hook && nr == NR_WRITE && args[2] >= sizeof(struct rs_user_tag)) {
		struct rs_user_tag tag;
		if (bpf_probe_read_user(&tag, sizeof(tag), (const void *)args[1]) == 0 && tag.magic == RS_USER_TAG) {
			e->t_user = tag.t_user;
			e->h.flags |= RS_F_USER;
		}
	}
	e->args[0] = args[0];
	e->args[1] = args[1];
	e->args[2] = args[2];
}

/* A write with its payload: built in the scratch buffer, output at its exact size. */
static __always_inline int emit_payload(void *ctx, __u64 t_hook, __u64 id, __s32 nr, const __u64 *args,
					struct rs_counters *cnt)
{
	struct rs_syscall_event *e = rs_scratch_get();
	if (!e)
		return 0;
	fill(e, t_hook, id, nr, args);
	__u32 len = args[2] < payload_bytes ? (__u32)args[2] : payload_bytes;
	if (len > RS_SYSCALL_PAYLOAD_MAX)
		len = RS_SYSCALL_PAYLOAD_MAX;
	if (bpf_probe_read_user((__u8 *)e + sizeof(*e), len, (const void *)args[1]) != 0)
		len = 0;
	rs_output(ctx, e, sizeof(*e) + RS_RECORD_SIZE(len), cnt);
	return 0;
}

/* Count, sample, fill and hand over one record. `args` holds the first three arguments. */
static __always_inline int emit(void *ctx, __u64 id, __s32 nr, const __u64 *args)
{
	struct rs_counters *cnt = rs_counters_get();
	if (!cnt || !rs_keep(cnt))
		return 0;
	if (rs_aggregate) {
		rs_aggregate_one((__u32)nr, 0);
		return 0;
	}
	__u64 t_hook = rs_stamp_now(cnt);
	if (payload_bytes && nr == NR_WRITE)
		return emit_payload(ctx, t_hook, id, nr, args, cnt);
	struct rs_syscall_event local;
	struct rs_syscall_event *e = rs_reserve(&local, sizeof(local), cnt);
	if (!e)
		return 0;
	barrier_var(e); /* keep every use of e after its null check (the verifier insists) */
	fill(e, t_hook, id, nr, args);
	rs_submit(ctx, e, sizeof(*e), cnt);
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int tap_raw(struct bpf_raw_tracepoint_args *ctx)
{
	if (rs_floor)
		return 0;
	__s64 nr = (__s64)ctx->args[1];
	__u64 id = bpf_get_current_pid_tgid();
	if (!wanted(nr, id >> 32))
		return 0;
	/* x86_64 passes arguments in di, si, dx, which pt_regs keeps adjacent as dx, si, di:
	 * one probe read at the CO-RE-relocated offset of dx instead of three */
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u64 dx_si_di[3];
	if (bpf_probe_read_kernel(dx_si_di, sizeof(dx_si_di), __builtin_preserve_access_index(&regs->dx)))
		return 0;
	__u64 args[3] = {dx_si_di[2], dx_si_di[1], dx_si_di[0]};
	return emit(ctx, id, (__s32)nr, args);
}

SEC("tracepoint/syscalls/sys_enter_write")
int tap_tp(void *ctx)
{
	if (rs_floor)
		return 0;
	__u64 args[3];
	__s64 nr = rs_syscall_args(ctx, args);
	__u64 id = bpf_get_current_pid_tgid();
	if (!wanted(nr, id >> 32))
		return 0;
	return emit(ctx, id, (__s32)nr, args);
}
