#!/usr/bin/env python3
"""Prints bench/peers' single table from the rows TSV (and the skipped peers with reasons)."""
import sys

HEAD = ("peer", "workload", "ops/s", "slowdown % [CI95]", "agent CPU %", "BPF ns/event", "drops/lost")


def main(rows_path, skips_path, duration, repeat):
    rows = [line.rstrip("\n").split("\t") for line in open(rows_path) if line.strip()]
    table = []
    for peer, kind, ops, slow, lo, hi, cpu, ns, drops in rows:
        slowdown = "-" if slow == "-" else f"{slow} [{lo}, {hi}]"
        table.append((peer, kind, ops, slowdown, cpu, ns, drops))
    widths = [max(len(str(r[i])) for r in [HEAD] + table) for i in range(len(HEAD))]
    print(f"\nsame storm for every peer: 1 thread, rate max, {duration} s x {repeat} interleaved rounds "
          "(+1 warm-up); slowdown vs. each peer's own paired baseline")
    for r in [HEAD] + table:
        print("  ".join(str(c).ljust(w) if i < 2 or i == 6 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    for line in open(skips_path):
        if line.strip():
            peer, why = line.rstrip("\n").split("\t", 1)
            print(f"skipped {peer}: {why}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
