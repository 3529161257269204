"""Tests of reports/ringside_report.py. Run: /usr/bin/python3 -m pytest tests/python"""
import os
import re

import pytest

from reportlib import (assert_fixed, assert_int, assert_pct, assert_rate, assert_sig, fixture,
                       kv, make_results_dir, num, png_info, read, rows_by_first, run_report,
                       sections, table)

STAGE_ROWS = {"syscall → hook": "syscall_to_hook", "hook → submit": "hook_to_submit",
              "submit → read": "submit_to_read", "read → parse": "read_to_parse",
              "queue wait": "queue_wait", "handle": "handle", "end-to-end": "end_to_end"}
CAUSES = ("kernel_reserve", "perf_lost", "sampled_out", "queue_full", "pool_exhausted")

# fixture name -> (matrix fixture or None, PNGs the report must contain)
FULL = {
    "run_full": ("matrix", {"latency_stages.png", "latency_cdf.png", "throughput.png",
                            "comparison.png", "kernel_matrix.png"}),
    "sweep": (None, {"sweep_cpu.png", "sweep_drops.png", "sweep_slowdown.png", "sweep_latency.png"}),
    "governor": (None, {"governor.png"}),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Render every full fixture once: name -> (dir, report.md text)."""
    out = {}
    for name, (matrix, _) in FULL.items():
        d = make_results_dir(tmp_path_factory.mktemp(name), name, matrix)
        proc = run_report(d)
        assert proc.returncode == 0, proc.stderr
        out[name] = (d, read(os.path.join(d, "report.md")))
    return out


def md_of(rendered, name):
    return sections(rendered[name][1])


# ------------------------------------------------------------------ outputs
@pytest.mark.parametrize("name", sorted(FULL))
def test_full_fixture_writes_report_and_pngs(rendered, name):
    d, md = rendered[name]
    html = read(os.path.join(d, "report.html"))
    want = FULL[name][1]
    pngs = {f for f in os.listdir(d) if f.endswith(".png")}
    assert want <= pngs, f"missing plots: {want - pngs}"
    referenced = set(re.findall(r"\]\(([^)]+\.png)\)", md))
    assert referenced == pngs, "report.md must reference exactly the PNGs written"
    assert set(re.findall(r'<img src="([^"]+)"', html)) == pngs
    for png in pngs:
        w, h = png_info(os.path.join(d, png))
        assert 600 <= w <= 1400 and 300 <= h <= 1000, f"{png}: odd size {w}x{h}"


@pytest.mark.parametrize("name", sorted(FULL))
def test_html_is_self_contained(rendered, name):
    d, _ = rendered[name]
    html = read(os.path.join(d, "report.html"))
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html and "</html>" in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "no external resources"
    assert html.count("<table") == html.count("</table>") and "<table" in html


def test_summary_comes_first_and_images_last(rendered):
    md = rendered["run_full"][1]
    heads = re.findall(r"^## (.+)$", md, re.M)
    assert heads[0] == "Summary" and heads[-1] == "Plots"
    assert md.index("![") > md.index("## Plots")


# ------------------------------------------------------- numbers = JSON numbers
def test_summary_conservation_cpu_slowdown(rendered):
    s = fixture("run_full")["summary"]
    summ = md_of(rendered, "run_full")["Summary"]
    m = re.search(r"Event conservation: (\w+)\*\* — expected ([\d,]+) = received ([\d,]+) \+ "
                  r"dropped ([\d,]+) \(([^)]*)\)", summ)
    assert m, summ
    ev = s["events"]
    assert m.group(1) == "PASS"
    assert_int(m.group(2), ev["expected"])
    assert_int(m.group(3), ev["received"])
    assert_int(m.group(4), sum(ev["dropped"].values()))
    causes = dict(part.rsplit(" ", 1) for part in m.group(5).split(", "))
    assert set(causes) == set(CAUSES)
    for cause in CAUSES:
        assert_int(causes[cause], ev["dropped"][cause])

    m = re.search(r"\*\*CPU: (OVER BUDGET|WITHIN BUDGET)\*\* — tracer used ([\d.,]+%) of the machine "
                  r"against a ([\d.]+%) budget; ([\d.]+) ns", summ)
    assert m, summ
    assert m.group(1) == ("WITHIN BUDGET" if s["cpu"]["within_budget"] else "OVER BUDGET")
    assert_pct(m.group(2), s["cpu"]["pct_of_machine"])
    assert_pct(m.group(3), s["cpu"]["budget_pct"])
    assert_fixed(m.group(4), s["cpu"]["ns_per_event"], 1)

    ov = s["overhead"]
    m = re.search(r"workload ([\d.]+%) slower traced \(95% CI ([\d.]+%) – ([\d.]+%)\): ([\d,.]+) → "
                  r"([\d,.]+) ops/s; hook floor alone ([\d.]+%) \(95% CI ([\d.]+%) – ([\d.]+%)\)", summ)
    assert m, summ
    assert_pct(m.group(1), ov["slowdown_pct"])
    assert_pct(m.group(2), ov["ci95"][0])
    assert_pct(m.group(3), ov["ci95"][1])
    assert_rate(m.group(4), ov["baseline_ops_per_sec"])
    assert_rate(m.group(5), ov["traced_ops_per_sec"])
    assert_pct(m.group(6), ov["floor_slowdown_pct"])
    assert_pct(m.group(7), ov["floor_ci95"][0])
    assert_pct(m.group(8), ov["floor_ci95"][1])


def test_events_table(rendered):
    ev = fixture("run_full")["summary"]["events"]
    rows = rows_by_first(md_of(rendered, "run_full")["Events"], "events")
    assert_int(rows["expected"]["count"], ev["expected"])
    assert_int(rows["received"]["count"], ev["received"])
    for cause in CAUSES:
        assert_int(rows[f"dropped: {cause}"]["count"], ev["dropped"][cause])
        assert_pct(rows[f"dropped: {cause}"]["% of expected"], 100 * ev["dropped"][cause] / ev["expected"])
    by = rows_by_first(md_of(rendered, "run_full")["Events"], "syscall")
    assert_int(by["write"]["received"], ev["by_syscall"]["write"])


def test_stage_latency_table(rendered):
    lat = fixture("run_full")["summary"]["latency_ns"]
    headers, rows = table(md_of(rendered, "run_full")["Stage latency"], "stage")
    assert headers == ["stage", "count", "p50 (ns)", "p90 (ns)", "p99 (ns)", "p99.9 (ns)", "max (ns)"]
    assert [r[0] for r in rows] == list(STAGE_ROWS), "stages in pipeline order"
    for r in rows:
        st = lat[STAGE_ROWS[r[0]]]
        for cell, key in zip(r[1:], ("count", "p50", "p90", "p99", "p999", "max")):
            assert_int(cell, st[key])


def test_cpu_and_overhead_tables(rendered):
    s = fixture("run_full")["summary"]
    cpu = kv(md_of(rendered, "run_full")["CPU"])
    for label, key in (("BPF programs (ns)", "bpf_ns"), ("consumer thread (ns)", "consumer_ns"),
                       ("worker threads (ns)", "workers_ns")):
        assert_int(cpu[label], s["cpu"][key])
    for label, key in (("CPU per event (ns)", "ns_per_event"), ("kernel CPU per event (ns)", "kernel_ns_per_event"),
                       ("user CPU per event (ns)", "user_ns_per_event")):
        assert_fixed(cpu[label], s["cpu"][key], 1)
    assert_pct(cpu["tracer CPU (% of machine)"], s["cpu"]["pct_of_machine"])
    assert_pct(cpu["budget (% of machine)"], s["cpu"]["budget_pct"])
    assert cpu["verdict"] == "**OVER BUDGET**"
    ov = kv(md_of(rendered, "run_full")["Workload overhead"])
    assert_rate(ov["baseline (untraced) ops/s"], s["overhead"]["baseline_ops_per_sec"])
    assert_rate(ov["hook floor ops/s"], s["overhead"]["floor_ops_per_sec"])
    assert_rate(ov["traced ops/s"], s["overhead"]["traced_ops_per_sec"])
    assert_pct(ov["slowdown"], s["overhead"]["slowdown_pct"])
    lo, hi = ov["slowdown 95% CI"].split(" – ")
    assert_pct(lo, s["overhead"]["ci95"][0])
    assert_pct(hi, s["overhead"]["ci95"][1])


def test_comparison_table(rendered):
    comps = fixture("run_full")["comparisons"]
    rows = rows_by_first(md_of(rendered, "run_full")["Transport / wake-up comparison"], "config")
    assert list(rows) == [c["label"] for c in comps]
    for c in comps:
        r, s = rows[c["label"]], c["summary"]
        assert_rate(r["ops/s"], s["workload"]["ops_per_sec"])
        assert_pct(r["slowdown"], s["overhead"]["slowdown_pct"])
        assert_int(r["e2e p50 (ns)"], s["latency_ns"]["end_to_end"]["p50"])
        assert_int(r["e2e p99 (ns)"], s["latency_ns"]["end_to_end"]["p99"])
        assert_pct(r["tracer CPU"], s["cpu"]["pct_of_machine"])
        assert_fixed(r["CPU per event (ns)"], s["cpu"]["ns_per_event"], 1)
        assert_int(r["dropped"], sum(s["events"]["dropped"].values()))


def test_runs_table(rendered):
    runs = fixture("run_full")["runs"]
    _, rows = table(md_of(rendered, "run_full")["Repetitions"], "#")
    assert len(rows) == len(runs)
    for r, run in zip(rows, runs):
        assert_int(r[0], run["index"])
        assert r[1] == run["phase"]
        assert_rate(r[2], run["workload"]["ops_per_sec"])
        if "events" in run:
            assert_int(r[3], run["events"]["expected"])
            assert_int(r[4], run["events"]["received"])
            assert_int(r[7], run["latency_ns"]["end_to_end"]["p99"])
            assert_pct(r[8], run["cpu"]["pct_of_machine"])
        else:
            assert r[3] == r[4] == r[8] == "—"


def test_matrix_table(rendered):
    kernels = fixture("matrix")["kernels"]
    rows = rows_by_first(md_of(rendered, "run_full")["Kernel matrix"], "kernel")
    assert list(rows) == [k["name"] for k in kernels]
    for k in kernels:
        r = rows[k["name"]]
        assert r["status"].strip("*").lower() == k["status"]
        assert r["boots"] == {True: "yes", False: "no", None: "—"}[k["boots"]]
        if k["e2e_p99_ns"] is not None:
            assert_int(r["e2e p99 (ns)"], k["e2e_p99_ns"])
            assert_fixed(r["CPU per event (ns)"], k["ns_per_event"], 1)
        else:
            assert r["e2e p99 (ns)"] == "—"
        assert r["reason"] == k["reason"]


def test_sweep_capacity_tables(rendered):
    sw = fixture("sweep")["sweep"]
    sec = md_of(rendered, "sweep")["Capacity (sweep)"]
    cap = kv(sec)
    assert_rate(cap["max rate without drops (events/s)"], sw["max_rate_no_drops"])
    assert_rate(cap["max rate within budget (events/s)"], sw["max_rate_within_budget"])
    assert_fixed(cap["kernel CPU per event (ns)"], sw["ns_per_event"]["kernel"], 1)
    assert_fixed(cap["user CPU per event (ns)"], sw["ns_per_event"]["user"], 1)
    model = rows_by_first(sec, "part")
    for part in ("kernel", "user", "total"):
        assert_sig(model[part]["a (%)"], sw["model"][part]["a"])
        assert_sig(model[part]["b (% per event/s)"], sw["model"][part]["b"])
        assert_fixed(model[part]["r²"], sw["model"][part]["r2"], 4)
    ring_sec = sec.split("### Ring buffer recommendation")[1].split("###")[0]
    ring = kv(ring_sec)
    assert_int(ring["bytes needed"].split(" ")[0], sw["ring_recommendation"]["bytes_needed"])
    assert_int(ring["recommended ring size (bytes)"].split(" ")[0], sw["ring_recommendation"]["ring_bytes"])
    assert_rate(ring["burst rate (events/s)"], sw["ring_recommendation"]["burst_rate"])
    plan = kv(sec.split("### Plan")[1].split("###")[0])
    assert_rate(plan["planned rate (events/s)"], sw["plan"]["rate"])
    assert_pct(plan["predicted tracer CPU (% of machine)"], sw["plan"]["predicted_pct"])
    assert plan["verdict"] == "**WITHIN BUDGET**"
    _, rows = table(sec, "target (events/s)")
    assert len(rows) == len(sw["points"])
    for r, p in zip(rows, sw["points"]):
        assert r[0] == "max" if p["target_rate"] is None else num(r[0]) == p["target_rate"]
        assert_rate(r[1], p["achieved_rate"])
        for cell, key in zip(r[2:7], ("expected", "received", "dropped", "e2e_p50_ns", "e2e_p99_ns")):
            assert_int(cell, p[key])
        for cell, key in zip(r[7:11], ("tracer_cpu_pct", "bpf_cpu_pct", "user_cpu_pct", "slowdown_pct")):
            assert_pct(cell, p[key])
    summ = md_of(rendered, "sweep")["Summary"]
    assert f"budget {cap['max rate within budget (events/s)']} events/s" in summ


def test_governor_tables(rendered):
    gov = fixture("governor")["summary"]["governor"]
    sec = md_of(rendered, "governor")["Governor"]
    g = kv(sec)
    assert g["triggered"] == "yes"
    assert_int(g["trigger after (ms)"], gov["trigger_after_ms"])
    assert g["first action"] == f"`{gov['action']}`"
    assert_int(g["windows observed"], len(gov["windows"]))
    assert_pct(g["max window overhead"], max(w["overhead_pct"] for w in gov["windows"]))
    _, rows = table(sec, "t (ms)")
    for r, step in zip(rows, gov["steps"]):
        assert_int(r[0], step["t_ms"])
        assert r[1] == f"`{step['action']}`"
        assert_pct(r[2], step["overhead_pct"])
        assert_fixed(r[3], step["drop_ratio"], 4)
        assert r[4] == step["reason"]
    assert "**TRIGGERED** after 1,500 ms" in md_of(rendered, "governor")["Summary"]
