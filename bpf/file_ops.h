/* file_ops's record: one per openat or unlinkat of a traced process, with the path. Plain C. */
#ifndef RINGSIDE_FILE_OPS_H
#define RINGSIDE_FILE_OPS_H

#include "rs_record.h"

#define RS_PATH_CAP 256 /* path bytes a record carries at most (longer ones: RS_F_TRUNCATED) */

enum rs_file_kind { RS_FILE_OPENAT = 0, RS_FILE_UNLINKAT = 1, RS_FILE_KINDS = 2 };

/* Variable length: 40 bytes, then the path and its NUL, padded to 8 (48 to 304 bytes). */
struct rs_file_event {
	struct rs_hdr h;  /* kind: enum rs_file_kind */
	__u32 path_len;   /* bytes of path before its NUL (≤ RS_PATH_CAP) */
	__s32 dfd;        /* the directory fd argument */
	char path[];      /* path_len bytes + NUL */
};

#endif
