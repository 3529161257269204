/* lean_tap's record: a header and padding to 64 bytes (the size syscall_tap's records have). */
#ifndef RINGSIDE_LEAN_TAP_H
#define RINGSIDE_LEAN_TAP_H

#include "rs_record.h"

struct rs_lean_event {
	struct rs_hdr h;
	__u64 pad[4];
};

#endif
