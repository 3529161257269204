/* memory_alloc's record: one per malloc, calloc, realloc or free call of a traced process. */
#ifndef RINGSIDE_MEMORY_ALLOC_H
#define RINGSIDE_MEMORY_ALLOC_H

#include "rs_record.h"

enum rs_alloc_kind { RS_ALLOC_MALLOC = 0, RS_ALLOC_CALLOC = 1, RS_ALLOC_REALLOC = 2, RS_ALLOC_FREE = 3, RS_ALLOC_KINDS = 4 };

/* 56 bytes. Allocations are emitted at return (the pointer is the return value), free at entry. */
struct rs_alloc_event {
	struct rs_hdr h; /* kind: enum rs_alloc_kind */
	__u64 size;      /* bytes asked for (calloc: n × size); 0 for free */
	__u64 ptr;       /* the pointer returned (free: the pointer freed) */
	__u64 old_ptr;   /* realloc: the pointer passed in */
};

#endif
