/* syscall_tap's record: one per syscall entry of a traced process. Plain C, fixed-width fields. */
#ifndef RINGSIDE_SYSCALL_TAP_H
#define RINGSIDE_SYSCALL_TAP_H

#include "rs_record.h"

#define RS_MAX_SYSCALLS 512 /* x86_64 syscall numbers are < 512 */
#define RS_SYSCALL_PAYLOAD_MAX 256 /* write: bytes of the buffer a record may carry */

/* 64 bytes: header (kind = syscall number) + the first three arguments + the workload's stamp.
 * With a payload configured, a write's record carries the first min(count, payload) bytes of its
 * buffer right after, padded to 8. */
struct rs_syscall_event {
	struct rs_hdr h;
	__u64 args[3];
	__u64 t_user; /* workload's CLOCK_MONOTONIC ns from a tagged write buffer (RS_F_USER), else 0 */
};

#endif
