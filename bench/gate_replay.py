#!/usr/bin/python3
"""gate_replay.py: the interleaved gate's recorded looks, and what another per-look level decides on them.

  gate_replay.py extract DIR...           every DIR/<kind>-<index>/gate.json (bench/gate_interleave.sh's
                                          layout) as CSV rows, one per look and primary metric
  gate_replay.py replay LOOKS.csv LEVEL   each gate's verdict had it compared p_holm with LEVEL at every look

Why a replay is exact: the pairs a gate measures do not depend on its rule (the order comes from the
seed), and a different per-look level only changes which looks say "regression": a look that said
"pass" (no primary metric beyond the threshold, none leaning worse) says so at any level, and a look
that said "undecided" because a metric was beyond the threshold but not significant says
"regression" under a level its p_holm is below. So the first recorded look where a primary metric
is beyond the threshold with p_holm < LEVEL is where the other rule stops with a regression, and a
gate with no such look ends as it did. Only levels at least the recorded one replay exactly.
"""
import csv
import glob
import json
import os
import sys
from collections import defaultdict

HIGHER_IS_BETTER = ("ops_per_sec",)
FIELDS = ["kind", "index", "run_warmup_s", "alpha_per_look", "threshold_pct", "outcome", "look_pairs", "metric",
          "change_pct", "p_holm"]


def extract(dirs):
    w = csv.DictWriter(sys.stdout, FIELDS, lineterminator="\n")
    w.writeheader()
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "*-*", "gate.json"))):
            kind, index = os.path.basename(os.path.dirname(path)).rsplit("-", 1)
            try:
                g = json.load(open(path))
            except (OSError, ValueError):
                continue
            if g.get("interrupted"):
                continue
            for look in g["looks"]:
                for m in look["metrics"]:
                    if not m["primary"]:
                        continue
                    w.writerow({"kind": kind, "index": index, "run_warmup_s": g.get("run_warmup_s", ""),
                                "alpha_per_look": look["alpha_per_look"], "threshold_pct": g["options"]["threshold_pct"],
                                "outcome": g["outcome"], "look_pairs": look["pairs"], "metric": m["name"],
                                "change_pct": m["change"], "p_holm": m["p_adjusted"]})


def replay(path, level):
    gates = defaultdict(list)
    for r in csv.DictReader(open(path)):
        gates[(r["kind"], int(r["index"]), r["run_warmup_s"])].append(r)
    summary = defaultdict(lambda: defaultdict(int))
    for (kind, index, warmup), rows in sorted(gates.items()):
        fired_at = None
        for r in sorted(rows, key=lambda r: int(r["look_pairs"])):
            change = float(r["change_pct"])
            bad = -change if r["metric"].endswith(HIGHER_IS_BETTER) else change
            if bad > float(r["threshold_pct"]) and r["p_holm"] and float(r["p_holm"]) < level:
                fired_at = int(r["look_pairs"])
                break
        was = rows[0]["outcome"]
        if level < float(rows[0]["alpha_per_look"]) * (1 - 1e-4) and was == "regression":  # printed levels round
            sys.exit(f"{kind}-{index}: a stricter level than the recorded {rows[0]['alpha_per_look']} cannot be replayed "
                     "on a gate that stopped on a regression (it would have gone on to pairs it never measured)")
        now = f"regression at {fired_at}" if fired_at else was
        s = summary[(kind, warmup)]
        s["gates"] += 1
        s["regression (recorded level)"] += was == "regression"
        s["regression (replayed level)"] += fired_at is not None
        if (was == "regression") != (fired_at is not None):
            print(f"{kind}-{index} (warm-up {warmup} s): {was} -> {now}")
    print(f"per-look level {level}:")
    for (kind, warmup), s in sorted(summary.items()):
        print(f"  {kind:4} warm-up {warmup:>4} s: {s['gates']} gates, regressions {s['regression (recorded level)']} "
              f"recorded, {s['regression (replayed level)']} replayed")


def main(argv):
    if len(argv) >= 2 and argv[1] == "extract":
        extract(argv[2:])
    elif len(argv) == 4 and argv[1] == "replay":
        replay(argv[2], float(argv[3]))
    else:
        sys.exit(__doc__.strip().splitlines()[0] + "\nusage: gate_replay.py extract DIR... | replay LOOKS.csv LEVEL")


if __name__ == "__main__":
    main(sys.argv)
