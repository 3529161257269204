/* What every ringside program shares, included once by each <program>.bpf.c: the transport (a
 * ring buffer or a perf buffer behind one map name), the target filter, per-CPU counters, the
 * governor's sampling knob, the floor switch, the record header and the emit helpers, and the
 * programs that follow a target's children. */
#ifndef RINGSIDE_RS_COMMON_BPF_H
#define RINGSIDE_RS_COMMON_BPF_H

#include "rs_record.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Load-time tunables (rodata: the verifier prunes the branches they switch off). */
const volatile __u32 rs_transport = RS_TRANSPORT_RINGBUF;
const volatile __u32 rs_wakeup = RS_WAKEUP_ADAPTIVE;
const volatile __u64 rs_wakeup_bytes = 64 * 72; /* pending bytes that wake the reader (batch) */
const volatile __u8 rs_filter_targets = 1;      /* 0 = every process */
const volatile __u8 rs_floor = 0;               /* 1 = every hook returns at once: the hook's own cost */
const volatile __u8 rs_aggregate = 0;           /* 1 = count (and sum sizes) in a map, emit nothing */
/* Latency at a fraction of the cost: 1 of every N kept events (per CPU) carries the hook and
 * submit timestamps (RS_F_STAMPED); the others take no clock reads. 1 = every event. */
const volatile __u32 rs_stamp_every = 1;
/* The only traced tgid, compared directly (no map lookup); 0 = the `targets` map decides. Set by
 * userspace only when the target set is one fixed process (no followed children). */
const volatile __u32 rs_target_tgid = 0;
/* 1 = one ring buffer per CPU (rs_rings[cpu]) instead of the one `events` ring: producers on
 * different CPUs never share a reserve lock. */
const volatile __u8 rs_per_cpu_rings = 0;

/* Run-time knob the governor flips without reloading: keep 1 of every N matches. */
__u32 rs_sample_every = 1;

/* Batch wake-ups: userspace sets this (mmap'ed .data) before it sleeps on an empty ring without a
 * timeout; the next record clears it and wakes the reader, so an idle reader needs no timed
 * polls. A record racing the reader's sleep can miss the flag; it then waits for the reader's
 * idle timeout (250 ms), which end-to-end latency shows. */
__u32 rs_reader_idle SEC(".data") = 0;

/* A ring buffer by default; userspace retypes it to PERF_EVENT_ARRAY for the perf buffer
 * (libbpf-tools' compat approach: one map name, one code path per transport), and may point
 * several programs at one ring (bpf_map__reuse_fd). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* --rings per-cpu: userspace sizes this to the possible CPUs and puts a ring buffer in each slot
 * (the template's size is only the template's). */
struct rs_ring_inner {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct rs_ring_inner);
} rs_rings SEC(".maps");

/* The ring this CPU's records go to (NULL: a per-CPU slot userspace left empty). */
static __always_inline void *rs_ring(void)
{
	if (!rs_per_cpu_rings)
		return &events;
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&rs_rings, &cpu);
}

/* Traced tgids; shared by every program of a session. */
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

/* Aggregate mode: per-CPU counts and byte sums by record kind (what bpftrace's count() keeps). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RS_AGG_KINDS);
	__type(key, __u32);
	__type(value, struct rs_agg);
} rs_agg SEC(".maps");

/* Variable-length records are built here, then copied into the transport whole. */
struct rs_scratch_buf {
	__u8 b[RS_RECORD_MAX + 64];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rs_scratch_buf);
} rs_scratch SEC(".maps");

static __always_inline void *rs_scratch_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&rs_scratch, &zero);
}

/* Aggregate mode's whole work for one match: count it (and its bytes) under its kind. */
static __always_inline void rs_aggregate_one(__u32 kind, __u64 bytes)
{
	struct rs_agg *a = bpf_map_lookup_elem(&rs_agg, &kind);
	if (a) {
		a->count++;
		a->bytes += bytes;
	}
}

static __always_inline struct rs_counters *rs_counters_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline int rs_is_target(__u32 tgid)
{
	if (!rs_filter_targets)
		return 1;
	if (rs_target_tgid)
		return tgid == rs_target_tgid;
	return bpf_map_lookup_elem(&targets, &tgid) != 0;
}

/* After rs_keep(): 1 = this event carries timestamps (1 of every rs_stamp_every, per CPU). */
static __always_inline int rs_stamp(struct rs_counters *cnt)
{
	__u32 every = rs_stamp_every;
	if (every <= 1)
		return 1;
	return (cnt->c[RS_CNT_STAMP_TICK]++ % every) == 0;
}

/* The hook timestamp of a kept event: a clock read only for the stamped ones (0 = unstamped). */
static __always_inline __u64 rs_stamp_now(struct rs_counters *cnt)
{
	return rs_stamp(cnt) ? bpf_ktime_get_ns() : 0;
}

/* Counts a match and applies the governor's 1/N sampling: 1 = emit this one. */
static __always_inline int rs_keep(struct rs_counters *cnt)
{
	cnt->c[RS_CNT_MATCHED]++;
	__u32 every = rs_sample_every;
	if (every > 1 && (cnt->c[RS_CNT_SAMPLE_TICK]++ % every) != 0) {
		cnt->c[RS_CNT_SAMPLED_OUT]++;
		return 0;
	}
	return 1;
}

/* t_hook 0: an unstamped event (its submit takes no timestamp either). */
static __always_inline void rs_fill_hdr(struct rs_hdr *h, __u32 size, __u8 prog, __u16 kind, __u64 id, __u64 t_hook)
{
	h->size = size;
	h->prog = prog;
	h->flags = t_hook ? RS_F_STAMPED : 0;
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
	h->tgid = id >> 32;
	h->tid = (__u32)id;
	h->t_hook = t_hook;
}

static __always_inline __u64 rs_ringbuf_flags(void *ring, __u32 size)
{
	if (rs_wakeup == RS_WAKEUP_EVERY)
		return BPF_RB_FORCE_WAKEUP;
	if (rs_wakeup == RS_WAKEUP_BATCH) {
		if (rs_reader_idle) {
			rs_reader_idle = 0;
			return BPF_RB_FORCE_WAKEUP;
		}
		/* Wake the reader when pending data crosses the threshold — only then: forcing a
		 * wake-up on every submit while it stays above would queue an irq_work per event
		 * until the reader catches up. A crossing missed under concurrent producers is
		 * covered by the reader's short poll timeout. */
		__u64 avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
		const __u64 window = 8 * (__u64)(size + 8); /* eight records and their ring headers */
		return avail >= rs_wakeup_bytes && avail < rs_wakeup_bytes + window ? BPF_RB_FORCE_WAKEUP
										    : BPF_RB_NO_WAKEUP;
	}
	return 0;
}

/* Fixed-size records: a slot in the ring buffer, or `local` (stack) for the perf buffer. NULL
 * (counted) when the ring is full. `size` must be a constant. */
static __always_inline void *rs_reserve(void *local, __u32 size, struct rs_counters *cnt)
{
	if (rs_transport == RS_TRANSPORT_PERFBUF)
		return local;
	void *ring = rs_ring();
	void *e = ring ? bpf_ringbuf_reserve(ring, size, 0) : 0;
	if (!e)
		cnt->c[RS_CNT_KERNEL_RESERVE]++;
	return e;
}

/* Hands a record from rs_reserve() to the transport, stamping t_submit last (stamped records). */
static __always_inline void rs_submit(void *ctx, void *e, __u32 size, struct rs_counters *cnt)
{
	struct rs_hdr *h = e;
	h->t_submit = (h->flags & RS_F_STAMPED) ? bpf_ktime_get_ns() : 0;
	if (rs_transport == RS_TRANSPORT_RINGBUF) {
		void *ring = rs_ring(); /* the ring rs_reserve() took the slot from: same CPU (no migration in a BPF run) */
		bpf_ringbuf_submit(e, ring ? rs_ringbuf_flags(ring, size) : BPF_RB_FORCE_WAKEUP);
		cnt->c[RS_CNT_EMITTED]++;
	} else if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, size) == 0) {
		cnt->c[RS_CNT_EMITTED]++;
	} else {
		cnt->c[RS_CNT_PERF_OUTPUT]++;
	}
}

/* Variable-length records built in rs_scratch: copied into the ring buffer (bpf_ringbuf_output)
 * or the perf buffer at their exact size, stamping t_submit last. A full ring is counted. */
static __always_inline void rs_output(void *ctx, void *rec, __u32 size, struct rs_counters *cnt)
{
	struct rs_hdr *h = rec;
	if (size < sizeof(struct rs_hdr) || size > RS_RECORD_MAX)
		return;
	h->size = size;
	h->t_submit = (h->flags & RS_F_STAMPED) ? bpf_ktime_get_ns() : 0;
	void *ring = rs_ring();
	if (rs_transport == RS_TRANSPORT_RINGBUF) {
		if (ring && bpf_ringbuf_output(ring, rec, size, rs_ringbuf_flags(ring, size)) == 0)
			cnt->c[RS_CNT_EMITTED]++;
		else
			cnt->c[RS_CNT_KERNEL_RESERVE]++;
	} else if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, rec, size) == 0) {
		cnt->c[RS_CNT_EMITTED]++;
	} else {
		cnt->c[RS_CNT_PERF_OUTPUT]++;
	}
}

/* Follow children: a fork of a traced process is traced too (exec workloads). */
SEC("raw_tracepoint/sched_process_fork")
int rs_follow_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 kind = RS_TARGET_CHILD;
	if (ptgid == ctgid || !bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	if (bpf_map_update_elem(&targets, &ctgid, &kind, BPF_ANY)) {
		struct rs_counters *cnt = rs_counters_get();
		if (cnt)
			cnt->c[RS_CNT_TARGETS_FULL]++;
	}
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int rs_follow_exit(struct bpf_raw_tracepoint_args *ctx)
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

#endif
