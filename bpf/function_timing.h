/* function_timing's record: one per call of a traced function, with its duration. Plain C. */
#ifndef RINGSIDE_FUNCTION_TIMING_H
#define RINGSIDE_FUNCTION_TIMING_H

#include "rs_record.h"

/* 48 bytes; t_hook is the return probe's entry. */
struct rs_call_event {
	struct rs_hdr h;     /* kind 0 */
	__u64 duration_ns;   /* entry probe → return probe, on one thread */
	__u64 ret;           /* the function's return value */
};

#endif
