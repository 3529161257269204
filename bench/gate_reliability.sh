#!/usr/bin/env bash
# gate_reliability.sh: does `ringside gate` cry wolf, and does it sleep?
#
#   1. A/A: AA_PAIRS pairs of fresh, independent short runs of the same build, each pair
#      gated; every failure is a false alarm.
#   2. Power: measure the end_to_end p50 of the A/A runs, derive the handler delay N that
#      adds SHIFTS percent (N = p50 * pct / 100) and gate POWER_TRIALS fresh runs with
#      `--inject-handler-delay-ns N` against the A/A runs; every failure is a detection.
# Prints a summary table (and writes it to $OUT/summary.txt). Needs what `ringside run`
# needs (CAP_BPF) and /usr/bin/python3 for reading results.json.
#
# Size and scenario (environment):
#   RINGSIDE=build/ringside  AA_PAIRS=20  POWER_TRIALS=10  SHIFTS="10 25"
#   DURATION=1  REPEAT=9  RATE=20000  WORKLOAD=write  OUT=$(mktemp -d)  GATE_ARGS=""
#   RUN_ARGS="--wakeup every"  (added to every run: with the default batch:64 wake-up the
#   end_to_end p50 is ~1.5 ms of batching, and +10 % of that as handler time per event at
#   20000 events/s would saturate a worker instead of shifting latency by 10 %)
# Cost: about (2*AA_PAIRS + POWER_TRIALS*#SHIFTS) runs of 2*REPEAT*DURATION seconds each.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ringside="${RINGSIDE:-$root/build/ringside}"
aa_pairs="${AA_PAIRS:-20}"
power_trials="${POWER_TRIALS:-10}"
read -r -a shifts <<<"${SHIFTS:-10 25}"
duration="${DURATION:-1}"
repeat="${REPEAT:-9}"
rate="${RATE:-20000}"
workload="${WORKLOAD:-write}"
out="${OUT:-$(mktemp -d /tmp/gate-reliability.XXXXXX)}"
read -r -a gate_args <<<"${GATE_ARGS:-}"
read -r -a run_args <<<"${RUN_ARGS---wakeup every}"

[[ -x "$ringside" ]] || { echo "gate_reliability: $ringside not built" >&2; exit 2; }
(( aa_pairs >= 1 && power_trials >= 0 )) || { echo "gate_reliability: AA_PAIRS must be >= 1" >&2; exit 2; }
mkdir -p "$out"
runs=$(( 2 * aa_pairs + power_trials * ${#shifts[@]} ))
echo "gate_reliability: $runs runs (--duration $duration --repeat $repeat, interleaved phases) into $out"

# measure NAME [extra run args...]: one fresh short run into $out/NAME.
measure() {
  local name="$1"
  shift
  "$ringside" run --workload "$workload" --rate "$rate" --duration "$duration" --repeat "$repeat" \
    "${run_args[@]}" --out "$out/$name" "$@" >"$out/$name.log" 2>&1 \
    || { echo "gate_reliability: run $name failed, see $out/$name.log" >&2; exit 2; }
}

# e2e_p50 FILE...: median over every traced repetition of latency_ns.end_to_end.p50.
e2e_p50() {
  python3 - "$@" <<'EOF'
import json, statistics, sys
values = [r["latency_ns"]["end_to_end"]["p50"]
          for path in sys.argv[1:] for r in json.load(open(path))["runs"]
          if r.get("phase", "traced") == "traced" and "end_to_end" in r.get("latency_ns", {})]
print(statistics.median(values) if values else 0)
EOF
}

# judge BASE CUR LOG: gate one pair, print pass|fail|inconclusive|error.
judge() {
  local code=0
  "$ringside" gate --baseline "$1" --current "$2" "${gate_args[@]}" >"$3" 2>&1 || code=$?
  case "$code" in
    0) if grep -q '^gate: inconclusive' "$3"; then echo inconclusive; else echo pass; fi ;;
    1) echo fail ;;
    *) echo error ;;
  esac
}

declare -A tally
count() { tally["$1,$2"]=$(( ${tally["$1,$2"]:-0} + 1 )); }

echo "gate_reliability: A/A, $aa_pairs pairs"
for ((i = 1; i <= aa_pairs; i++)); do
  measure "aa$i-a"
  measure "aa$i-b"
  verdict="$(judge "$out/aa$i-a/results.json" "$out/aa$i-b/results.json" "$out/aa$i.gate.log")"
  count aa "$verdict"
  echo "  pair $i: $verdict"
done

baseline_files=("$out"/aa*-a/results.json)
p50="$(e2e_p50 "${baseline_files[@]}")"
echo "gate_reliability: baseline end_to_end p50 = ${p50} ns"

declare -A delay achieved
for pct in "${shifts[@]}"; do
  delay[$pct]="$(python3 -c "print(max(1, round($p50 * $pct / 100)))")"
  echo "gate_reliability: +$pct% -> --inject-handler-delay-ns ${delay[$pct]}, $power_trials trials"
  busy="$(python3 -c "print(round(${delay[$pct]} * $rate / 1e7, 1))")"  # % of one worker
  if python3 -c "import sys; sys.exit(0 if $busy > 50 else 1)"; then
    echo "gate_reliability: WARNING: the delay keeps one worker ${busy}% busy; queueing, not the delay," \
      "will dominate the shift (lower RATE or use a faster wake-up in RUN_ARGS)" >&2
  fi
  for ((t = 1; t <= power_trials; t++)); do
    base="$out/aa$(( (t - 1) % aa_pairs + 1 ))-a/results.json"
    measure "p$pct-$t" --inject-handler-delay-ns "${delay[$pct]}"
    verdict="$(judge "$base" "$out/p$pct-$t/results.json" "$out/p$pct-$t.gate.log")"
    count "p$pct" "$verdict"
    echo "  trial $t: $verdict"
  done
  if (( power_trials > 0 )); then
    shifted_files=("$out"/p"$pct"-*/results.json)
    achieved[$pct]="$(python3 -c "print(f'{($(e2e_p50 "${shifted_files[@]}") / $p50 - 1) * 100:+.1f}%')")"
  fi
done

row() {  # label key delay trials
  local fail="${tally["$2,fail"]:-0}" trials="$4"
  printf '%-16s %10s %7s %6s %6s %13s %6s %10s %9s\n' "$1" "$3" "$trials" "$fail" "${tally["$2,pass"]:-0}" \
    "${tally["$2,inconclusive"]:-0}" "${tally["$2,error"]:-0}" \
    "$(python3 -c "print(f'{100 * $fail / max(1, $trials):.1f}%')")" "${5:-}"
}
{
  printf '%-16s %10s %7s %6s %6s %13s %6s %10s %9s\n' comparison delay_ns trials fail pass inconclusive error fail_rate achieved
  row "A/A (no change)" aa 0 "$aa_pairs" "+0.0%"
  for pct in "${shifts[@]}"; do
    row "+$pct% e2e p50" "p$pct" "${delay[$pct]}" "$power_trials" "${achieved[$pct]:-n/a}"
  done
  echo "A/A fail_rate is the false-alarm rate (want ~0); shifted fail_rate is the power (want ~100% at +25%)."
} | tee "$out/summary.txt"
