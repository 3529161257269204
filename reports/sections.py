"""Report sections beyond the single run: per-program breakdown, capacity sweep, comparisons,
agent measurement, kernel matrix and per-repetition runs. Each returns a list of render.py blocks."""
from model import (DASH, KIND_LABELS, NOT_MEASURED, conserved, fmt_bool, fmt_bytes, fmt_fixed, fmt_int,
                   fmt_num, fmt_pct, fmt_rate, fmt_sci, fmt_value, is_num, kind_counts, section,
                   total_dropped)


def _kv(pairs):
    return ("table", ["field", "value"], [[k, v] for k, v in pairs])


def _rate_or_none(x, none_text):
    return none_text if x is None else fmt_num(x)


def _verdict(ok):
    return DASH if ok is None else ("**PASS**" if ok else "**FAIL**")


# ------------------------------------------------------------------ programs
PROGRAM_HEADERS = ["program", "expected", "received", "dropped", "conserved", "BPF ns/event",
                   "user ns/event", "record bytes mean", "record bytes max", "e2e p50 (ns)", "e2e p99 (ns)"]


def _program_row(name, prog):
    ev, cpu, rec = (section(prog, k) or {} for k in ("events", "cpu", "record_bytes"))
    return [name, fmt_int(ev.get("expected")), fmt_int(ev.get("received")),
            fmt_int(total_dropped(ev)) if ev else DASH, _verdict(conserved(ev) if ev else None),
            fmt_fixed(cpu.get("kernel_ns_per_event"), 1), fmt_fixed(cpu.get("user_ns_per_event"), 1),
            fmt_fixed(rec.get("mean"), 1), fmt_int(rec.get("max")),
            fmt_int(_e2e(prog, "p50")), fmt_int(_e2e(prog, "p99"))]


def programs_sentence(progs):
    """Summary bullet: each program's received count, and whether all of them were conserved."""
    parts, verdicts = [], []
    for name, prog in progs.items():
        ev = section(prog, "events") or {}
        parts.append(f"{name} {fmt_int(ev.get('received'))}")
        verdicts.append(conserved(ev) if ev else None)
    text = f"{len(progs)} — received " + ", ".join(parts)
    if verdicts and all(v is True for v in verdicts):
        return text + "; every program conserved"
    bad = [n for n, v in zip(progs, verdicts) if v is False]
    if bad:
        return text + f"; **FAIL**: {', '.join(bad)} not conserved"
    return text + "; conservation not verifiable for every program"


def programs_blocks(summary):
    out = [("h", 2, "Programs")]
    progs = section(summary, "programs")
    if not progs:
        return out + [("p", NOT_MEASURED)]
    out.append(("table", PROGRAM_HEADERS, [_program_row(name, p) for name, p in progs.items()]))
    kinds = []
    for name, prog in progs.items():
        ev = section(prog, "events") or {}
        key, counts = kind_counts(ev)
        received = ev.get("received")
        for kind, n in counts.items():
            share = fmt_pct(100.0 * n / received) if is_num(n) and is_num(received) and received > 0 else ""
            kinds.append([name, KIND_LABELS[key], str(kind), fmt_int(n), share])
    if kinds:
        out.append(("h", 3, "Events per program by kind"))
        out.append(("table", ["program", "by", "name", "received", "% of program"], kinds))
    bpf = []
    for name, prog in progs.items():
        cpu = section(prog, "cpu") or {}
        total = cpu.get("bpf_ns")
        for bp in section(cpu, "bpf_by_prog", list) or ():
            t = bp.get("run_time_ns")
            share = fmt_pct(100.0 * t / total) if is_num(t) and is_num(total) and total > 0 else ""
            bpf.append([name, fmt_value(bp.get("id"), ids=True), fmt_int(t), share])
    if bpf:
        out.append(("h", 3, "BPF programs per program"))
        out.append(("table", ["program", "BPF prog id", "run_time_ns", "% of program BPF ns"], bpf))
    return out


def capacity_blocks(results, budget):
    out = [("h", 2, "Capacity (sweep)")]
    sweep = section(results, "sweep")
    if not sweep:
        return out + [("p", NOT_MEASURED)]
    npe = section(sweep, "ns_per_event") or {}
    no_rates = f"{NOT_MEASURED} (no rate points)"
    rated = bool(section(sweep, "points", list))
    pairs = [("workload", str(sweep.get("workload") or DASH)),
             ("budget (% of machine)", fmt_pct(sweep.get("budget_pct", budget))),
             ("max rate without drops (events/s)",
              _rate_or_none(sweep.get("max_rate_no_drops"), "none (drops at every rate)" if rated else no_rates)),
             ("max rate within budget (events/s)",
              _rate_or_none(sweep.get("max_rate_within_budget"),
                            "none (over budget at every rate)" if rated else no_rates)),
             ("kernel CPU per event (ns)", fmt_fixed(npe.get("kernel"), 1)),
             ("user CPU per event (ns)", fmt_fixed(npe.get("user"), 1))]
    if "record_bytes" in sweep:
        pairs.append(("mean record size measured (bytes)", fmt_fixed(sweep.get("record_bytes"), 1)))
    out.append(_kv(pairs))

    model = section(sweep, "model") or {}
    if model:
        out.append(("h", 3, "Cost model (CPU % of machine = a + b × events/s)"))
        rows, fitted = [], []
        for part in ("kernel", "user", "total"):
            m = model.get(part)
            if isinstance(m, dict):
                rows.append([part, fmt_sci(m.get("a")), fmt_sci(m.get("b")), fmt_fixed(m.get("r2"), 4),
                             fmt_int(m.get("n"))])
                fitted.append(m.get("n") != 0 and any(m.get(k) for k in ("a", "b", "r2")))
        out.append(("table", ["part", "a (%)", "b (% per event/s)", "r²", "points"], rows))
        if fitted and not any(fitted):
            out.append(("p", "no fit: the sweep has no rate points (the model is all zeros)"))

    out.append(("h", 3, "Ring buffer recommendation"))
    ring = section(sweep, "ring_recommendation")
    if ring:
        out.append(_kv([("burst rate (events/s)", fmt_num(ring.get("burst_rate"))),
                        ("burst length (s)", fmt_fixed(ring.get("burst_seconds"), 3)),
                        ("drain rate (events/s)", fmt_num(ring.get("drain_rate"))),
                        ("record size (bytes)", fmt_num(ring.get("record_bytes"))),
                        ("bytes needed", fmt_bytes(ring.get("bytes_needed"))),
                        ("recommended ring size (bytes)", fmt_bytes(ring.get("ring_bytes")))]))
    else:
        out.append(("p", "none (no burst needed a larger ring, or not computed)"))

    out.append(("h", 3, "Plan"))
    plan = section(sweep, "plan")
    if plan:
        within = plan.get("within_budget")
        out.append(_kv([("planned rate (events/s)", fmt_num(plan.get("rate"))),
                        ("CPUs", fmt_int(plan.get("cpus"))),
                        ("predicted tracer CPU (% of machine)", fmt_pct(plan.get("predicted_pct"))),
                        ("verdict", DASH if within is None else
                         ("**WITHIN BUDGET**" if within else "**OVER BUDGET**"))]))
    else:
        out.append(("p", "no plan requested"))

    out += sweep_points_blocks(sweep)
    out += record_size_blocks(sweep)
    return out


def sweep_points_blocks(sweep):
    points = section(sweep, "points", list) or []
    out = [("h", 3, "Sweep points")]
    if not points:
        return out + [("p", NOT_MEASURED)]
    headers = ["target (events/s)", "achieved (events/s)", "expected", "received", "dropped",
               "e2e p50 (ns)", "e2e p99 (ns)", "tracer CPU", "BPF CPU", "user CPU", "slowdown",
               "budget"]
    rows = [[fmt_rate(p.get("target_rate")), fmt_num(p.get("achieved_rate")),
             fmt_int(p.get("expected")), fmt_int(p.get("received")), fmt_int(p.get("dropped")),
             fmt_int(p.get("e2e_p50_ns")), fmt_int(p.get("e2e_p99_ns")),
             fmt_pct(p.get("tracer_cpu_pct")), fmt_pct(p.get("bpf_cpu_pct")),
             fmt_pct(p.get("user_cpu_pct")), fmt_pct(p.get("slowdown_pct")),
             fmt_bool(p.get("within_budget"), "within", "over")] for p in points]
    out.append(("table", headers, rows))
    return out


RECORD_SIZE_HEADERS = ["payload (bytes)", "record bytes (mean)", "target (events/s)", "achieved (events/s)",
                       "expected", "received", "dropped", "e2e p50 (ns)", "e2e p99 (ns)",
                       "kernel ns/event", "user ns/event", "tracer CPU", "BPF CPU", "user CPU", "slowdown",
                       "budget", "conserved"]


def record_size_blocks(sweep):
    """sweep.payload_points: the same workload at several record sizes (sweep --payload-sizes)."""
    points = section(sweep, "payload_points", list)
    if not points:
        return []
    rows = [[fmt_int(p.get("payload_bytes")), fmt_fixed(p.get("record_bytes"), 1),
             fmt_rate(p.get("target_rate")), fmt_num(p.get("achieved_rate")),
             fmt_int(p.get("expected")), fmt_int(p.get("received")), fmt_int(p.get("dropped")),
             fmt_int(p.get("e2e_p50_ns")), fmt_int(p.get("e2e_p99_ns")),
             fmt_fixed(p.get("kernel_ns_per_event"), 1), fmt_fixed(p.get("user_ns_per_event"), 1),
             fmt_pct(p.get("tracer_cpu_pct")), fmt_pct(p.get("bpf_cpu_pct")), fmt_pct(p.get("user_cpu_pct")),
             fmt_pct(p.get("slowdown_pct")), fmt_bool(p.get("within_budget"), "within", "over"),
             _verdict(p.get("conserved"))] for p in points]
    return [("h", 3, "Record size"), ("table", RECORD_SIZE_HEADERS, rows)]


def _by_record_size(sweep):
    pts = [p for p in section(sweep, "payload_points", list) or () if is_num(p.get("record_bytes"))]
    return sorted(pts, key=lambda p: p["record_bytes"])


def record_size_sentence(sweep):
    """Summary bullet: rate and per-event cost at the smallest and largest record measured."""
    pts = _by_record_size(sweep)
    if len(pts) < 2:
        return None
    lo, hi = pts[0], pts[-1]
    return (f"{fmt_fixed(lo['record_bytes'], 1)} → {fmt_fixed(hi['record_bytes'], 1)} bytes per record: "
            f"{fmt_num(lo.get('achieved_rate'))} → {fmt_num(hi.get('achieved_rate'))} events/s, "
            f"kernel {fmt_fixed(lo.get('kernel_ns_per_event'), 1)} → "
            f"{fmt_fixed(hi.get('kernel_ns_per_event'), 1)} ns/event, "
            f"user {fmt_fixed(lo.get('user_ns_per_event'), 1)} → {fmt_fixed(hi.get('user_ns_per_event'), 1)} "
            f"ns/event")


def _e2e(summary, key):
    e2e = (section(summary, "latency_ns") or {}).get("end_to_end")
    return e2e.get(key) if isinstance(e2e, dict) else None


def comparison_blocks(results):
    out = [("h", 2, "Transport / wake-up comparison")]
    comps = section(results, "comparisons", list)
    if not comps:
        return out + [("p", f"{NOT_MEASURED} (run with several --wakeup / --transport values)")]
    headers = ["config", "ops/s", "slowdown", "e2e p50 (ns)", "e2e p99 (ns)", "tracer CPU",
               "CPU per event (ns)", "dropped", "conserved"]
    rows = []
    for c in comps:
        s = c["summary"]
        wl, ov, cpu = (section(s, k) or {} for k in ("workload", "overhead", "cpu"))
        ev = section(s, "events") or {}
        ops = wl.get("ops_per_sec", ov.get("traced_ops_per_sec"))
        ok = conserved(ev) if ev else None
        rows.append([str(c.get("label") or f"{c.get('transport')}/{c.get('wakeup')}"),
                     fmt_num(ops), fmt_pct(ov.get("slowdown_pct")),
                     fmt_int(_e2e(s, "p50")), fmt_int(_e2e(s, "p99")),
                     fmt_pct(cpu.get("pct_of_machine")), fmt_fixed(cpu.get("ns_per_event"), 1),
                     fmt_int(total_dropped(ev)) if ev else DASH, _verdict(ok)])
    out.append(("table", headers, rows))
    return out


def measure_blocks(results):
    out = [("h", 2, "Agent measurement")]
    m = section(results, "measure")
    if not m:
        return out + [("p", f"{NOT_MEASURED} (`ringside measure --agent CMD` was not run)")]
    pairs = []
    for k, v in m.items():
        if k == "bpf_programs":
            continue
        if k == "agent":
            pairs.append(("agent", f"`{v}`"))
        elif k.endswith("_pct") and is_num(v):
            pairs.append((k, fmt_pct(v)))
        else:
            pairs.append((k, fmt_value(v)))
    out.append(_kv(pairs))
    progs = section(m, "bpf_programs", list) or []
    if progs:
        rows = []
        for p in progs:
            cnt, t = p.get("run_cnt"), p.get("run_time_ns")
            per = fmt_fixed(t / cnt, 1) if is_num(cnt) and is_num(t) and cnt > 0 else DASH
            rows.append([fmt_int(p.get("id")), str(p.get("name") or DASH), fmt_int(cnt), fmt_int(t), per])
        out.append(("table", ["id", "program", "run_cnt", "run_time_ns", "ns per run"], rows))
    return out


def matrix_cell(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    return DASH if v is None else str(v)


def matrix_blocks(matrix):
    out = [("h", 2, "Kernel matrix")]
    if not matrix:
        return out + [("p", f"{NOT_MEASURED} (no matrix.json next to results.json)")]
    headers = ["kernel", "version", "flavor", "boots", "BTF", "ringbuf", "perfbuf",
               "conservation ringbuf", "conservation perfbuf", "e2e p50 (ns)", "e2e p99 (ns)",
               "CPU per event (ns)", "status", "reason"]
    rows = []
    for k in matrix.get("kernels") or []:
        cons = k.get("conservation") if isinstance(k.get("conservation"), dict) else {}
        status = str(k.get("status") or DASH)
        rows.append([str(k.get("name") or DASH), str(k.get("version") or DASH),
                     str(k.get("flavor") or DASH),
                     matrix_cell(k.get("boots")), matrix_cell(k.get("btf")),
                     matrix_cell(k.get("ringbuf")), matrix_cell(k.get("perfbuf")),
                     matrix_cell(cons.get("ringbuf")), matrix_cell(cons.get("perfbuf")),
                     fmt_int(k.get("e2e_p50_ns")), fmt_int(k.get("e2e_p99_ns")),
                     fmt_fixed(k.get("ns_per_event"), 1),
                     {"pass": "**PASS**", "fail": "**FAIL**"}.get(status, status),
                     str(k.get("reason") or "")])
    out.append(("table", headers, rows))
    return out


def runs_blocks(results):
    out = [("h", 2, "Repetitions")]
    runs = section(results, "runs", list)
    if not runs:
        return out + [("p", NOT_MEASURED)]
    headers = ["#", "phase", "ops/s", "expected", "received", "dropped", "e2e p50 (ns)",
               "e2e p99 (ns)", "tracer CPU"]
    rows = []
    for i, r in enumerate(runs):
        wl, cpu = section(r, "workload") or {}, section(r, "cpu") or {}
        ev = section(r, "events")
        rows.append([fmt_int(r.get("index", i)), str(r.get("phase") or DASH),
                     fmt_num(wl.get("ops_per_sec")),
                     fmt_int(ev.get("expected")) if ev else DASH,
                     fmt_int(ev.get("received")) if ev else DASH,
                     fmt_int(total_dropped(ev)) if ev else DASH,
                     fmt_int(_e2e(r, "p50")), fmt_int(_e2e(r, "p99")),
                     fmt_pct(cpu.get("pct_of_machine"))])
    out.append(("table", headers, rows))
    prog_rows = [[fmt_int(r.get("index", i)), str(r.get("phase") or DASH)] + _program_row(name, p)
                 for i, r in enumerate(runs) for name, p in (section(r, "programs") or {}).items()]
    if prog_rows:
        out.append(("h", 3, "Programs per repetition"))
        out.append(("table", ["#", "phase"] + PROGRAM_HEADERS, prog_rows))
    return out
