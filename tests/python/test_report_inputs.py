"""ringside_report.py on partial, odd and bad input; exit codes 0 / 2 / 3."""
import copy
import json
import os
import sys

import pytest

from reportlib import (ROOT, assert_int, fixture, make_results_dir, png_info, read, run_report,
                       sections)

MISSING_MPL = ("ringside-report: python3-matplotlib is missing: "
               "apt-get install -y python3-matplotlib python3-numpy")


def test_minimal_trace_says_not_measured(tmp_path):
    d = make_results_dir(tmp_path, "trace_minimal")
    proc = run_report(d)
    assert proc.returncode == 0, proc.stderr
    md = read(os.path.join(d, "report.md"))
    sec = sections(md)
    for name in ("Stage latency", "CPU", "Workload overhead", "Governor", "Capacity (sweep)",
                 "Repetitions", "Transport / wake-up comparison", "Agent measurement", "Kernel matrix"):
        assert sec[name].strip().startswith("not measured"), name
    for what in ("CPU", "Slowdown", "End-to-end latency"):
        assert f"**{what}:** not measured" in sec["Summary"]
    assert "expected 18,422 = received 18,422 + dropped 0" in sec["Summary"]
    assert "pids 4242" in sec["Summary"]
    assert not [f for f in os.listdir(d) if f.endswith(".png")]
    assert os.path.exists(os.path.join(d, "report.html"))


def test_optional_parts_removed_or_null(tmp_path):
    """A full run with pieces missing or null still renders and says what is missing."""
    doc = fixture("run_full")
    s = doc["summary"]
    del s["overhead"], s["governor"], doc["comparisons"]
    s["cpu"] = None
    del s["latency_ns"]["end_to_end"]["cdf"], s["latency_ns"]["queue_wait"], s["latency_ns"]["handle"]
    s["events"]["expected"] = None
    del s["events"]["by_syscall"]
    for run in doc["runs"]:
        run.pop("latency_ns", None)
    d = make_results_dir(tmp_path, doc)
    proc = run_report(d)
    assert proc.returncode == 0, proc.stderr
    sec = sections(read(os.path.join(d, "report.md")))
    assert "Stages not measured: queue wait, handle." in sec["Stage latency"]
    assert sec["CPU"].strip() == "not measured"
    assert sec["Workload overhead"].strip() == "not measured"
    assert "Event conservation: UNVERIFIED** — expected count unknown" in sec["Summary"]
    pngs = {f for f in os.listdir(d) if f.endswith(".png")}
    assert pngs == {"latency_stages.png"}, pngs  # no CDF, no overhead numbers, no comparisons


def test_sweep_with_nulls(tmp_path):
    doc = fixture("sweep")
    sw = doc["sweep"]
    sw["max_rate_no_drops"] = None
    sw["max_rate_within_budget"] = None
    sw["ring_recommendation"] = None
    sw["plan"] = None
    del sw["model"]
    for p in sw["points"][::2]:
        p["slowdown_pct"] = None
        p["e2e_p99_ns"] = None
    d = make_results_dir(tmp_path, doc)
    proc = run_report(d)
    assert proc.returncode == 0, proc.stderr
    sec = sections(read(os.path.join(d, "report.md")))["Capacity (sweep)"]
    assert "none (drops at every rate)" in sec and "none (over budget at every rate)" in sec
    assert "no plan requested" in sec
    for png in ("sweep_cpu.png", "sweep_slowdown.png", "sweep_drops.png"):
        png_info(os.path.join(d, png))


def test_conservation_failure_is_reported(tmp_path):
    doc = fixture("trace_minimal")
    doc["summary"]["events"]["received"] = 18000
    d = make_results_dir(tmp_path, doc)
    assert run_report(d).returncode == 0
    summ = sections(read(os.path.join(d, "report.md")))["Summary"]
    assert "**Event conservation: FAIL** — expected 18,422 ≠ received 18,000 + dropped 0" in summ
    assert "422 events unaccounted for" in summ


def test_out_dir(tmp_path):
    d = make_results_dir(tmp_path / "in", "governor")
    out = tmp_path / "elsewhere" / "report"
    proc = run_report(d, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(d)) == ["results.json"]
    assert {"report.md", "report.html", "governor.png"} <= set(os.listdir(out))


# ---------------------------------------------------------------- bad input
def _bad(tmp_path, results, matrix=None):
    d = make_results_dir(tmp_path, results, matrix)
    proc = run_report(d)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ringside-report: "), proc.stderr
    assert not os.path.exists(os.path.join(d, "report.md"))
    return lines[0]


def test_wrong_schema_exits_2(tmp_path):
    assert "schema" in _bad(tmp_path, "malformed_schema")


def test_missing_results_exits_2(tmp_path):
    os.makedirs(tmp_path / "empty")
    proc = run_report(tmp_path / "empty")
    assert proc.returncode == 2 and "results.json: no such file" in proc.stderr
    proc = run_report(tmp_path / "does-not-exist")
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_not_json_exits_2(tmp_path):
    (tmp_path / "results.json").write_text('{"schema": "ringside.results/v1", ')
    proc = run_report(tmp_path)
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr


@pytest.mark.parametrize("mutate, words", [
    (lambda d: d["summary"].pop("events"), "summary.events"),
    (lambda d: d.pop("host"), "host"),
    (lambda d: d["summary"]["events"].__setitem__("received", "lots"), "received"),
    (lambda d: d["summary"].__setitem__("cpu", [1, 2]), "cpu"),
    (lambda d: d.__setitem__("runs", {"0": {}}), "runs"),
    (lambda d: d["summary"]["events"]["dropped"].__setitem__("kernel_reserve", "x"), "number"),
])
def test_malformed_sections_exit_2(tmp_path, mutate, words):
    doc = fixture("trace_minimal")
    mutate(doc)
    assert words in _bad(tmp_path, doc)


def test_bad_value_deep_inside_exits_2(tmp_path):
    doc = fixture("run_full")
    doc["summary"]["latency_ns"]["handle"]["p99"] = "fast"
    assert "number" in _bad(tmp_path, doc)


def test_bad_matrix_exits_2(tmp_path):
    assert "matrix.json" in _bad(tmp_path, "trace_minimal", {"schema": "nope", "kernels": []})


def test_top_level_array_exits_2(tmp_path):
    assert "object" in _bad(tmp_path, [1, 2, 3])


# --------------------------------------------------------- no matplotlib
def test_missing_matplotlib_exits_3(tmp_path):
    """Shadow matplotlib with a package whose import fails, as on a host without it."""
    shadow = tmp_path / "shadow" / "matplotlib"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
    d = make_results_dir(tmp_path / "run", "trace_minimal")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "shadow"))
    proc = run_report(d, env=env)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.strip() == MISSING_MPL
    assert os.listdir(d) == ["results.json"]


def test_bad_input_wins_over_missing_matplotlib(tmp_path):
    shadow = tmp_path / "shadow" / "matplotlib"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
    d = make_results_dir(tmp_path / "run", "malformed_schema")
    proc = run_report(d, env=dict(os.environ, PYTHONPATH=str(tmp_path / "shadow")))
    assert proc.returncode == 2


# ----------------------------------------------------------- units
def test_tick_labels_never_scientific():
    sys.path.insert(0, os.path.join(ROOT, "reports"))
    import plotkit
    assert plotkit.rate_label(999812.4) == "1M"
    assert plotkit.rate_label(64385.4) == "64.4k"
    assert plotkit.dur_label(999_950) == "1 ms"
    assert plotkit.dur_label(52224) == "52.2 µs"
    assert plotkit.pct_label(0.0459) == "0.0459%"
    assert plotkit.pct_label(33.0126) == "33%"


def test_formatting_rules():
    sys.path.insert(0, os.path.join(ROOT, "reports"))
    import model
    assert model.fmt_int(6571057) == "6,571,057"
    assert model.fmt_num(2204115.4) == "2,204,115.4" and model.fmt_num(1000) == "1,000"
    assert model.fmt_pct(33.0126) == "33.013%" and model.fmt_pct(1) == "1.000%"
    assert model.fmt_pct(None) == "—" and model.fmt_pct(float("nan")) == "—"
    assert model.fmt_rate(None) == "max"
    with pytest.raises(model.BadInput):
        model.fmt_int("12")
    assert_int(model.fmt_bytes(2097152).split(" ")[0], 2097152)


def test_fixtures_are_fresh():
    """The JSON fixtures are what generate.py makes (edit generate.py, then rerun it)."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "python", "fixtures"))
    import generate
    for name, fn in (("run_full", generate.full_run), ("sweep", generate.sweep),
                     ("governor", generate.governor), ("trace_minimal", generate.trace_minimal),
                     ("matrix", generate.matrix)):
        assert json.loads(json.dumps(fn())) == fixture(name), name
    assert copy.deepcopy(fixture("malformed_schema"))["schema"] != "ringside.results/v1"
