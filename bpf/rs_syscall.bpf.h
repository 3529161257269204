/* Reading a syscall tracepoint's context (tracepoint/syscalls/sys_enter_*) portably.
 *
 * What a BPF program attached to syscalls:sys_enter_* receives is the kernel's
 * `struct syscall_tp_t` (built in perf_call_bpf_enter), not the ftrace record: its layout differs
 * between kernels (6.1: regs, syscall_nr; newer: trace_entry, syscall_nr) and from
 * `trace_event_raw_sys_enter`/`syscall_trace_enter` on PREEMPT_RT, whose trace_entry is larger.
 * CO-RE relocates the fields we read by name against the running kernel. */
#ifndef RINGSIDE_RS_SYSCALL_BPF_H
#define RINGSIDE_RS_SYSCALL_BPF_H

#include "syscall_tap.h" /* RS_MAX_SYSCALLS */

struct syscall_tp_t___rs {
	int syscall_nr;
	unsigned long args[6];
} __attribute__((preserve_access_index));
/* Fallback for a kernel whose BTF lacks syscall_tp_t. */
struct syscall_trace_enter___rs {
	int nr;
	unsigned long args[6];
} __attribute__((preserve_access_index));

/* Whether syscall `nr` is marked in a rodata table of RS_MAX_SYSCALLS flags: one unsigned bound
 * check the verifier keeps through to the index. */
static __always_inline int rs_nr_in(const volatile __u8 *table, __s64 nr)
{
	__u64 i = (__u64)nr;
	if (i >= RS_MAX_SYSCALLS)
		return 0;
	asm volatile("" : "+r"(i));
	return table[i];
}

/* The syscall number and its first three arguments: two reads (the number, then the three
 * adjacent arguments at once) at CO-RE-relocated offsets. (A direct context load is not an
 * option: clang indexes args[] off a modified context pointer, which the verifier refuses.) */
static __always_inline __s64 rs_syscall_args(void *ctx, __u64 *args)
{
	if (bpf_core_type_exists(struct syscall_tp_t___rs)) {
		struct syscall_tp_t___rs *tp = ctx;
		if (bpf_core_read(args, 3 * sizeof(__u64), &tp->args[0]))
			args[0] = args[1] = args[2] = 0;
		return BPF_CORE_READ(tp, syscall_nr);
	}
	struct syscall_trace_enter___rs *tp = ctx;
	if (bpf_core_read(args, 3 * sizeof(__u64), &tp->args[0]))
		args[0] = args[1] = args[2] = 0;
	return BPF_CORE_READ(tp, nr);
}

#endif
