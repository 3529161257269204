"""Helpers for the report tests: run the CLI, parse the Markdown back, check PNGs."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "reports", "ringside_report.py")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
DASH = "—"


def fixture(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def make_results_dir(path, results, matrix=None):
    """Write results (a fixture name or a dict) as path/results.json (+ matrix.json)."""
    os.makedirs(path, exist_ok=True)
    if isinstance(results, str):
        shutil.copy(os.path.join(FIXTURES, results + ".json"), os.path.join(path, "results.json"))
    elif results is not None:
        with open(os.path.join(path, "results.json"), "w", encoding="utf-8") as f:
            json.dump(results, f)
    if isinstance(matrix, str):
        shutil.copy(os.path.join(FIXTURES, matrix + ".json"), os.path.join(path, "matrix.json"))
    elif matrix is not None:
        with open(os.path.join(path, "matrix.json"), "w", encoding="utf-8") as f:
            json.dump(matrix, f)
    return str(path)


def run_report(results_dir, *args, env=None):
    return subprocess.run([sys.executable, SCRIPT, str(results_dir), *args], capture_output=True,
                          text=True, timeout=180, env=env)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ------------------------------------------------------------ markdown parsing
def sections(md):
    """{'## heading': text} for every level-2 section (the summary is '## Summary')."""
    out, name, buf = {}, None, []
    for line in md.splitlines():
        if line.startswith("## "):
            if name:
                out[name] = "\n".join(buf)
            name, buf = line[3:].strip(), []
        elif name:
            buf.append(line)
    if name:
        out[name] = "\n".join(buf)
    return out


def tables(text):
    """Every pipe table in text as (headers, rows)."""
    found, cur = [], None
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            if cur is None:
                cur = (cells, [])
            elif all(set(c) <= set(":-") and c for c in cells):
                continue
            else:
                cur[1].append(cells)
        elif cur is not None:
            found.append(cur)
            cur = None
    return found


def table(text, first_header):
    for headers, rows in tables(text):
        if headers[0] == first_header:
            return headers, rows
    raise AssertionError(f"no table starting with {first_header!r}")


def kv(text):
    """The first field/value table of a section as a dict."""
    _, rows = table(text, "field")
    return {r[0]: r[1] for r in rows}


def rows_by_first(text, first_header):
    headers, rows = table(text, first_header)
    return {r[0]: dict(zip(headers, r)) for r in rows}


def num(cell):
    """Parse a formatted number back: '6,571,057' -> 6571057, '33.013%' -> 33.013, '—' -> None."""
    cell = cell.strip().strip("*")
    if cell in (DASH, "max", ""):
        return None
    m = re.match(r"^(-?[\d,]+(?:\.\d+)?(?:e[-+]?\d+)?)%?", cell)
    assert m, f"not a number: {cell!r}"
    text = m.group(1).replace(",", "")
    return float(text) if any(c in text for c in ".e") else int(text)


def decimals(cell):
    m = re.match(r"^-?[\d,]+\.(\d+)", cell.strip())
    return len(m.group(1)) if m else 0


def assert_int(cell, value):
    assert value is not None, cell
    assert num(cell) == value and decimals(cell) == 0, f"{cell!r} != {value!r}"


def assert_fixed(cell, value, places):
    """cell shows value with exactly `places` decimals, correctly rounded."""
    assert decimals(cell) == places, f"{cell!r} should have {places} decimals"
    assert abs(num(cell) - value) <= 0.5 * 10 ** -places + 1e-9, f"{cell!r} != {value!r}"


def assert_rate(cell, value):
    """Rates/ops per second: ints exactly, floats with one decimal."""
    if isinstance(value, int):
        assert_int(cell, value)
    else:
        assert_fixed(cell, value, 1)


def assert_pct(cell, value):
    assert cell.strip().endswith("%"), cell
    assert_fixed(cell, value, 3)


def assert_sig(cell, value, rel=5e-4):
    assert abs(num(cell) - value) <= abs(value) * rel, f"{cell!r} != {value!r}"


# ------------------------------------------------------------------------ PNG
def png_info(path):
    """(width, height) of a valid PNG; raises AssertionError otherwise."""
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) > 5000, f"{path}: suspiciously small ({len(data)} bytes)"
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: bad PNG signature"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, f"{path}: first chunk is not IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert data[-8:-4] == b"IEND", f"{path}: truncated (no IEND chunk at the end)"
    return width, height
