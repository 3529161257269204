#!/usr/bin/python3
"""ringside-index: write DIR/index.html linking every run found below DIR.

    /usr/bin/python3 reports/index.py DIR [--out FILE]

Finds every results.json (run, trace, sweep, measure: one line each with the command, the
date and the key numbers), matrix.json (kernel matrix: pass/fail counts) and any other .html
page (history plots, …) below DIR, and links them from one page. A results.json that cannot
be read is listed with the reason, never skipped silently. Standard library only.

Exit codes: 0 ok (also when nothing was found: the page says so), 2 DIR is not a directory
or FILE cannot be written.
"""
import argparse
import datetime as dt
import html
import os
import sys

sys.dont_write_bytecode = True  # run from a checkout: leave no __pycache__ behind in reports/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from model import (BadInput, conserved, fmt_dur, fmt_int, fmt_num, fmt_pct, fmt_rate, is_num,  # noqa: E402
                   load_json, section, total_dropped, validate_matrix, validate_results)
from render import CSS  # noqa: E402

PROG = "ringside-index"
EXIT_OK, EXIT_BAD_INPUT = 0, 2
INDEX = "index.html"
# results.json carries no timestamp today; take one if a later schema adds it, else the file's mtime
DATE_KEYS = ("date", "generated", "started_at", "timestamp")

INDEX_CSS = """
td.sum { white-space: normal; min-width: 28em; }
td.err { white-space: normal; color: #cf222e; }
.muted { color: #57606a; }
"""


def parse_args(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", metavar="DIR", help="directory to search (sweep, matrix, history outputs, …)")
    ap.add_argument("--out", metavar="FILE", help="where to write the page (default DIR/index.html)")
    return ap.parse_args(argv)


# ------------------------------------------------------------------ finding
def walk(root):
    """(directory relative to root, file names) below root, sorted, hidden dirs skipped."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        yield os.path.relpath(dirpath, root), sorted(filenames)


def date_of(doc, path):
    for holder in (doc, doc.get("host")):
        for key in DATE_KEYS:
            if isinstance(holder, dict) and isinstance(holder.get(key), str) and holder[key]:
                return holder[key]
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return "—"
    return dt.datetime.fromtimestamp(mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# ----------------------------------------------------------------- summaries
def _workload(doc):
    sc = doc.get("scenario") or {}
    if not sc.get("workload"):
        return "—"
    rate = sc.get("rate")
    return f"{sc['workload']} @ " + ("max" if rate in (None, "max") else f"{fmt_rate(rate)}/s")


def run_summary(doc):
    """One line of key numbers for a results.json (already validated)."""
    s = doc["summary"]
    bits = []
    sweep = section(doc, "sweep")
    if sweep is not None:
        points = section(sweep, "points", list) or []
        bits.append(f"{len(points)} rates")
        if is_num(sweep.get("max_rate_within_budget")):
            bits.append(f"max within budget {fmt_num(round(sweep['max_rate_within_budget']))}/s")
        if is_num(sweep.get("max_rate_no_drops")):
            bits.append(f"max without drops {fmt_num(round(sweep['max_rate_no_drops']))}/s")
    e2e = (section(s, "latency_ns") or {}).get("end_to_end") or {}
    if is_num(e2e.get("p50")):
        bits.append(f"e2e p50 {fmt_dur(e2e['p50'])}, p99 {fmt_dur(e2e.get('p99'))}")
    over = section(s, "overhead") or {}
    ops = over.get("traced_ops_per_sec", (section(s, "workload") or {}).get("ops_per_sec"))
    if is_num(ops):
        bits.append(f"{fmt_num(ops)} ops/s")
    if is_num(over.get("slowdown_pct")):
        bits.append(f"slowdown {fmt_pct(over['slowdown_pct'])}")
    measure = section(doc, "measure") or {}
    if is_num(measure.get("agent_cpu_pct")):
        bits.append(f"agent CPU {fmt_pct(measure['agent_cpu_pct'])}")
    cpu = section(s, "cpu") or {}
    if is_num(cpu.get("pct_of_machine")):
        bits.append(f"CPU {fmt_pct(cpu['pct_of_machine'])} of machine")
    events = s["events"]
    bits.append(f"drops {fmt_int(total_dropped(events))}")
    ok = conserved(events)
    if ok is not None:
        bits.append("conserved" if ok else "NOT CONSERVED")
    gov = section(s, "governor") or {}
    if gov.get("enabled"):
        bits.append(f"governor {gov['action']}" if gov.get("triggered") and gov.get("action")
                    else "governor " + ("triggered" if gov.get("triggered") else "not triggered"))
    gv = section(doc, "governor_validation")
    if gv is not None and gv.get("passed") is not None:
        bits.append("governor validation " + ("passed" if gv["passed"] else "FAILED"))
    return " · ".join(bits)


def matrix_summary(doc):
    counts = {}
    for k in doc["kernels"]:
        counts[k.get("status", "?")] = counts.get(k.get("status", "?"), 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return f"{len(doc['kernels'])} kernels: {parts}" if doc["kernels"] else "no kernels"


# ------------------------------------------------------------------ entries
def collect(root):
    """Entries {dir, kind, command, date, workload, summary, error, links[(label, relpath)]}."""
    runs, others = [], []
    for rel, files in walk(root):
        here = set(files)

        def link(name, rel=rel):
            return (name, os.path.normpath(os.path.join(rel, name)))
        for data, kind in (("results.json", "results"), ("matrix.json", "matrix")):
            # a matrix.json beside a results.json is part of that run's report, not a run of its own
            if data not in here or (kind == "matrix" and "results.json" in here):
                continue
            path = os.path.join(root, rel, data)
            entry = {"dir": rel, "kind": kind, "command": "matrix" if kind == "matrix" else "?", "date": "—",
                     "workload": "—", "summary": "", "error": None, "links": []}
            try:
                doc = load_json(path)
                entry["date"] = date_of(doc, path)
                if kind == "results":
                    validate_results(doc)
                    entry.update(command=str(doc.get("command") or "?"), workload=_workload(doc),
                                 summary=run_summary(doc))
                else:
                    validate_matrix(doc)
                    entry["summary"] = matrix_summary(doc)
            except (BadInput, TypeError, ValueError, KeyError, AttributeError) as e:
                entry["error"] = f"{data}: {e}"
            page = "report.html" if "report.html" in here else None
            if kind == "matrix" and page is None and "matrix.md" in here:
                page = "matrix.md"
            entry["links"] = [link(n) for n in (page, data) if n]
            if kind == "results":
                entry["links"] += [link(n) for n in ("report.md", "matrix.json") if n in here]
            runs.append(entry)
        claimed = {"report.html"} if {"results.json", "matrix.json"} & here else set()
        for f in files:
            if f.endswith(".html") and f not in claimed and not (rel == "." and f == INDEX):
                others.append(link(f))
    return runs, others


# --------------------------------------------------------------------- html
def _a(label, href):
    return f'<a href="{html.escape(href)}">{html.escape(label)}</a>'


def to_html(root, runs, others, base):
    """The page; links are relative to base (the directory the page is written to)."""
    def href(relpath):
        return os.path.relpath(os.path.join(root, relpath), base)
    title = f"ringside runs in {os.path.basename(os.path.abspath(root)) or root}"
    body = [f"<h1>{html.escape(title)}</h1>",
            f'<p class="muted">{len(runs)} result files below <code>{html.escape(os.path.abspath(root))}</code>, '
            f"indexed {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}.</p>"]
    if runs:
        rows = []
        for e in runs:
            first = e["links"][0][1] if e["links"] else e["dir"]
            name = _a(e["dir"] if e["dir"] != "." else "(top)", href(first))
            summary = (f'<td class="err">{html.escape(e["error"])}</td>' if e["error"]
                       else f'<td class="sum">{html.escape(e["summary"])}</td>')
            files = " · ".join(_a(label, href(p)) for label, p in e["links"])
            rows.append(f"<tr><td>{name}</td><td>{html.escape(e['command'])}</td><td>{html.escape(e['date'])}</td>"
                        f"<td>{html.escape(e['workload'])}</td>{summary}<td>{files}</td></tr>")
        body.append('<div class="scroll"><table>\n<thead><tr><th>run</th><th>command</th><th>date</th>'
                    "<th>workload</th><th>summary</th><th>files</th></tr></thead>\n<tbody>\n"
                    + "\n".join(rows) + "\n</tbody></table></div>")
    else:
        body.append("<p>No results.json or matrix.json found.</p>")
    if others:
        body.append("<h2>Other pages</h2>\n<ul>\n"
                    + "\n".join(f"<li>{_a(p, href(p))}</li>" for _, p in others) + "\n</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}{INDEX_CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not os.path.isdir(args.dir):
        print(f"{PROG}: {args.dir}: not a directory", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = args.out or os.path.join(args.dir, INDEX)
    runs, others = collect(args.dir)
    text = to_html(args.dir, runs, others, os.path.dirname(os.path.abspath(out)))
    try:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        print(f"{PROG}: {out}: cannot write ({e.strerror})", file=sys.stderr)
        return EXIT_BAD_INPUT
    bad = sum(1 for e in runs if e["error"])
    print(f"{PROG}: wrote {out}: {len(runs)} result files" + (f" ({bad} unreadable)" if bad else "")
          + (f", {len(others)} other pages" if others else ""))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
