/* tcp_connect's record: one per TCP connect attempt (a socket entering SYN_SENT). Plain C. */
#ifndef RINGSIDE_TCP_CONNECT_H
#define RINGSIDE_TCP_CONNECT_H

#include "rs_record.h"

/* 72 bytes: the 4-tuple, IPv4 addresses in the first 4 bytes of saddr/daddr. */
struct rs_tcp_event {
	struct rs_hdr h; /* kind 0 */
	__u16 family;    /* AF_INET or AF_INET6 */
	__u16 sport;     /* host byte order; 0 for IPv4/IPv6 connects: at SYN_SENT the kernel has
	                  * not chosen the source port yet (inet_hash_connect comes after) */
	__u16 dport;
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

#endif
