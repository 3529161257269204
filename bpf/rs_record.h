/* The record ABI every ringside program shares with userspace: plain C, fixed-width fields only.
 * A record is an rs_hdr followed by its program's payload; its size is in the header, a multiple
 * of 8, and never more than RS_RECORD_MAX. Each program's payload is in <program>.h. */
#ifndef RINGSIDE_RS_RECORD_H
#define RINGSIDE_RS_RECORD_H

#define RS_RECORD_MAX 512     /* largest record a catalog program emits, header included */
#define RS_MAX_TARGETS 4096   /* traced tgids (explicit ones and followed children) */
#define RS_USER_TAG 0x5453444953474e52ULL /* "RNGSIDST" little-endian: a buffer starting with it carries a timestamp */

#define RS_AGG_KINDS 512      /* aggregate mode: kinds counted per program */

/* Program ids in rs_hdr.prog. */
enum rs_prog {
	RS_PROG_SYSCALL_TAP = 1,
	RS_PROG_FILE_OPS = 2,
	RS_PROG_EXEC = 3,
	RS_PROG_TCP_CONNECT = 4,
	RS_PROG_FUNCTION_TIMING = 5,
	RS_PROG_MEMORY_ALLOC = 6,
	RS_PROG_LEAN_TAP = 7, /* the bare phase's minimal program (bpf/lean_tap.bpf.c) */
};

/* rs_hdr.flags */
enum rs_flags {
	RS_F_STAMPED = 1,   /* t_hook is valid */
	RS_F_USER = 2,      /* the payload carries the workload's own timestamp (t_user) */
	RS_F_TRUNCATED = 4, /* a captured string or payload hit its cap */
};

/* Transport selected at load time. */
enum rs_transport { RS_TRANSPORT_RINGBUF = 0, RS_TRANSPORT_PERFBUF = 1 };

/* Wake-up policy for the ring buffer (the perf buffer uses wakeup_events instead). */
enum rs_wakeup { RS_WAKEUP_ADAPTIVE = 0, RS_WAKEUP_EVERY = 1, RS_WAKEUP_BATCH = 2 };

/* Per-CPU counters of one program, index into its `counters` map. */
enum rs_counter {
	RS_CNT_MATCHED = 0,        /* hook runs that passed the program's filter */
	RS_CNT_EMITTED = 1,        /* records handed to the transport successfully */
	RS_CNT_KERNEL_RESERVE = 2, /* bpf_ringbuf_reserve/output failed (ring full) */
	RS_CNT_PERF_OUTPUT = 3,    /* bpf_perf_event_output failed (buffer full) */
	RS_CNT_SAMPLED_OUT = 4,    /* skipped by in-kernel 1/N sampling */
	RS_CNT_SAMPLE_TICK = 5,    /* internal: per-CPU sampling position */
	RS_CNT_TARGETS_FULL = 6,   /* a child could not be added to `targets` (map full): it goes untraced */
	RS_CNT_STAMP_TICK = 7,     /* internal: per-CPU position of 1-of-N timestamping */
	RS_CNT_MAX = 8,
};

/* The single per-CPU value of the `counters` map. */
struct rs_counters {
	__u64 c[RS_CNT_MAX];
};

/* Aggregate mode's per-CPU value per kind (the `rs_agg` map). */
struct rs_agg {
	__u64 count;
	__u64 bytes;
};

/* Values in the `targets` map. */
enum rs_target_kind { RS_TARGET_EXPLICIT = 1, RS_TARGET_CHILD = 2 };

/* The header of every record: 32 bytes. */
struct rs_hdr {
	__u16 size;     /* record bytes, header included, a multiple of 8 */
	__u8 prog;      /* enum rs_prog */
	__u8 flags;     /* enum rs_flags */
	__u16 kind;     /* per program: syscall nr, file operation, allocator function, ... */
	__u16 cpu;
	__u32 tgid;
	__u32 tid;
	__u64 t_hook;   /* bpf_ktime_get_ns() once the event passed the filter (RS_F_STAMPED), else 0 */
	__u64 t_submit; /* bpf_ktime_get_ns() just before submit (RS_F_STAMPED), else 0 */
};

/* The record size for a header plus `payload` bytes: a multiple of 8. */
#define RS_RECORD_SIZE(payload) ((((__u32)(payload)) + 7u) & ~7u)

/* What a tagged user buffer (the write workload's) starts with. */
struct rs_user_tag {
	__u64 magic; /* RS_USER_TAG */
	__u64 t_user;
};

#endif
