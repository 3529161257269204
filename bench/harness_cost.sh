#!/usr/bin/env bash
# harness_cost.sh: what ringside's own pipeline costs, by configuration, interleaved.
#
# For each rate (open loop) and each configuration, one `ringside run --phases baseline,traced`
# round; configurations take turns within a repetition, so drift hits them alike. Reported per
# (rate, configuration): medians over the repetitions of the tracer's % of the machine (BPF +
# consumer + workers), its kernel (BPF) and user ns per event, and drops.
#
#   bench/harness_cost.sh [REPS [RATES]]      (default 5 "0 1000 10000 50000 max"; 0 = idle,
#                                              measured by `trace` on a sleeping pid; max =
#                                              closed loop)
# Environment: RINGSIDE=build/ringside OUT=/tmp/harness-cost DURATION=3
#              CONFIGS="workers:--workers 1;inline:--inline"  (name:flags;...)
# Measure alone: nothing else may run on the machine meanwhile.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ringside="${RINGSIDE:-$root/build/ringside}"
out="${OUT:-/tmp/harness-cost}"
reps="${1:-5}"
read -r -a rates <<<"${2:-0 1000 10000 50000 max}"
duration="${DURATION:-3}"
IFS=';' read -r -a configs <<<"${CONFIGS:-workers:--workers 1;inline:--inline}"
py=/usr/bin/python3
[[ -x "$ringside" ]] || { echo "harness_cost: $ringside not built" >&2; exit 2; }
mkdir -p "$out"
csv="$out/cost.csv"
echo "rep,rate,config,pct_of_machine,kernel_ns_per_event,user_ns_per_event,consumer_ns,workers_ns,bpf_ns,wall_ns,dropped,events,ops_per_sec,baseline_ops_per_sec" >"$csv"
for ((rep = 1; rep <= reps; rep++)); do
  for rate in "${rates[@]}"; do
    for c in "${configs[@]}"; do
      name="${c%%:*}" flags="${c#*:}"
      read -r -a extra <<<"$flags"
      dir="$out/r$rep-$rate-$name"
      rm -rf "$dir"
      if [[ "$rate" == 0 ]]; then
        sleep 600 &
        sp=$!
        "$ringside" trace --pid "$sp" --syscalls write --duration "$duration" --out "$dir" "${extra[@]}" >/dev/null 2>"$dir.err" || { kill "$sp"; cat "$dir.err" >&2; exit 1; }
        kill "$sp"; wait "$sp" 2>/dev/null || true
      else
        "$ringside" run --workload write --rate "$rate" --duration "$duration" --repeat 1 --phases baseline,traced \
          --no-report --out "$dir" "${extra[@]}" >/dev/null 2>"$dir.err" || { cat "$dir.err" >&2; exit 1; }
      fi
      "$py" - "$dir/results.json" "$rep" "$rate" "$name" >>"$csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if r["command"] == "trace":
    c, ev = r["summary"]["cpu"], r["summary"]["events"]
    ops = base = 0
else:
    run = [x for x in r["runs"] if x["phase"] == "traced"][-1]
    c, ev = run["cpu"], run["events"]
    ops, base = r["summary"]["overhead"]["traced_ops_per_sec"], r["summary"]["overhead"]["baseline_ops_per_sec"]
print(",".join(str(v) for v in [sys.argv[2], sys.argv[3], sys.argv[4], c["pct_of_machine"], c["kernel_ns_per_event"],
      c["user_ns_per_event"], c["consumer_ns"], c["workers_ns"], c["bpf_ns"], c["wall_ns"], ev["dropped_total"], ev["received"],
      ops, base]))
PY
      echo "rep $rep rate $rate $name: $(tail -1 "$csv")" >&2
    done
  done
done
"$py" - "$csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
order = lambda rate: float("inf") if rate == "max" else float(rate)
keys = sorted({(r["rate"], r["config"]) for r in rows}, key=lambda k: (order(k[0]), k[1]))
print(f"{'rate/s':>8} {'config':<12} {'tracer %':>9} {'kernel ns/ev':>13} {'user ns/ev':>11} {'consumer ms/s':>14} {'workers ms/s':>13} {'drops':>6} {'traced/base':>11}  (medians of {len({r['rep'] for r in rows})})")
for rate, cfg in keys:
    g = [r for r in rows if r["rate"] == rate and r["config"] == cfg]
    med = lambda f: statistics.median(float(r[f]) for r in g)
    per_s = lambda f: statistics.median(float(r[f]) / float(r["wall_ns"]) * 1e3 for r in g)
    print(f"{rate:>8} {cfg:<12} {med('pct_of_machine'):>9.3f} {med('kernel_ns_per_event'):>13.0f} {med('user_ns_per_event'):>11.0f} "
          f"{per_s('consumer_ns'):>14.2f} {per_s('workers_ns'):>13.2f} {med('dropped'):>6.0f} "
          f"{statistics.median(float(r['ops_per_sec']) / float(r['baseline_ops_per_sec']) if float(r['baseline_ops_per_sec']) else 0 for r in g):>11.3f}")
PY
