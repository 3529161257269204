"""Build the report document (render.py blocks) from results.json: summary and per-run sections.

Sections about capacity and other runs/kernels live in sections.py.
"""
from model import (DASH, DROP_CAUSES, KIND_LABELS, NOT_MEASURED, PERCENTILES, STAGE_LABELS, STAGES,
                   budget_of, fmt_bool, fmt_dur, fmt_fixed, fmt_int, fmt_num, fmt_pct, fmt_rate, fmt_ratio,
                   fmt_value, conserved, is_num, kind_counts, section, total_dropped)
import sections


def conservation(events):
    """(verdict, sentence) for summary.events."""
    expected, received = events.get("expected"), events.get("received")
    dropped = section(events, "dropped") or {}
    drops = total_dropped(events)
    causes = [f"{k} {fmt_int(dropped.get(k, 0))}" for k in DROP_CAUSES]
    causes += [f"{k} {fmt_int(v)}" for k, v in dropped.items() if k not in DROP_CAUSES]
    detail = f"({', '.join(causes)})"
    if expected is None:
        return "UNVERIFIED", (f"expected count unknown; received {fmt_int(received)}, "
                              f"dropped {fmt_int(drops)} {detail}")
    gap = expected - received - drops
    verdict = "PASS" if conserved(events) else "FAIL"
    rel = "=" if gap == 0 else "≠"
    text = (f"expected {fmt_int(expected)} {rel} received {fmt_int(received)} + "
            f"dropped {fmt_int(drops)} {detail}")
    if gap != 0:
        text += f"; {fmt_int(abs(gap))} events {'unaccounted for' if gap > 0 else 'too many'}"
    return verdict, text


def cpu_verdict(cpu, budget):
    pct = cpu.get("pct_of_machine")
    within = cpu.get("within_budget")
    if within is None and is_num(pct):
        within = pct <= budget
    if within is None:
        return None
    return "WITHIN BUDGET" if within else "OVER BUDGET"


def what_was_run(results):
    host, sc = results["host"], results["scenario"]
    parts = [f"`ringside {results.get('command') or '?'}`"]
    if sc.get("workload"):
        rate = sc.get("rate")
        parts.append(f"workload **{sc['workload']}** at "
                     + ("max rate (unpaced)" if rate in (None, "max") else f"{fmt_value(rate)} ops/s"))
    if sc.get("pids"):
        parts.append(f"pids {fmt_value(sc['pids'], ids=True)}")
    if sc.get("syscalls"):
        parts.append(f"syscalls {fmt_value(sc['syscalls'])}")
    if sc.get("programs"):
        parts.append(f"programs {fmt_value(sc['programs'])}")
    if is_num(sc.get("payload_bytes")) and sc["payload_bytes"] > 0:
        parts.append(f"payload {fmt_int(sc['payload_bytes'])} B")
    if is_num(sc.get("threads")):
        parts.append(f"{sc['threads']} thread{'s' if sc['threads'] != 1 else ''}")
    if is_num(sc.get("duration_s")):
        rep = sc.get("repeat")
        reps = f" × {rep} repeats" if is_num(rep) and rep > 1 else ""
        parts.append(f"{fmt_value(sc['duration_s'])} s{reps}")
    env = [f"kernel {host['kernel']}" if host.get("kernel") else None,
           f"{host['cpus']} CPUs" if is_num(host.get("cpus")) else None,
           f"{host['transport']} transport" if host.get("transport") else None,
           f"wake-up {host['wakeup']}" if host.get("wakeup") else None,
           f"{host['hook']} hook" if host.get("hook") else None]
    env = [e for e in env if e]
    return " · ".join(parts) + (" on " + ", ".join(env) if env else "")


def summary_bullets(results, matrix):
    summary = results["summary"]
    budget = budget_of(results)
    items = [f"**Run:** {what_was_run(results)}"]
    verdict, text = conservation(summary["events"])
    items.append(f"**Event conservation: {verdict}** — {text}")
    cpu = section(summary, "cpu")
    if cpu:
        v = cpu_verdict(cpu, budget)
        line = (f"tracer used {fmt_pct(cpu.get('pct_of_machine'))} of the machine against a "
                f"{fmt_pct(cpu.get('budget_pct', budget))} budget")
        if is_num(cpu.get("ns_per_event")):
            line += f"; {fmt_fixed(cpu['ns_per_event'], 1)} ns CPU per event"
        items.append(f"**CPU: {v}** — {line}" if v else f"**CPU:** {line}")
    else:
        items.append(f"**CPU:** {NOT_MEASURED}")
    ov = section(summary, "overhead")
    if ov and (is_num(ov.get("slowdown_pct")) or is_num(ov.get("traced_ops_per_sec"))):
        line = f"workload {fmt_pct(ov.get('slowdown_pct'))} slower traced"
        if ov.get("ci95"):
            line += f" (95% CI {_ci(ov['ci95'])})"
        line += (f": {fmt_num(ov.get('baseline_ops_per_sec'))} → "
                 f"{fmt_num(ov.get('traced_ops_per_sec'))} ops/s")
        if is_num(ov.get("floor_slowdown_pct")):
            line += f"; hook floor alone {fmt_pct(ov['floor_slowdown_pct'])}"
            if ov.get("floor_ci95"):
                line += f" (95% CI {_ci(ov['floor_ci95'])})"
        for key, what in (("aggregate", "aggregate phase"), ("bare", "bare consumer")):
            if is_num(ov.get(f"{key}_slowdown_pct")):
                line += f"; {what} {fmt_pct(ov[f'{key}_slowdown_pct'])}"
        items.append(f"**Slowdown:** {line}")
    else:
        items.append(f"**Slowdown:** {NOT_MEASURED}")
    agg_cpu = section(ov, "aggregate_cpu")
    if agg_cpu:
        items.append(f"**Per-event delivery:** {delivery_sentence(cpu or {}, agg_cpu)}")
    e2e = (section(summary, "latency_ns") or {}).get("end_to_end")
    if isinstance(e2e, dict):
        items.append(f"**End-to-end latency:** p50 {fmt_dur(e2e.get('p50'))}, "
                     f"p99 {fmt_dur(e2e.get('p99'))}, p99.9 {fmt_dur(e2e.get('p999'))}, "
                     f"max {fmt_dur(e2e.get('max'))}")
    else:
        items.append(f"**End-to-end latency:** {NOT_MEASURED}")
    gov = section(summary, "governor")
    if gov:
        items.append(f"**Governor:** {governor_sentence(gov)}")
    progs = section(summary, "programs")
    if progs:
        items.append(f"**Programs:** {sections.programs_sentence(progs)}")
    sweep = section(results, "sweep")
    if sweep and not section(sweep, "points", list):
        items.append(f"**Capacity:** rate sweep {NOT_MEASURED} (no rate points)")
    elif sweep:
        items.append(f"**Capacity:** max rate within the {fmt_pct(sweep.get('budget_pct', budget))} "
                     f"budget {fmt_rate_or(sweep.get('max_rate_within_budget'))} events/s; "
                     f"max rate without drops {fmt_rate_or(sweep.get('max_rate_no_drops'))} events/s")
    record = sections.record_size_sentence(sweep) if sweep else None
    if record:
        items.append(f"**Record size:** {record}")
    if matrix:
        ks = matrix.get("kernels") or []
        counts = {}
        for k in ks:
            counts[k.get("status", "?")] = counts.get(k.get("status", "?"), 0) + 1
        items.append(f"**Kernel matrix:** {len(ks)} kernels — "
                     + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return items


def fmt_rate_or(x):
    return "none" if x is None else fmt_num(x)


def _ci(ci):
    if isinstance(ci, list) and len(ci) == 2:
        return f"{fmt_pct(ci[0])} – {fmt_pct(ci[1])}"
    return DASH


def delivery_sentence(traced, agg):
    """Traced (per-event stream to user space) vs aggregate (counted in the kernel) CPU."""
    text = (f"traced phase {fmt_fixed(traced.get('kernel_ns_per_event'), 1)} kernel ns/event, "
            f"{fmt_pct(traced.get('pct_of_machine'))} of the machine; aggregate phase "
            f"{fmt_fixed(agg.get('kernel_ns_per_event'), 1)} kernel ns/event, "
            f"{fmt_pct(agg.get('pct_of_machine'))} of the machine")
    dk = _minus(traced.get("kernel_ns_per_event"), agg.get("kernel_ns_per_event"))
    dp = _minus(traced.get("pct_of_machine"), agg.get("pct_of_machine"))
    if dk is not None and dp is not None:
        text += (f" — per-event delivery costs {fmt_fixed(dk, 1)} kernel ns/event and "
                 f"{fmt_pct(dp)} of the machine")
    return text


def _minus(a, b):
    return a - b if is_num(a) and is_num(b) else None


def governor_sentence(gov):
    if not gov.get("enabled"):
        return "disabled"
    if not gov.get("triggered"):
        return "enabled, **NOT TRIGGERED**"
    steps = section(gov, "steps", list) or []
    text = (f"**TRIGGERED** after {fmt_int(gov.get('trigger_after_ms'))} ms → "
            f"`{gov.get('action') or DASH}`")
    if len(steps) > 1:
        last = steps[-1]
        text += (f"; {len(steps)} steps, last `{last.get('action')}` at "
                 f"{fmt_int(last.get('t_ms'))} ms")
    return text


def kv_table(pairs):
    return ("table", ["field", "value"], [[k, v] for k, v in pairs])


def host_blocks(results):
    out = [("h", 2, "Host and scenario")]
    rows = [[f"host.{k}", fmt_value(v)] for k, v in results["host"].items()]
    rows += [[f"scenario.{k}", fmt_rate(v) if k == "rate" else fmt_value(v, ids="pid" in k)]
             for k, v in results["scenario"].items()]
    out.append(("table", ["field", "value"], rows))
    return out


def events_blocks(summary):
    events = summary["events"]
    out = [("h", 2, "Events")]
    expected = events.get("expected")
    dropped = section(events, "dropped") or {}
    received = events.get("received")
    rows = [["expected", fmt_int(expected), ""],
            ["received", fmt_int(received), _share(received, expected)]]
    for cause in list(DROP_CAUSES) + [k for k in dropped if k not in DROP_CAUSES]:
        rows.append([f"dropped: {cause}", fmt_int(dropped.get(cause)), _share(dropped.get(cause), expected)])
    rows.append(["dropped: total", fmt_int(total_dropped(events)), _share(total_dropped(events), expected)])
    out.append(("table", ["events", "count", "% of expected"], rows))
    key, by = kind_counts(events)
    if by:
        out.append(("table", [KIND_LABELS[key], "received"], [[k, fmt_int(v)] for k, v in by.items()]))
    return out


def _share(n, expected):
    if not is_num(n) or not is_num(expected) or expected <= 0:
        return ""
    return fmt_pct(100.0 * n / expected)


def latency_blocks(summary):
    out = [("h", 2, "Stage latency")]
    lat = section(summary, "latency_ns")
    if not lat:
        return out + [("p", NOT_MEASURED)]
    order = [s for s in STAGES if s in lat] + [s for s in lat if s not in STAGES]
    headers = ["stage", "count"] + [f"{label} (ns)" for _, label in PERCENTILES] + ["max (ns)"]
    rows = []
    for st in order:
        stats = lat[st]
        rows.append([STAGE_LABELS.get(st, st), fmt_int(stats.get("count"))]
                    + [fmt_int(stats.get(k)) for k, _ in PERCENTILES] + [fmt_int(stats.get("max"))])
    missing = [STAGE_LABELS[s] for s in STAGES if s not in lat]
    out.append(("table", headers, rows))
    if missing:
        out.append(("p", f"Stages {NOT_MEASURED}: {', '.join(missing)}."))
    return out


def cpu_blocks(summary, budget):
    out = [("h", 2, "CPU")]
    cpu = section(summary, "cpu")
    if not cpu:
        return out + [("p", NOT_MEASURED)]
    pairs = [("BPF programs (ns)", fmt_int(cpu.get("bpf_ns"))),
             ("consumer thread (ns)", fmt_int(cpu.get("consumer_ns"))),
             ("worker threads (ns)", fmt_int(cpu.get("workers_ns"))),
             ("CPU per event (ns)", fmt_fixed(cpu.get("ns_per_event"), 1)),
             ("kernel CPU per event (ns)", fmt_fixed(cpu.get("kernel_ns_per_event"), 1)),
             ("user CPU per event (ns)", fmt_fixed(cpu.get("user_ns_per_event"), 1)),
             ("tracer CPU (% of machine)", fmt_pct(cpu.get("pct_of_machine"))),
             ("budget (% of machine)", fmt_pct(cpu.get("budget_pct", budget))),
             ("verdict", f"**{cpu_verdict(cpu, budget) or DASH}**")]
    return out + [kv_table(pairs)]


def overhead_blocks(summary):
    out = [("h", 2, "Workload overhead")]
    ov = section(summary, "overhead")
    if not ov:
        return out + [("p", NOT_MEASURED)]
    pairs = [("baseline (untraced) ops/s", fmt_num(ov.get("baseline_ops_per_sec"))),
             ("hook floor ops/s", fmt_num(ov.get("floor_ops_per_sec"))),
             ("traced ops/s", fmt_num(ov.get("traced_ops_per_sec"))),
             ("slowdown", fmt_pct(ov.get("slowdown_pct"))),
             ("slowdown 95% CI", _ci(ov.get("ci95"))),
             ("hook floor slowdown", fmt_pct(ov.get("floor_slowdown_pct"))),
             ("hook floor slowdown 95% CI", _ci(ov.get("floor_ci95")))]
    if "aggregate_ops_per_sec" in ov or "aggregate_slowdown_pct" in ov:
        pairs += [("aggregate (in-kernel counting) ops/s", fmt_num(ov.get("aggregate_ops_per_sec"))),
                  ("aggregate slowdown", fmt_pct(ov.get("aggregate_slowdown_pct"))),
                  ("aggregate slowdown 95% CI", _ci(ov.get("aggregate_ci95")))]
    if "bare_ops_per_sec" in ov or "bare_slowdown_pct" in ov:
        pairs += [("bare consumer ops/s", fmt_num(ov.get("bare_ops_per_sec"))),
                  ("bare consumer slowdown", fmt_pct(ov.get("bare_slowdown_pct"))),
                  ("bare consumer slowdown 95% CI", _ci(ov.get("bare_ci95"))),
                  ("traced throughput vs bare consumer", fmt_pct(ov.get("traced_vs_bare_pct"))),
                  ("traced vs bare consumer 95% CI", _ci(ov.get("traced_vs_bare_ci95")))]
    out.append(kv_table(pairs))
    agg_cpu = section(ov, "aggregate_cpu")
    if agg_cpu:
        out += stream_vs_aggregate_blocks(summary, ov, agg_cpu)
    return out


def stream_vs_aggregate_blocks(summary, ov, agg_cpu):
    """The traced phase streams every event to user space; the aggregate phase only counts
    in the kernel: the difference is what per-event delivery costs."""
    traced = section(summary, "cpu") or {}
    out = [("h", 3, "Stream vs aggregate: what per-event delivery costs"),
           ("p", f"Per-event delivery: {delivery_sentence(traced, agg_cpu)}.")]
    keys = ("kernel_ns_per_event", "user_ns_per_event", "ns_per_event", "pct_of_machine")

    def row(label, ops, slow, cpu):
        return [label, fmt_num(ops), fmt_pct(slow)] + [
            fmt_pct(cpu.get(k)) if k == "pct_of_machine" else fmt_fixed(cpu.get(k), 1) for k in keys]
    rows = [row("traced (stream)", ov.get("traced_ops_per_sec"), ov.get("slowdown_pct"), traced),
            row("aggregate", ov.get("aggregate_ops_per_sec"), ov.get("aggregate_slowdown_pct"), agg_cpu),
            row("delivery (traced − aggregate)", None, None,
                {k: _minus(traced.get(k), agg_cpu.get(k)) for k in keys})]
    out.append(("table", ["phase", "ops/s", "slowdown", "kernel ns/event", "user ns/event",
                          "CPU per event (ns)", "tracer CPU"], rows))
    return out


def governor_blocks(summary, budget):
    out = [("h", 2, "Governor")]
    gov = section(summary, "governor")
    if not gov:
        return out + [("p", NOT_MEASURED)]
    if not gov.get("enabled") and not gov.get("windows"):
        return out + [("p", "disabled for this run")]
    windows = section(gov, "windows", list) or []
    over = [w.get("overhead_pct") for w in windows if is_num(w.get("overhead_pct"))]
    pairs = [("enabled", fmt_bool(gov.get("enabled"))), ("triggered", fmt_bool(gov.get("triggered"))),
             ("trigger after (ms)", fmt_int(gov.get("trigger_after_ms"))),
             ("first action", f"`{gov['action']}`" if gov.get("action") else DASH),
             ("windows observed", fmt_int(len(windows))),
             ("max window overhead", fmt_pct(max(over)) if over else DASH),
             ("budget (% of machine)", fmt_pct(gov.get("budget_pct", budget)))]
    out.append(kv_table(pairs))
    steps = section(gov, "steps", list) or []
    if steps:
        out.append(("table", ["t (ms)", "action", "overhead", "drop ratio", "reason"],
                    [[fmt_int(s.get("t_ms")), f"`{s.get('action') or DASH}`", fmt_pct(s.get("overhead_pct")),
                      fmt_ratio(s.get("drop_ratio")), str(s.get("reason") or DASH)] for s in steps]))
    return out


def build(results, matrix, plots):
    """plots: list of (filename, caption) already written next to the report."""
    summary = results["summary"]
    budget = budget_of(results)
    title = f"ringside report: {results.get('command') or 'results'}"
    wl = results["scenario"].get("workload")
    kernel = results["host"].get("kernel")
    heading = title + (f" — {wl}" if wl else "") + (f" on {kernel}" if kernel else "")
    blocks = [("h", 1, heading), ("h", 2, "Summary"), ("ul", summary_bullets(results, matrix))]
    blocks += host_blocks(results)
    blocks += events_blocks(summary)
    blocks += latency_blocks(summary)
    blocks += cpu_blocks(summary, budget)
    blocks += sections.programs_blocks(summary)
    blocks += overhead_blocks(summary)
    blocks += governor_blocks(summary, budget)
    blocks += sections.capacity_blocks(results, budget)
    blocks += sections.comparison_blocks(results)
    blocks += sections.measure_blocks(results)
    blocks += sections.matrix_blocks(matrix)
    blocks += sections.runs_blocks(results)
    blocks.append(("h", 2, "Plots"))
    if plots:
        blocks += [("img", name, caption) for name, caption in plots]
    else:
        blocks.append(("p", "No plottable data in this result."))
    return heading, blocks

