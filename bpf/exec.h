/* exec's record: one per execve(2) of a traced process or its children. Plain C. */
#ifndef RINGSIDE_EXEC_H
#define RINGSIDE_EXEC_H

#include "rs_record.h"

#define RS_EXEC_FILENAME_CAP 128 /* filename bytes a record carries at most */
#define RS_EXEC_MAX_ARGS 5       /* argv strings captured at most */
#define RS_EXEC_ARG_CAP 64       /* bytes of each argv string at most */

/* Variable length: 40 bytes, then the filename and its NUL, then `argc` argv strings each with
 * its NUL, padded to 8 (48 to 496 bytes). RS_F_TRUNCATED: a string hit its cap, or argv had more
 * than RS_EXEC_MAX_ARGS entries. */
struct rs_exec_event {
	struct rs_hdr h;
	__u16 filename_len; /* bytes of filename before its NUL */
	__u16 argc;         /* argv strings that follow the filename */
	__u32 strings_len;  /* bytes of filename and argv strings, NULs included */
	char strings[];
};

#endif
