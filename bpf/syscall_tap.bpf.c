// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* syscall_tap: one 64-byte record per syscall entry of a traced process, over a BPF ring
 * buffer or a perf buffer. Three entry points share one emit path:
 *   tap_raw    raw_tracepoint/sys_enter: one program sees every syscall (the default)
 *   tap_tp     tracepoint/syscalls/sys_enter_*: attached per syscall by userspace
 *   tap_floor  raw_tracepoint/sys_enter returning at once: the unavoidable cost of the hook
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syscall_tap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define NR_WRITE 1 /* x86_64 */

/* Load-time tunables (rodata: the verifier prunes the branches they switch off). */
const volatile __u32 transport = RS_TRANSPORT_RINGBUF;
const volatile __u32 wakeup = RS_WAKEUP_ADAPTIVE;
const volatile __u64 wakeup_batch_bytes = 64 * sizeof(struct rs_event);
const volatile __u8 filter_targets = 1; /* 0 = every process */
const volatile __u8 want_nr[RS_MAX_SYSCALLS];

/* Run-time knob the governor flips without reloading: keep 1 of every N matches. */
__u32 sample_every = 1;

/* A ring buffer by default; userspace retypes it to PERF_EVENT_ARRAY for the perf buffer
 * (libbpf-tools' compat approach: one map name, one code path per transport). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RS_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rs_counters);
} counters SEC(".maps");

/* What a BPF program attached to syscalls:sys_enter_* receives is the kernel's
 * `struct syscall_tp_t` (built in perf_call_bpf_enter), not the ftrace record: its layout differs
 * between kernels (6.1: regs, syscall_nr; newer: trace_entry, syscall_nr) and from
 * `trace_event_raw_sys_enter`/`syscall_trace_enter` on PREEMPT_RT, whose trace_entry is larger.
 * CO-RE relocates the two fields we read by name against the running kernel. */
struct syscall_tp_t___rs {
	int syscall_nr;
	unsigned long args[6];
} __attribute__((preserve_access_index));
/* Fallback for a kernel whose BTF lacks syscall_tp_t. */
struct syscall_trace_enter___rs {
	int nr;
	unsigned long args[6];
} __attribute__((preserve_access_index));

static __always_inline struct rs_counters *my_counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline int wanted(__s64 nr, __u32 tgid)
{
	__u64 i = (__u64)nr; /* one unsigned bound check the verifier keeps through to the index */
	if (i >= RS_MAX_SYSCALLS)
		return 0;
	asm volatile("" : "+r"(i));
	if (!want_nr[i])
		return 0;
	if (filter_targets && !bpf_map_lookup_elem(&targets, &tgid))
		return 0;
	return 1;
}

static __always_inline __u64 ringbuf_flags(void)
{
	if (wakeup == RS_WAKEUP_EVERY)
		return BPF_RB_FORCE_WAKEUP;
	if (wakeup == RS_WAKEUP_BATCH) {
		/* Wake the reader when pending data crosses the threshold — only then: forcing a
		 * wake-up on every submit while it stays above would queue an irq_work per event
		 * until the reader catches up. A crossing missed under concurrent producers is
		 * covered by the reader's short poll timeout. */
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
		const __u64 slot = sizeof(struct rs_event) + 8; /* record + ring header */
		return avail >= wakeup_batch_bytes && avail < wakeup_batch_bytes + 8 * slot ? BPF_RB_FORCE_WAKEUP
											    : BPF_RB_NO_WAKEUP;
	}
	return 0;
}

/* Count, sample, fill and hand over one record. `args` holds the first three arguments. */
static __always_inline int emit(void *ctx, __u64 t_hook, __u64 id, __s32 nr, const __u64 *args)
{
	struct rs_counters *cnt = my_counters();
	if (!cnt)
		return 0;
	cnt->c[RS_CNT_MATCHED]++;
	__u32 every = sample_every;
	if (every > 1 && (cnt->c[RS_CNT_SAMPLE_TICK]++ % every) != 0) {
		cnt->c[RS_CNT_SAMPLED_OUT]++;
		return 0;
	}

	struct rs_event local;
	struct rs_event *e = &local;
	if (transport == RS_TRANSPORT_RINGBUF) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			cnt->c[RS_CNT_KERNEL_RESERVE]++;
			return 0;
		}
	}
	e->t_user = 0;
	if (nr == NR_WRITE && args[2] >= sizeof(struct rs_user_tag)) {
		struct rs_user_tag tag;
		if (bpf_probe_read_user(&tag, sizeof(tag), (const void *)args[1]) == 0 && tag.magic == RS_USER_TAG)
			e->t_user = tag.t_user;
	}
	e->t_hook = t_hook;
	e->args[0] = args[0];
	e->args[1] = args[1];
	e->args[2] = args[2];
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->cpu = bpf_get_smp_processor_id();
	e->nr = nr;

	if (transport == RS_TRANSPORT_RINGBUF) {
		e->t_submit = bpf_ktime_get_ns();
		bpf_ringbuf_submit(e, ringbuf_flags());
		cnt->c[RS_CNT_EMITTED]++;
	} else {
		e->t_submit = bpf_ktime_get_ns();
		if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, sizeof(*e)) == 0)
			cnt->c[RS_CNT_EMITTED]++;
		else
			cnt->c[RS_CNT_PERF_OUTPUT]++;
	}
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int tap_raw(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 t_hook = bpf_ktime_get_ns();
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
	return emit(ctx, t_hook, id, (__s32)nr, args);
}

SEC("tracepoint/syscalls/sys_enter_write")
int tap_tp(void *ctx)
{
	__u64 t_hook = bpf_ktime_get_ns();
	__s64 nr;
	__u64 args[3];
	if (bpf_core_type_exists(struct syscall_tp_t___rs)) {
		struct syscall_tp_t___rs *tp = ctx;
		nr = BPF_CORE_READ(tp, syscall_nr);
		args[0] = BPF_CORE_READ(tp, args[0]);
		args[1] = BPF_CORE_READ(tp, args[1]);
		args[2] = BPF_CORE_READ(tp, args[2]);
	} else {
		struct syscall_trace_enter___rs *tp = ctx;
		nr = BPF_CORE_READ(tp, nr);
		args[0] = BPF_CORE_READ(tp, args[0]);
		args[1] = BPF_CORE_READ(tp, args[1]);
		args[2] = BPF_CORE_READ(tp, args[2]);
	}
	__u64 id = bpf_get_current_pid_tgid();
	if (!wanted(nr, id >> 32))
		return 0;
	return emit(ctx, t_hook, id, (__s32)nr, args);
}

SEC("raw_tracepoint/sys_enter")
int tap_floor(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

/* Follow children (exec workloads): a fork of a traced process is traced too. */
SEC("raw_tracepoint/sched_process_fork")
int follow_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 kind = RS_TARGET_CHILD;
	if (ptgid != ctgid && bpf_map_lookup_elem(&targets, &ptgid))
		bpf_map_update_elem(&targets, &ctgid, &kind, BPF_ANY);
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int follow_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if ((__u32)id != tgid)
		return 0; /* a thread, not the process */
	__u8 *kind = bpf_map_lookup_elem(&targets, &tgid);
	if (kind && *kind == RS_TARGET_CHILD)
		bpf_map_delete_elem(&targets, &tgid);
	return 0;
}
