/* Shared between syscall_tap.bpf.c and userspace: plain C, fixed-width fields only. */
#ifndef RINGSIDE_SYSCALL_TAP_H
#define RINGSIDE_SYSCALL_TAP_H

#define RS_MAX_SYSCALLS 512   /* x86_64 syscall numbers are < 512 */
#define RS_MAX_TARGETS 4096   /* traced tgids (or tids) */
#define RS_USER_TAG 0x5453444953474e52ULL /* "RNGSIDST" little-endian: a write() buffer starting with it carries a timestamp */

/* Transport selected at load time. */
enum rs_transport { RS_TRANSPORT_RINGBUF = 0, RS_TRANSPORT_PERFBUF = 1 };

/* Wake-up policy for the ring buffer (perf buffer uses wakeup_events instead). */
enum rs_wakeup { RS_WAKEUP_ADAPTIVE = 0, RS_WAKEUP_EVERY = 1, RS_WAKEUP_BATCH = 2 };

/* Per-CPU counters, index into the `counters` map. */
enum rs_counter {
	RS_CNT_MATCHED = 0,        /* syscalls that passed the tgid+nr filter */
	RS_CNT_EMITTED = 1,        /* records handed to the transport successfully */
	RS_CNT_KERNEL_RESERVE = 2, /* bpf_ringbuf_reserve failed (ring full) */
	RS_CNT_PERF_OUTPUT = 3,    /* bpf_perf_event_output failed (buffer full) */
	RS_CNT_SAMPLED_OUT = 4,    /* skipped by in-kernel 1/N sampling */
	RS_CNT_SAMPLE_TICK = 5,    /* internal: per-CPU sampling position */
	RS_CNT_MAX = 8,
};

/* The single per-CPU value of the `counters` map. */
struct rs_counters {
	__u64 c[RS_CNT_MAX];
};

/* Values in the `targets` map. */
enum rs_target_kind { RS_TARGET_EXPLICIT = 1, RS_TARGET_CHILD = 2 };

/* One record per matching syscall: 64 bytes, no padding holes. */
struct rs_event {
	__u64 t_user;   /* workload's CLOCK_MONOTONIC ns from a tagged write buffer, else 0 */
	__u64 t_hook;   /* bpf_ktime_get_ns() at program entry */
	__u64 t_submit; /* bpf_ktime_get_ns() just before submit/output */
	__u64 args[3];  /* first three syscall arguments */
	__u32 tgid;
	__u32 tid;
	__u32 cpu;
	__s32 nr;       /* syscall number */
};

/* What a tagged write() buffer starts with. */
struct rs_user_tag {
	__u64 magic; /* RS_USER_TAG */
	__u64 t_user;
};

#endif
