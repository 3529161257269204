#!/usr/bin/python3
"""Writes fuzz/corpus/fuzz_record/: records of every catalog program laid out as bpf/*.h define
them, in fuzz_record's input format (see fuzz/fuzz_record.cpp). Rerun when the record ABI changes.

    fuzz/make_record_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_record")
STAMPED, USER, TRUNCATED = 1, 2, 4
SYSCALL_TAP, FILE_OPS, EXEC, TCP_CONNECT, FUNCTION_TIMING, MEMORY_ALLOC = 1, 2, 3, 4, 5, 6


def pad8(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 8)


def record(prog: int, kind: int, payload: bytes, flags: int = STAMPED, t_hook=1_000_000, t_submit=1_000_500) -> bytes:
    body = pad8(payload)
    hdr = struct.pack("<HBBHHIIQQ", 32 + len(body), prog, flags, kind, 1, 4242, 4243, t_hook, t_submit)
    return hdr + body


def syscall(nr=1, t_user=999_000, payload=b""):
    return record(SYSCALL_TAP, nr, struct.pack("<QQQQ", 3, 0x7F0000001000, 64, t_user) + payload,
                  STAMPED | (USER if t_user else 0))


def file_op(kind=0, path=b"/tmp/ringside-files/abc"):
    return record(FILE_OPS, kind, struct.pack("<Ii", len(path), -100) + path + b"\0")


def exec_(filename=b"/bin/true", argv=(b"true", b"--version")):
    strings = filename + b"\0" + b"".join(a + b"\0" for a in argv)
    return record(EXEC, 0, struct.pack("<HHI", len(filename), len(argv), len(strings)) + strings)


def tcp(family=2, daddr=bytes([127, 0, 0, 1]) + bytes(12), dport=8080):
    return record(TCP_CONNECT, 0, struct.pack("<HHHH", family, 0, dport, 0) + bytes(16) + daddr)


def call(duration=1234, ret=0):
    return record(FUNCTION_TIMING, 0, struct.pack("<QQ", duration, ret))


def alloc(kind=0, size=64, ptr=0x5555_0000, old=0):
    return record(MEMORY_ALLOC, kind, struct.pack("<QQQ", size, ptr, old))


def seed(name: str, mode: int, mask: int, start: int, records, flags=()):
    out = bytes([mode, mask, start])
    for i, r in enumerate(records):
        word = len(r) | (flags[i] if i < len(flags) else 0)
        out += struct.pack("<H", word) + r
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    every = [syscall(), file_op(), exec_(), tcp(), call(), alloc()]
    seed("all_programs_ring", 0, 0, 0, every)
    seed("all_programs_perf", 1, 0, 0, [r + b"\0" * 4 for r in every])  # perf samples carry padding
    seed("syscall_payload", 4, 1, 0, [syscall(payload=b"RNGSIDST" + b"x" * 56)])
    seed("syscall_payload_256", 8, 1, 250, [syscall(payload=bytes(range(256)))])
    seed("wraps_the_ring", 0, 0, 255, [syscall(nr=n) for n in range(40)])
    seed("discard_and_busy", 0, 0, 3, [syscall(), file_op(), tcp(), call()], flags=(0, 0x8000, 0x4000, 0))
    seed("file_ops_truncated", 0, 2, 0, [file_op(path=b"p" * 256), file_op(kind=1, path=b"\x01\"\\\x7f")])
    seed("exec_argv", 0, 4, 0, [exec_(argv=tuple(b"a" * 64 for _ in range(5))), exec_(b"", ())])
    seed("tcp_v6", 0, 8, 0, [tcp(family=10, daddr=bytes(15) + b"\x01")])
    seed("alloc_kinds", 0, 32, 0, [alloc(kind=k) for k in range(5)] + [alloc(kind=7)])
    seed("malformed", 0, 0, 0, [syscall()[:40], syscall()[:-8], b"\0" * 12, record(99, 0, b"x" * 32)])
    seed("opaque", 2, 0, 0, [struct.pack("<QQ", 7, 1_000_000), b"\1" * 200, b"\2" * 4])


if __name__ == "__main__":
    main()
