"""Per-program results, the aggregate (and bare) phases and the record-size sweep in the report.

Fixtures: programs.json and payload_sweep.json (generate.py), and sample_*.json: real results.json
files written by ringside (3 programs at once, file_ops alone, an aggregate phase, a payload sweep).
Run: /usr/bin/python3 -m pytest tests/python
"""
import json
import os
import re
import sys

import pytest

from reportlib import (ROOT, assert_fixed, assert_int, assert_pct, assert_rate, fixture, kv,
                       make_results_dir, png_info, read, rows_by_first, run_report, sections, table)

KIND_KEYS = {"by_syscall": "syscall", "by_function": "function", "by_kind": "kind"}
SAMPLES = ("sample_multi_program", "sample_file_ops", "sample_aggregate_memory_alloc", "sample_payload_sweep")
# fixture -> PNGs the report must contain, PNGs it must not
RENDERED = {
    "programs": ({"program_cpu.png", "throughput.png", "latency_stages.png", "latency_cdf.png"},
                 {"sweep_record_size.png", "sweep_cpu.png"}),
    "payload_sweep": ({"sweep_record_size.png"},
                      {"sweep_cpu.png", "sweep_drops.png", "sweep_slowdown.png", "sweep_latency.png",
                       "program_cpu.png"}),
    "sample_multi_program": ({"program_cpu.png", "throughput.png", "governor.png"}, {"sweep_record_size.png"}),
    "sample_file_ops": ({"program_cpu.png", "throughput.png"}, set()),
    "sample_aggregate_memory_alloc": ({"program_cpu.png", "throughput.png"}, set()),
    "sample_payload_sweep": ({"program_cpu.png", "sweep_record_size.png"},
                             {"sweep_cpu.png", "sweep_drops.png", "sweep_slowdown.png", "sweep_latency.png"}),
}
WITH_PROGRAMS = ("programs",) + SAMPLES


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Render every fixture once: name -> (dir, report.md text)."""
    out = {}
    for name in RENDERED:
        d = make_results_dir(tmp_path_factory.mktemp(name), name)
        proc = run_report(d)
        assert proc.returncode == 0, proc.stderr
        out[name] = (d, read(os.path.join(d, "report.md")))
    return out


def sec_of(rendered, name, heading):
    return sections(rendered[name][1])[heading]


def sub(text, heading):
    """The text under '### heading' up to the next level-3 heading."""
    assert f"### {heading}\n" in text, f"no ### {heading}"
    return text.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]


def kind_map(events):
    found = [(k, events[k]) for k in KIND_KEYS if isinstance(events.get(k), dict)]
    assert len(found) == 1, events.keys()
    return found[0]


def e2e(prog, key):
    return prog["latency_ns"]["end_to_end"][key]


# ------------------------------------------------------------------ outputs
@pytest.mark.parametrize("name", sorted(RENDERED))
def test_renders_with_new_pngs(rendered, name):
    d, md = rendered[name]
    want, unwanted = RENDERED[name]
    pngs = {f for f in os.listdir(d) if f.endswith(".png")}
    assert want <= pngs, f"missing plots: {want - pngs}"
    assert not unwanted & pngs, f"unexpected plots: {unwanted & pngs}"
    assert set(re.findall(r"\]\(([^)]+\.png)\)", md)) == pngs
    html = read(os.path.join(d, "report.html"))
    assert set(re.findall(r'<img src="([^"]+)"', html)) == pngs
    assert html.count("<table") == html.count("</table>")
    for png in pngs:
        w, h = png_info(os.path.join(d, png))
        assert 600 <= w <= 1400 and 300 <= h <= 1000, f"{png}: odd size {w}x{h}"


# ------------------------------------------------------------------ programs
@pytest.mark.parametrize("name", WITH_PROGRAMS)
def test_programs_table_matches_json(rendered, name):
    progs = fixture(name)["summary"]["programs"]
    rows = rows_by_first(sec_of(rendered, name, "Programs"), "program")
    assert list(rows) == list(progs)
    for pname, p in progs.items():
        r, ev, cpu = rows[pname], p["events"], p["cpu"]
        assert_int(r["expected"], ev["expected"])
        assert_int(r["received"], ev["received"])
        assert_int(r["dropped"], ev["dropped_total"])
        assert_int(r["dropped"], sum(ev["dropped"].values()))
        assert r["conserved"] == ("**PASS**" if ev["conserved"] else "**FAIL**")
        assert_fixed(r["BPF ns/event"], cpu["kernel_ns_per_event"], 1)
        assert_fixed(r["user ns/event"], cpu["user_ns_per_event"], 1)
        assert_fixed(r["record bytes mean"], p["record_bytes"]["mean"], 1)
        assert_int(r["record bytes max"], p["record_bytes"]["max"])
        assert_int(r["e2e p50 (ns)"], e2e(p, "p50"))
        assert_int(r["e2e p99 (ns)"], e2e(p, "p99"))


@pytest.mark.parametrize("name", WITH_PROGRAMS)
def test_program_kinds_and_bpf_tables(rendered, name):
    progs = fixture(name)["summary"]["programs"]
    sec = sec_of(rendered, name, "Programs")
    _, rows = table(sub(sec, "Events per program by kind"), "program")
    want = []
    for pname, p in progs.items():
        key, counts = kind_map(p["events"])
        want += [(pname, KIND_KEYS[key], k, n, 100.0 * n / p["events"]["received"]) for k, n in counts.items()]
    assert [tuple(r[:3]) for r in rows] == [w[:3] for w in want]
    for r, (_, _, _, n, share) in zip(rows, want):
        assert_int(r[3], n)
        assert_pct(r[4], share)
    _, rows = table(sub(sec, "BPF programs per program"), "program")
    want = [(pname, bp, p["cpu"]["bpf_ns"]) for pname, p in progs.items() for bp in p["cpu"]["bpf_by_prog"]]
    assert len(rows) == len(want)
    for r, (pname, bp, total) in zip(rows, want):
        assert r[0] == pname and r[1] == str(bp["id"])
        assert_int(r[2], bp["run_time_ns"])
        assert_pct(r[3], 100.0 * bp["run_time_ns"] / total)
    assert sum(bp["run_time_ns"] for _, bp, _ in want) == sum(p["cpu"]["bpf_ns"] for p in progs.values())


def test_programs_summary_bullet(rendered):
    progs = fixture("programs")["summary"]["programs"]
    summ = sec_of(rendered, "programs", "Summary")
    m = re.search(r"\*\*Programs:\*\* (\d+) — received (.+); every program conserved", summ)
    assert m, summ
    assert int(m.group(1)) == len(progs)
    got = dict(part.rsplit(" ", 1) for part in m.group(2).split(", "))
    assert list(got) == list(progs)
    for pname, p in progs.items():
        assert_int(got[pname], p["events"]["received"])


def test_runs_programs_table(rendered):
    runs = fixture("programs")["runs"]
    _, rows = table(sub(sec_of(rendered, "programs", "Repetitions"), "Programs per repetition"), "#")
    want = [(run, pname, p) for run in runs for pname, p in run.get("programs", {}).items()]
    assert len(rows) == len(want) == 8
    for r, (run, pname, p) in zip(rows, want):
        assert_int(r[0], run["index"])
        assert r[1] == run["phase"] == "traced" and r[2] == pname
        assert_int(r[3], p["events"]["expected"])
        assert_int(r[4], p["events"]["received"])
        assert_int(r[5], p["events"]["dropped_total"])
        assert_fixed(r[7], p["cpu"]["kernel_ns_per_event"], 1)
        assert_int(r[12], e2e(p, "p99"))


@pytest.mark.parametrize("name, label", [("programs", "kind"), ("sample_aggregate_memory_alloc", "function"),
                                         ("sample_file_ops", "syscall"), ("sample_multi_program", "kind")])
def test_events_per_kind_map_any_key(rendered, name, label):
    """summary.events carries by_syscall, by_function or by_kind: the Events table shows whichever."""
    key, counts = kind_map(fixture(name)["summary"]["events"])
    assert KIND_KEYS[key] == label
    rows = rows_by_first(sec_of(rendered, name, "Events"), label)
    assert list(rows) == list(counts)
    for k, n in counts.items():
        assert_int(rows[k]["received"], n)


def test_scenario_programs_and_payload(rendered):
    sc = fixture("programs")["scenario"]
    host = kv(sec_of(rendered, "programs", "Host and scenario"))
    assert host["scenario.programs"] == ", ".join(sc["programs"])
    assert_int(host["scenario.payload_bytes"], sc["payload_bytes"])
    summ = sec_of(rendered, "programs", "Summary")
    assert f"programs {', '.join(sc['programs'])} · payload {sc['payload_bytes']} B" in summ
    summ = sec_of(rendered, "sample_file_ops", "Summary")
    assert "programs file_ops · 1 thread" in summ, "payload 0 is not mentioned"


# ------------------------------------------------------------ aggregate / bare
def _delivery(text, traced, agg):
    m = re.search(r"traced phase ([\d,.]+) kernel ns/event, ([\d.]+%) of the machine; aggregate phase "
                  r"([\d,.]+) kernel ns/event, ([\d.]+%) of the machine — per-event delivery costs "
                  r"(-?[\d,.]+) kernel ns/event and (-?[\d.]+%) of the machine", text)
    assert m, text
    assert_fixed(m.group(1), traced["kernel_ns_per_event"], 1)
    assert_pct(m.group(2), traced["pct_of_machine"])
    assert_fixed(m.group(3), agg["kernel_ns_per_event"], 1)
    assert_pct(m.group(4), agg["pct_of_machine"])
    assert_fixed(m.group(5), traced["kernel_ns_per_event"] - agg["kernel_ns_per_event"], 1)
    assert_pct(m.group(6), traced["pct_of_machine"] - agg["pct_of_machine"])


@pytest.mark.parametrize("name", ["programs", "sample_aggregate_memory_alloc"])
def test_overhead_aggregate_phase(rendered, name):
    s = fixture(name)["summary"]
    ov, traced, agg = s["overhead"], s["cpu"], s["overhead"]["aggregate_cpu"]
    sec = sec_of(rendered, name, "Workload overhead")
    t = kv(sec)
    assert_rate(t["aggregate (in-kernel counting) ops/s"], ov["aggregate_ops_per_sec"])
    assert_pct(t["aggregate slowdown"], ov["aggregate_slowdown_pct"])
    lo, hi = t["aggregate slowdown 95% CI"].split(" – ")
    assert_pct(lo, ov["aggregate_ci95"][0])
    assert_pct(hi, ov["aggregate_ci95"][1])
    part = sub(sec, "Stream vs aggregate: what per-event delivery costs")
    _delivery(part, traced, agg)
    _delivery(sec_of(rendered, name, "Summary"), traced, agg)
    rows = rows_by_first(part, "phase")
    for label, cpu in (("traced (stream)", traced), ("aggregate", agg)):
        for col, key in (("kernel ns/event", "kernel_ns_per_event"), ("user ns/event", "user_ns_per_event"),
                         ("CPU per event (ns)", "ns_per_event")):
            assert_fixed(rows[label][col], cpu[key], 1)
        assert_pct(rows[label]["tracer CPU"], cpu["pct_of_machine"])
    assert_rate(rows["aggregate"]["ops/s"], ov["aggregate_ops_per_sec"])
    assert_pct(rows["aggregate"]["slowdown"], ov["aggregate_slowdown_pct"])
    delta = rows["delivery (traced − aggregate)"]
    assert_fixed(delta["CPU per event (ns)"], traced["ns_per_event"] - agg["ns_per_event"], 1)
    assert_pct(delta["tracer CPU"], traced["pct_of_machine"] - agg["pct_of_machine"])
    summ = sec_of(rendered, name, "Summary")
    m = re.search(r"aggregate phase ([\d.]+%)", summ)
    assert m, summ
    assert_pct(m.group(1), ov["aggregate_slowdown_pct"])


def test_overhead_bare_consumer(rendered):
    ov = fixture("programs")["summary"]["overhead"]
    t = kv(sec_of(rendered, "programs", "Workload overhead"))
    assert_rate(t["bare consumer ops/s"], ov["bare_ops_per_sec"])
    assert_pct(t["bare consumer slowdown"], ov["bare_slowdown_pct"])
    assert_pct(t["traced throughput vs bare consumer"], ov["traced_vs_bare_pct"])
    lo, hi = t["traced vs bare consumer 95% CI"].split(" – ")
    assert_pct(lo, ov["traced_vs_bare_ci95"][0])
    assert_pct(hi, ov["traced_vs_bare_ci95"][1])


def test_throughput_caption_names_the_phases(rendered):
    md = rendered["programs"][1]
    assert ("Workload throughput untraced vs hook floor vs aggregate vs bare consumer vs traced "
            "(error bars: 95% CI)](throughput.png)") in md
    md = rendered["sample_file_ops"][1]
    assert "Workload throughput untraced vs hook floor vs traced (error bars: 95% CI)](throughput.png)" in md


# ------------------------------------------------------------ record size
@pytest.mark.parametrize("name", ["payload_sweep", "sample_payload_sweep"])
def test_record_size_table(rendered, name):
    sw = fixture(name)["sweep"]
    sec = sec_of(rendered, name, "Capacity (sweep)")
    _, rows = table(sub(sec, "Record size"), "payload (bytes)")
    assert len(rows) == len(sw["payload_points"])
    for r, p in zip(rows, sw["payload_points"]):
        assert_int(r[0], p["payload_bytes"])
        assert_fixed(r[1], p["record_bytes"], 1)
        if p["target_rate"] is None:
            assert r[2] == "max"
        else:
            assert_rate(r[2], p["target_rate"])
        assert_rate(r[3], p["achieved_rate"])
        for cell, key in zip(r[4:9], ("expected", "received", "dropped", "e2e_p50_ns", "e2e_p99_ns")):
            assert_int(cell, p[key])
        assert_fixed(r[9], p["kernel_ns_per_event"], 1)
        assert_fixed(r[10], p["user_ns_per_event"], 1)
        for cell, key in zip(r[11:15], ("tracer_cpu_pct", "bpf_cpu_pct", "user_cpu_pct", "slowdown_pct")):
            assert_pct(cell, p[key])
        assert r[15] == ("within" if p["within_budget"] else "over")
        assert r[16] == ("**PASS**" if p["conserved"] else "**FAIL**")
    cap = kv(sec)
    assert_fixed(cap["mean record size measured (bytes)"], sw["record_bytes"], 1)
    assert cap["max rate within budget (events/s)"] == "not measured (no rate points)"
    assert sub(sec, "Sweep points").strip() == "not measured"
    model = rows_by_first(sec, "part")
    assert [model[p]["points"] for p in ("kernel", "user", "total")] == ["0"] * 3
    assert "no fit: the sweep has no rate points" in sec
    summ = sec_of(rendered, name, "Summary")
    assert "**Capacity:** rate sweep not measured (no rate points)" in summ
    pts = sorted(sw["payload_points"], key=lambda p: p["record_bytes"])
    m = re.search(r"\*\*Record size:\*\* ([\d.,]+) → ([\d.,]+) bytes per record: "
                  r"([\d.,]+) → ([\d.,]+) events/s, "
                  r"kernel ([\d.,]+) → ([\d.,]+) ns/event, user ([\d.,]+) → ([\d.,]+) ns/event", summ)
    assert m, summ
    for cell, value in zip(m.groups(), (pts[0]["record_bytes"], pts[-1]["record_bytes"])):
        assert_fixed(cell, value, 1)
    assert_rate(m.group(3), pts[0]["achieved_rate"])
    assert_rate(m.group(4), pts[-1]["achieved_rate"])
    for i, key in ((5, "kernel_ns_per_event"), (7, "user_ns_per_event")):
        assert_fixed(m.group(i), pts[0][key], 1)
        assert_fixed(m.group(i + 1), pts[-1][key], 1)


def test_ring_advice_uses_measured_record_size(rendered):
    ring = fixture("payload_sweep")["sweep"]["ring_recommendation"]
    sec = sec_of(rendered, "payload_sweep", "Capacity (sweep)")
    t = kv(sub(sec, "Ring buffer recommendation"))
    assert_rate(t["record size (bytes)"], ring["record_bytes"])
    assert_int(t["bytes needed"].split(" ")[0], ring["bytes_needed"])


def test_rate_and_payload_sweep_together(tmp_path):
    doc = fixture("sweep")
    doc["sweep"]["payload_points"] = fixture("payload_sweep")["sweep"]["payload_points"]
    doc["sweep"]["record_bytes"] = 64.0
    d = make_results_dir(tmp_path, doc)
    proc = run_report(d)
    assert proc.returncode == 0, proc.stderr
    sec = sections(read(os.path.join(d, "report.md")))["Capacity (sweep)"]
    _, rows = table(sub(sec, "Sweep points"), "target (events/s)")
    assert len(rows) == len(doc["sweep"]["points"])
    _, rows = table(sub(sec, "Record size"), "payload (bytes)")
    assert len(rows) == len(doc["sweep"]["payload_points"])
    assert "no fit" not in sec
    for png in ("sweep_cpu.png", "sweep_drops.png", "sweep_slowdown.png", "sweep_latency.png",
                "sweep_record_size.png"):
        png_info(os.path.join(d, png))


def test_single_payload_point_and_nulls(tmp_path):
    doc = fixture("payload_sweep")
    pts = doc["sweep"]["payload_points"]
    pts[1:] = []
    pts[0]["kernel_ns_per_event"] = None
    pts[0]["e2e_p99_ns"] = None
    d = make_results_dir(tmp_path, doc)
    proc = run_report(d)
    assert proc.returncode == 0, proc.stderr
    md = sections(read(os.path.join(d, "report.md")))
    _, rows = table(sub(md["Capacity (sweep)"], "Record size"), "payload (bytes)")
    assert rows[0][8] == rows[0][9] == "—"
    assert "**Record size:**" not in md["Summary"], "one point: no from → to sentence"
    png_info(os.path.join(d, "sweep_record_size.png"))


# ------------------------------------------------------------ absent / partial
def test_absent_parts_say_not_measured(tmp_path):
    for name in ("trace_minimal", "run_full", "sweep"):
        d = make_results_dir(tmp_path / name, name)
        proc = run_report(d)
        assert proc.returncode == 0, proc.stderr
        md = read(os.path.join(d, "report.md"))
        sec = sections(md)
        assert sec["Programs"].strip() == "not measured", name
        assert "**Programs:**" not in sec["Summary"]
        assert "### Record size" not in md and "Stream vs aggregate" not in md
        assert "aggregate" not in sec.get("Workload overhead", "")
        pngs = set(os.listdir(d))
        assert "program_cpu.png" not in pngs and "sweep_record_size.png" not in pngs


def test_program_with_parts_missing(tmp_path):
    doc = fixture("programs")
    progs = doc["summary"]["programs"]
    del progs["exec"]["latency_ns"], progs["exec"]["record_bytes"]
    progs["tcp_connect"]["cpu"] = None
    progs["function_timing"]["events"]["conserved"] = False
    d = make_results_dir(tmp_path, doc)
    proc = run_report(d)
    assert proc.returncode == 0, proc.stderr
    sec = sections(read(os.path.join(d, "report.md")))
    rows = rows_by_first(sec["Programs"], "program")
    assert [rows["exec"][c] for c in ("record bytes mean", "record bytes max", "e2e p50 (ns)", "e2e p99 (ns)")] \
        == ["—"] * 4
    assert rows["tcp_connect"]["BPF ns/event"] == rows["tcp_connect"]["user ns/event"] == "—"
    assert rows["function_timing"]["conserved"] == "**FAIL**"
    assert "**FAIL**: function_timing not conserved" in sec["Summary"]
    _, bpf_rows = table(sub(sec["Programs"], "BPF programs per program"), "program")
    assert "tcp_connect" not in {r[0] for r in bpf_rows}
    png_info(os.path.join(d, "program_cpu.png"))


def test_aggregate_without_cpu_blocks(tmp_path):
    doc = fixture("programs")
    ov = doc["summary"]["overhead"]
    del ov["aggregate_cpu"]
    for k in [k for k in ov if k.startswith("bare") or k.startswith("traced_vs_bare")]:
        del ov[k]
    d = make_results_dir(tmp_path, doc)
    proc = run_report(d)
    assert proc.returncode == 0, proc.stderr
    md = read(os.path.join(d, "report.md"))
    sec = sections(md)
    assert "Stream vs aggregate" not in md and "**Per-event delivery:**" not in sec["Summary"]
    t = kv(sec["Workload overhead"])
    assert_rate(t["aggregate (in-kernel counting) ops/s"], ov["aggregate_ops_per_sec"])
    assert "bare consumer ops/s" not in t


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("mutate, words", [
    (lambda d: d["summary"].__setitem__("programs", [1, 2]), "summary.programs"),
    (lambda d: d["summary"]["programs"].__setitem__("exec", "x"), "summary.programs.exec"),
    (lambda d: d["summary"]["programs"]["exec"].__setitem__("events", 3), "programs.exec.events"),
    (lambda d: d["summary"]["programs"]["exec"]["events"].__setitem__("by_kind", [1]), "by_kind"),
    (lambda d: d["summary"]["programs"]["exec"]["cpu"].__setitem__("bpf_by_prog", {}), "bpf_by_prog"),
    (lambda d: d["summary"]["programs"]["exec"]["cpu"].__setitem__("kernel_ns_per_event", "slow"), "number"),
    (lambda d: d["summary"]["events"].__setitem__("by_function", "x"), "by_function"),
    (lambda d: d["summary"]["overhead"].__setitem__("aggregate_cpu", [1]), "aggregate_cpu"),
    (lambda d: d["summary"]["overhead"].__setitem__("aggregate_ops_per_sec", "fast"), "number"),
    (lambda d: d["runs"][4]["programs"].__setitem__("exec", []), "runs[4].programs.exec"),
])
def test_malformed_program_parts_exit_2(tmp_path, mutate, words):
    doc = fixture("programs")
    mutate(doc)
    d = make_results_dir(tmp_path, doc)
    proc = run_report(d)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ringside-report: ") and words in lines[0], proc.stderr
    assert not os.path.exists(os.path.join(d, "report.md"))


@pytest.mark.parametrize("mutate, words", [
    (lambda sw: sw.__setitem__("payload_points", {"0": {}}), "payload_points"),
    (lambda sw: sw["payload_points"].__setitem__(0, 64), "payload_points[0]"),
    (lambda sw: sw["payload_points"][0].__setitem__("record_bytes", "64"), "number"),
])
def test_malformed_payload_points_exit_2(tmp_path, mutate, words):
    doc = fixture("payload_sweep")
    mutate(doc["sweep"])
    d = make_results_dir(tmp_path, doc)
    proc = run_report(d)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert words in proc.stderr


# ---------------------------------------------------------------- fixtures
def test_new_fixtures_are_fresh():
    sys.path.insert(0, os.path.join(ROOT, "tests", "python", "fixtures"))
    import generate
    for name, fn in (("programs", generate.programs_run), ("payload_sweep", generate.payload_sweep)):
        assert json.loads(json.dumps(fn())) == fixture(name), name


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_are_real_tool_output(name):
    doc = fixture(name)
    assert doc["schema"] == "ringside.results/v1" and doc["host"].get("ringside_version")
    assert doc["summary"]["programs"], "every sample carries per-program results"
