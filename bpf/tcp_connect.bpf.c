// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tcp_connect: one record per TCP connect attempt, seen at the socket layer — the
 * sock:inet_sock_set_state tracepoint when a socket moves to SYN_SENT, which happens in the
 * connecting task's context (its tgid is the filter), with the 4-tuple. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rs_common.bpf.h"
#include "tcp_connect.h"

#define AF_INET6_ 10

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (rs_floor)
		return 0;
	if (BPF_CORE_READ(ctx, newstate) != TCP_SYN_SENT || BPF_CORE_READ(ctx, protocol) != IPPROTO_TCP)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	if (!rs_is_target(id >> 32))
		return 0;
	struct rs_counters *cnt = rs_counters_get();
	if (!cnt || !rs_keep(cnt))
		return 0;
	__u64 t_hook = rs_aggregate ? 0 : rs_stamp_now(cnt);
	if (rs_aggregate) {
		rs_aggregate_one(0, 0);
		return 0;
	}
	struct rs_tcp_event local;
	struct rs_tcp_event *e = rs_reserve(&local, sizeof(local), cnt);
	if (!e)
		return 0;
	barrier_var(e);
	rs_fill_hdr(&e->h, sizeof(*e), RS_PROG_TCP_CONNECT, 0, id, t_hook);
	e->family = BPF_CORE_READ(ctx, family);
	e->sport = BPF_CORE_READ(ctx, sport);
	e->dport = BPF_CORE_READ(ctx, dport);
	e->pad = 0;
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	if (e->family == AF_INET6_) {
		bpf_core_read(e->saddr, 16, &ctx->saddr_v6);
		bpf_core_read(e->daddr, 16, &ctx->daddr_v6);
	} else {
		bpf_core_read(e->saddr, 4, &ctx->saddr);
		bpf_core_read(e->daddr, 4, &ctx->daddr);
	}
	rs_submit(ctx, e, sizeof(*e), cnt);
	return 0;
}
