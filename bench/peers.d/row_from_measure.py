#!/usr/bin/env python3
"""One table row for a peer agent measured by `ringside measure` (DIR/results.json + agent logs).

    row_from_measure.py PEER DIR [--lost-on-stderr]

Drops/lost, when the agent tells: perf-buffer losses it printed on stderr ("Lost N events",
"lost N events on CPU #c"; with --lost-on-stderr the agent is known to report them there, so none
printed means 0), and for a bpftrace count map (@c: N) how many of the workload's ops it did not
count (negative: it also counted other processes with the same comm).
"""
import json
import os
import re
import sys

LOST = re.compile(r"\blost (\d+) events?", re.IGNORECASE)
COUNT = re.compile(r"^@c:\s*(\d+)\s*$", re.MULTILINE)


def measured(run):
    return run.get("index", 0) > 0 and run.get("valid", True)


def main(peer, out_dir, lost_on_stderr):
    with open(os.path.join(out_dir, "results.json")) as f:
        r = json.load(f)
    s, m = r["summary"], r["measure"]
    rounds = {run["index"] for run in r["runs"] if run["phase"] == "agent" and measured(run)}
    ops = {run["index"]: run["workload"]["ops"] for run in r["runs"] if run["phase"] == "agent" and measured(run)}
    lost = uncounted = 0
    saw_lost = saw_count = False
    for i in sorted(rounds):
        err = os.path.join(out_dir, f"agent-{i}.err")
        out = os.path.join(out_dir, f"agent-{i}.out")
        text = open(err, errors="replace").read() if os.path.exists(err) else ""
        for n in LOST.findall(text):
            lost += int(n)
            saw_lost = True
        text = open(out, errors="replace").read() if os.path.exists(out) else ""
        counts = COUNT.findall(text)
        if counts:
            uncounted += ops[i] - int(counts[-1])
            saw_count = True
    drops = []
    if saw_count:
        drops.append(f"{uncounted} uncounted" if uncounted >= 0 else f"{-uncounted} over-counted (same comm elsewhere)")
    if saw_lost or lost_on_stderr:
        drops.append(f"{lost} lost")
    ov, cpu = s["overhead"], s["cpu"]
    print("\t".join([peer, r["scenario"]["workload"], f"{ov['traced_ops_per_sec']:.0f}", f"{ov['slowdown_pct']:.1f}",
                     f"{ov['ci95'][0]:.1f}", f"{ov['ci95'][1]:.1f}", f"{cpu['pct_of_machine']:.2f}",
                     f"{cpu['kernel_ns_per_event']:.0f}", ", ".join(drops) or "-"]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--lost-on-stderr" in sys.argv[3:])
