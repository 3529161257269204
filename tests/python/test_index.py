"""reports/index.py: one page linking every run below a directory, a line of key numbers each."""
import html
import os
import re
import shutil
import subprocess
import sys

from reportlib import FIXTURES, ROOT, fixture, make_results_dir, read

INDEX = os.path.join(ROOT, "reports", "index.py")


def run_index(*args):
    return subprocess.run([sys.executable, INDEX, *map(str, args)], capture_output=True, text=True, timeout=60)


def rows(page):
    """{first cell text: [cell texts]} of the runs table; plus the hrefs of each row."""
    out = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        if not cells:
            continue
        text = [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in cells]
        out[text[0]] = {"cells": text, "hrefs": [html.unescape(h) for h in re.findall(r'href="([^"]+)"', tr)]}
    return out


def tree(tmp_path):
    """A directory like a CI artifact: runs, a sweep, a kernel matrix, a broken run, a history page."""
    base = tmp_path / "runs"
    make_results_dir(base / "nightly" / "r", "run_full")
    (base / "nightly" / "r" / "report.html").write_text("<!DOCTYPE html><p>report</p>")
    make_results_dir(base / "sweep", "sweep")
    make_results_dir(base / "governor", "governor")
    m = base / "ringside-matrix"
    m.mkdir(parents=True)
    shutil.copy(os.path.join(FIXTURES, "matrix.json"), m / "matrix.json")
    (m / "matrix.md").write_text("| kernel |\n")
    make_results_dir(m / "kernels" / "host" / "ringbuf", "trace_minimal")
    broken = base / "broken"
    broken.mkdir()
    (broken / "results.json").write_text("{ not json")
    (base / "history").mkdir()
    (base / "history" / "history.html").write_text("<!DOCTYPE html><p>history</p>")
    (base / ".hidden").mkdir()
    make_results_dir(base / ".hidden", "run_full")
    return base


def test_index_links_every_run_with_its_summary(tmp_path):
    base = tree(tmp_path)
    proc = run_index(base)
    assert proc.returncode == 0, proc.stderr
    assert "6 result files (1 unreadable)" in proc.stdout and "1 other pages" in proc.stdout
    page = read(base / "index.html")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r'(src|href)="(https?:)?//', page), "self-contained: no external resources"
    r = rows(page)
    assert set(r) == {"nightly/r", "sweep", "governor", "ringside-matrix", "ringside-matrix/kernels/host/ringbuf",
                      "broken"}, "hidden directories are skipped"

    run = r["nightly/r"]
    s = fixture("run_full")["summary"]
    assert run["cells"][1] == "run" and run["cells"][3] == "write @ max"
    summary = run["cells"][4]
    assert f"{s['overhead']['traced_ops_per_sec']:,.1f} ops/s" in summary
    assert f"slowdown {s['overhead']['slowdown_pct']:.3f}%" in summary
    assert f"CPU {s['cpu']['pct_of_machine']:.3f}% of machine" in summary
    assert "e2e p50 52.2 µs, p99 471 µs" in summary
    assert "conserved" in summary
    assert run["hrefs"][:2] == ["nightly/r/report.html", "nightly/r/report.html"]
    assert "nightly/r/results.json" in run["hrefs"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", run["cells"][2]), "date from the file's mtime"

    sweep = r["sweep"]
    sw = fixture("sweep")["sweep"]
    assert sweep["cells"][1] == "sweep"
    assert f"{len(sw['points'])} rates" in sweep["cells"][4]
    assert f"max within budget {round(sw['max_rate_within_budget']):,}/s" in sweep["cells"][4]
    assert sweep["hrefs"][0] == "sweep/results.json", "no report.html: the row links the JSON"

    g = fixture("governor")["summary"]["governor"]
    assert f"governor {g['action']}" in r["governor"]["cells"][4]

    matrix = r["ringside-matrix"]
    kernels = fixture("matrix")["kernels"]
    passed = sum(k["status"] == "pass" for k in kernels)
    assert matrix["cells"][1] == "matrix" and f"{len(kernels)} kernels" in matrix["cells"][4]
    assert f"{passed} pass" in matrix["cells"][4]
    assert matrix["hrefs"][0] == "ringside-matrix/matrix.md"

    assert r["ringside-matrix/kernels/host/ringbuf"]["cells"][1] == "trace"
    assert "not valid JSON" in r["broken"]["cells"][4], "an unreadable run is listed with the reason"
    assert 'href="history/history.html"' in page, "other pages (history plots) are linked"


def test_every_link_resolves(tmp_path):
    base = tree(tmp_path)
    assert run_index(base).returncode == 0
    page = read(base / "index.html")
    for href in re.findall(r'href="([^"]+)"', page):
        assert os.path.exists(base / html.unescape(href)), href


def test_out_elsewhere_links_relative_to_the_page(tmp_path):
    base = tree(tmp_path)
    out = tmp_path / "site" / "all.html"
    out.parent.mkdir()
    assert run_index(base, "--out", out).returncode == 0
    page = read(out)
    assert not (base / "index.html").exists()
    for href in re.findall(r'href="([^"]+)"', page):
        assert href.startswith("../runs/") and os.path.exists(out.parent / html.unescape(href)), href


def test_text_from_results_is_escaped(tmp_path):
    doc = fixture("trace_minimal")
    doc["command"] = "<script>alert(1)</script>"
    make_results_dir(tmp_path / "x", doc)
    assert run_index(tmp_path).returncode == 0
    page = read(tmp_path / "index.html")
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_empty_and_bad_directories(tmp_path):
    assert run_index(tmp_path).returncode == 0
    assert "No results.json or matrix.json found" in read(tmp_path / "index.html")
    proc = run_index(tmp_path / "missing")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "not a directory" in proc.stderr
