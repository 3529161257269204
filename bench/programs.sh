#!/usr/bin/env bash
# programs.sh: what each catalog program costs, on its own workload, at one open-loop rate.
#
# One `ringside run --program P --phases baseline,floor,traced` per program (interleaved rounds
# inside each run); the table is the programs' summaries: records per op, conservation, BPF and
# user ns per event, tracer % of the machine, slowdown vs baseline and the hook's floor.
#
#   bench/programs.sh [RATE [DURATION [REPEAT]]]     (default 10000 2 3)
# Environment: RINGSIDE=build/ringside OUT=/tmp/programs
# Measure alone: nothing else may run on the machine meanwhile.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ringside="${RINGSIDE:-$root/build/ringside}"
out="${OUT:-/tmp/programs}"
rate="${1:-10000}" duration="${2:-2}" repeat="${3:-3}"
py=/usr/bin/python3
[[ -x "$ringside" ]] || { echo "programs: $ringside not built" >&2; exit 2; }
mkdir -p "$out"
for p in syscall_tap file_ops exec tcp_connect function_timing memory_alloc; do
  r="$rate"
  [[ "$p" == exec ]] && r=$((rate < 1000 ? rate : 1000))  # a spawn per op: 1k/s is what exec storms reach here
  echo "programs: $p at $r/s" >&2
  "$ringside" run --program "$p" --rate "$r" --duration "$duration" --repeat "$repeat" \
    --phases baseline,floor,traced --no-report --out "$out/$p" >/dev/null 2>"$out/$p.err" || {
    echo "programs: $p failed (exit $?): $(tail -1 "$out/$p.err")" >&2; exit 1; }
done
"$py" - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
print(f"{'program':<16} {'rate/s':>7} {'per op':>6} {'expected':>9} {'received':>9} {'dropped':>8} {'conserved':>9} "
      f"{'bpf ns/ev':>9} {'user ns/ev':>10} {'tracer %':>8} {'floor %':>8} {'slowdown %':>10} {'bytes avg':>9}")
for p in ["syscall_tap", "file_ops", "exec", "tcp_connect", "function_timing", "memory_alloc"]:
    r = json.load(open(os.path.join(out, p, "results.json")))
    s = r["summary"]
    pr = s["programs"][p]
    ev, cpu, ov = pr["events"], pr["cpu"], s["overhead"]
    ops = s["workload"]["ops"]
    print(f"{p:<16} {r['scenario']['rate'] or 0:>7.0f} {ev['expected'] / max(ops, 1):>6.2f} {ev['expected']:>9} {ev['received']:>9} "
          f"{ev['dropped_total']:>8} {str(ev['conserved']).lower():>9} {cpu['kernel_ns_per_event']:>9.0f} {cpu['user_ns_per_event']:>10.0f} "
          f"{s['cpu']['pct_of_machine']:>8.3f} {ov.get('floor_slowdown_pct', float('nan')):>8.2f} {ov['slowdown_pct']:>10.2f} "
          f"{pr['record_bytes']['mean']:>9.0f}")
PY
