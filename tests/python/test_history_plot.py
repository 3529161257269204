"""Tests of reports/history_plot.py (the trend PNG of `ringside history show`).
Run: /usr/bin/python3 -m pytest tests/python"""
import json
import os
import subprocess
import sys

from reportlib import ROOT, png_info

SCRIPT = os.path.join(ROOT, "reports", "history_plot.py")


def series(n=16, step_at=12, changes=True):
    points = []
    for i in range(n):
        m = 50000.0 * (1.3 if i >= step_at else 1.0) * (1 + 0.01 * ((i * 7) % 5 - 2))
        points.append({"seq": i + 1, "commit": f"c{i + 1:02}0123456789", "branch": "main",
                       "date": "2024-05-01T00:00:00Z", "median": m, "lo": m * 0.98, "hi": m * 1.02, "n": 5})
    cps = [{"index": step_at, "seq": step_at + 1, "commit": f"c{step_at + 1:02}0123456789", "shift": 30.0,
            "label": "+30.0%", "kind": "REGRESSION", "mean_before": 50000.0, "mean_after": 65000.0}]
    return {"metric": "latency.end_to_end.p50", "unit": "ns", "better": "lower",
            "host_class": "6.1.0-2cpu-ringbuf", "points": points, "changes": cps if changes else []}


def plot(tmp_path, data, out="trend.png"):
    src = tmp_path / "series.json"
    src.write_text(data if isinstance(data, str) else json.dumps(data))
    return subprocess.run([sys.executable, SCRIPT, str(src), str(tmp_path / out)], capture_output=True,
                          text=True, timeout=120)


def test_writes_a_png_with_and_without_change_points(tmp_path):
    for changes in (True, False):
        r = plot(tmp_path, series(changes=changes))
        assert r.returncode == 0, r.stderr
        width, height = png_info(tmp_path / "trend.png")
        assert width > 600 and height > 300


def test_one_point(tmp_path):
    r = plot(tmp_path, series(n=1, changes=False))
    assert r.returncode == 0, r.stderr
    png_info(tmp_path / "trend.png")


def test_bad_input_is_one_line_exit_2(tmp_path):
    for bad in ("not json", json.dumps({"points": [{"seq": 1}]}), json.dumps([])):
        r = plot(tmp_path, bad)
        assert r.returncode == 2
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("history-plot: "), r.stderr
    r = plot(tmp_path, series(), out="missing-dir/trend.png")
    assert r.returncode == 2 and "no such directory" in r.stderr
