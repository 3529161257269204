#!/usr/bin/env python3
"""Table rows for ringside's own phases from one `ringside run --phases baseline,floor,bare,traced`.

Prints TSV: peer, workload, ops/s, slowdown %, ci lo, ci hi, cpu % of machine, bpf ns/event, drops.
"-" marks a number the phase does not measure.
"""
import json
import statistics
import sys


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def main(path):
    with open(path) as f:
        r = json.load(f)
    s = r["summary"]
    ov = s["overhead"]
    kind = r["scenario"].get("workload", "write")
    rows = [("baseline", ov["baseline_ops_per_sec"], None, None, None, None, None, None)]
    rows.append(("ringside-floor", ov["floor_ops_per_sec"], ov["floor_slowdown_pct"], *ov["floor_ci95"],
                 None, None, None))
    if "bare_ops_per_sec" in ov:
        bare = [run for run in r["runs"] if run.get("phase") == "bare" and "cpu" in run]
        cpu = statistics.median(run["cpu"]["pct_of_machine"] for run in bare) if bare else None
        ns = statistics.median(run["cpu"]["kernel_ns_per_event"] for run in bare) if bare else None
        lost = sum(run["events"]["kernel_reserve"] for run in bare) if bare else None
        rows.append(("ringside-bare", ov["bare_ops_per_sec"], ov["bare_slowdown_pct"], *ov["bare_ci95"], cpu, ns,
                     None if lost is None else f"{lost} kernel_reserve"))
    ev = s["events"]
    drops = f"{ev['dropped_total']} of {ev['expected']}" + ("" if ev["conserved"] else " NOT CONSERVED")
    rows.append(("ringside", ov["traced_ops_per_sec"], ov["slowdown_pct"], *ov["ci95"], s["cpu"]["pct_of_machine"],
                 s["cpu"]["kernel_ns_per_event"], drops))
    for peer, ops, slow, lo, hi, cpu, ns, drops in rows:
        print("\t".join([peer, kind, fmt(ops, ".0f"), fmt(slow, ".1f"), fmt(lo, ".1f"), fmt(hi, ".1f"),
                         fmt(cpu, ".2f"), fmt(ns, ".0f"), drops or "-"]))


if __name__ == "__main__":
    main(sys.argv[1])
