#!/usr/bin/env bash
# gate_interleave.sh: the interleaved gate's error rates on this machine.
#
#   aa     A/A: both sides the same build and options; every regression verdict is a false alarm
#   e2e    B gets --inject-handler-delay-ns N with N = 25 % of the end-to-end p50 (calibrated
#          below): every regression verdict is a detection
#   cpu    B gets N = 10 % of the CPU ns/event: every regression verdict is a detection
# Each gate is `ringside gate --interleave --workload write --rate 20000 --wakeup every` with its
# defaults (alpha 0.01, looks at 12/24/36/48 pairs, 5 % threshold, runs of 0.4 s after a 0.1 s
# warm-up round where the build has `run --warmup-s`: gate.json run_warmup_s). Outcomes go to
# $OUT/gates.csv, so batches accumulate: rerun with the same OUT to add gates, and the summary
# counts everything in the file. $OUT/looks.csv has every look's primary metrics (bench/gate_replay.py).
#
#   bench/gate_interleave.sh [AA_GATES [E2E_GATES [CPU_GATES]]]     (default 124 59 60)
# Environment: RINGSIDE=build/ringside OUT=/tmp/gate-interleave GATE_ARGS="" (extra gate flags)
# Measure alone: nothing else may run on the machine meanwhile.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ringside="${RINGSIDE:-$root/build/ringside}"
out="${OUT:-/tmp/gate-interleave}"
aa="${1:-124}" e2e="${2:-59}" cpu="${3:-60}"
read -r -a gate_args <<<"${GATE_ARGS:-}"
shared=(--workload write --rate 20000 --wakeup every)
py=/usr/bin/python3
[[ -x "$ringside" ]] || { echo "gate_interleave: $ringside not built" >&2; exit 2; }
mkdir -p "$out"
csv="$out/gates.csv"
[[ -f "$csv" ]] || echo "kind,index,exit,outcome,pairs,wall_s,delay_ns,e2e_change_pct,cpu_change_pct" >"$csv"

# Calibration: five single runs of side A's configuration; the medians of their e2e p50 and CPU
# ns/event give the delays (kept in $out/calibration.txt so later batches use the same ones).
if [[ ! -f "$out/calibration.txt" ]]; then
  for i in 1 2 3 4 5; do
    "$ringside" run "${shared[@]}" --phases traced --repeat 1 --duration 0.4 --no-report --out "$out/cal-$i" >/dev/null 2>&1
  done
  "$py" - "$out" <<'PY' >"$out/calibration.txt"
import json, statistics, sys
out = sys.argv[1]
runs = [json.load(open(f"{out}/cal-{i}/results.json"))["runs"] for i in range(1, 6)]
traced = [r for rs in runs for r in rs if r.get("phase") == "traced"]
e2e = statistics.median(r["latency_ns"]["end_to_end"]["p50"] for r in traced)
cpu = statistics.median(r["cpu"]["ns_per_event"] for r in traced)
print(f"{e2e:.0f} {cpu:.0f} {round(0.25 * e2e)} {round(0.10 * cpu)}")
PY
fi
read -r e2e_p50 cpu_ns e2e_delay cpu_delay <"$out/calibration.txt"
echo "gate_interleave: e2e p50 ${e2e_p50} ns, CPU ${cpu_ns} ns/event: +25 % e2e = ${e2e_delay} ns, +10 % CPU = ${cpu_delay} ns"

one_gate() {  # kind index delay
  local kind="$1" i="$2" delay="$3" dir="$out/$1-$2" b=""
  [[ "$delay" != 0 ]] && b="--inject-handler-delay-ns $delay"
  rm -rf "$dir"
  local code=0
  "$ringside" gate --interleave "${shared[@]}" --a "" --b "$b" --out "$dir" "${gate_args[@]}" >"$dir.log" 2>&1 || code=$?
  "$py" - "$dir/gate.json" "$kind" "$i" "$code" "$delay" >>"$csv" <<'PY'
import json, sys
path, kind, i, code, delay = sys.argv[1:]
try:
    g = json.load(open(path))
except OSError:
    print(f"{kind},{i},{code},error,0,0,{delay},,"); sys.exit()
m = {x["name"]: x for x in g["result"]["metrics"]}
ch = lambda n: f'{m[n]["change"]:.2f}' if n in m else ""
print(f'{kind},{i},{code},{g["outcome"]},{g["result"]["pairs"]},{g["wall_s"]:.1f},{delay},'
      f'{ch("latency.end_to_end.p50")},{ch("cpu.ns_per_event")}')
PY
  tail -1 "$csv"
}

next_index() { awk -F, -v k="$1" '$1 == k' "$csv" | wc -l; }
# interleave the kinds, so drift over the batch touches each alike
for ((n = 0; n < aa || n < e2e || n < cpu; n++)); do
  ((n < aa)) && one_gate aa "$(next_index aa)" 0
  ((n < e2e)) && one_gate e2e "$(next_index e2e)" "$e2e_delay"
  ((n < cpu)) && one_gate cpu "$(next_index cpu)" "$cpu_delay"
done

"$py" - "$csv" <<'PY' | tee "$out/summary.txt"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for kind, what in (("aa", "false alarms"), ("e2e", "detections of +25 % e2e p50"), ("cpu", "detections of +10 % CPU")):
    r = [x for x in rows if x["kind"] == kind]
    if not r: continue
    hits = sum(x["exit"] == "1" for x in r)
    errors = sum(x["exit"] not in ("0", "1") for x in r)
    walls = [float(x["wall_s"]) for x in r if x["wall_s"]]
    pairs = [int(x["pairs"]) for x in r if x["pairs"]]
    print(f"{kind:4} {len(r):4} gates: {hits:4} {what}; errors {errors}; pairs median {statistics.median(pairs):.0f} "
          f"max {max(pairs)}; wall median {statistics.median(walls):.0f} s max {max(walls):.0f} s")
PY

# Every look's primary metrics (change, p_holm), so the batch can be replayed under another per-look
# level: bench/gate_replay.py replay "$out/looks.csv" LEVEL
"$py" "$root/bench/gate_replay.py" extract "$out" >"$out/looks.csv"
echo "gate_interleave: every look in $out/looks.csv"
