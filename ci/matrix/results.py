"""Turn what one kernel produced into a matrix row; merge rows; render matrix.md.

Pure functions over plain data (no qemu, no files except load/save), so
tests/python/test_matrix_merge.py can drive them with fixtures.

Row schema (ringside.matrix/v1), one per kernel:
  name, version, flavor, boots, btf, ringbuf, perfbuf,
  conservation: {ringbuf: pass|fail|unsupported|error, perfbuf: ...},
  e2e_p50_ns, e2e_p99_ns, ns_per_event, boot_s, status: pass|fail|unsupported|error, reason

error: the kernel could not be fetched here (network, apt, download, extraction): nothing
was run, which is an environment problem, neither a FAIL of ringside nor "unsupported".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA = "ringside.matrix/v1"
TRANSPORTS = ("ringbuf", "perfbuf")
STATUSES = ("pass", "fail", "unsupported", "error")
ROW_KEYS = ("name", "version", "flavor", "boots", "btf", "ringbuf", "perfbuf", "conservation",
            "e2e_p50_ns", "e2e_p99_ns", "ns_per_event", "boot_s", "status", "reason")
DROP_CAUSES = ("kernel_reserve", "perf_lost", "sampled_out", "queue_full", "pool_exhausted")
TIMEOUT_RCS = (124, 137, 143)  # coreutils timeout / SIGKILL / SIGTERM (busybox timeout)
# a latency beyond this cannot come from a 1-second run: it means timestamps were misread
MAX_PLAUSIBLE_NS = 60 * 1_000_000_000

# ---- the serial console ---------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1bc")


@dataclass
class Serial:
    booted: bool = False
    uname: str | None = None
    boot_uptime_s: float | None = None
    done: bool = False
    steps: dict[str, dict] = field(default_factory=dict)   # name → {"rc": int|None, "t0": s, "t1": s}
    blobs: dict[str, bytes] = field(default_factory=dict)  # "<step>.<what>" → bytes
    bad_blobs: list[str] = field(default_factory=list)
    panic: str | None = None


def parse_serial(text: str) -> Serial:
    """Parse the guest's console log (see ci/matrix/guest-init.sh for the markers)."""
    s = Serial()
    cur, buf = None, []
    for raw in text.splitlines():
        line = _ANSI.sub("", raw).strip("\r\n\t ")
        if s.panic is None and ("Kernel panic" in line or "BUG:" in line or "Oops" in line):
            m = re.search(r"\[\s*\d+\.\d+\].*", line)  # drop what shares the line (SeaBIOS banner)
            s.panic = (m.group(0) if m else line)[:200]
        if cur is not None:
            if line.startswith("RINGSIDE-RESULT-END"):
                try:
                    s.blobs[cur] = base64.b64decode("".join(buf), validate=True)
                except (binascii.Error, ValueError):
                    s.bad_blobs.append(cur)
                cur, buf = None, []
            elif re.fullmatch(r"[A-Za-z0-9+/=]*", line):
                buf.append(line)
            # anything else inside a block is console noise (printk); it is skipped
            continue
        i = line.find("RINGSIDE-")
        if i < 0:
            continue
        words = line[i:].split()
        tag = words[0]
        if tag == "RINGSIDE-BOOTED":
            s.booted = True
            s.boot_uptime_s = _float(words[1]) if len(words) > 1 else None
            s.uname = words[2] if len(words) > 2 else None
        elif tag == "RINGSIDE-STEP-BEGIN" and len(words) > 1:
            s.steps[words[1]] = {"rc": None, "t0": _float(words[2]) if len(words) > 2 else None, "t1": None}
        elif tag == "RINGSIDE-STEP-END" and len(words) > 2:
            st = s.steps.setdefault(words[1], {"rc": None, "t0": None, "t1": None})
            st["rc"] = int(words[2].split("=", 1)[1]) if words[2].startswith("rc=") else None
            st["t1"] = _float(words[3]) if len(words) > 3 else None
        elif tag == "RINGSIDE-RESULT-BEGIN" and len(words) > 1:
            cur, buf = words[1], []
        elif tag == "RINGSIDE-DONE":
            s.done = True
    if cur is not None:
        s.bad_blobs.append(cur)  # block never closed: the guest died mid-way
    return s


def _float(x: str) -> float | None:
    try:
        return float(x)
    except ValueError:
        return None


# ---- what `ringside probe --json` says ------------------------------------------------

def _lookup(d, *keys):
    for k in keys:
        if isinstance(d, dict) and k in d:
            return d[k]
    return None


# matrix column → the probe's feature names (ringside.probe/v1: features.{name: {ok, detail}})
PROBE_NAMES = {"btf": ("btf",), "ringbuf": ("map:ringbuf", "ringbuf"),
               "perfbuf": ("map:perf_event_array", "perfbuf")}


def probe_feature(probe: dict | None, feature: str) -> tuple[bool | None, str | None]:
    """(supported, reason) for btf / ringbuf / perfbuf from the probe's JSON.

    ringside.probe/v1 has features.{btf, map:ringbuf, map:perf_event_array}: {ok, detail};
    a bare bool or {supported|available, reason} is accepted too.
    """
    if not isinstance(probe, dict):
        return None, None
    v = None
    names = PROBE_NAMES.get(feature, (feature,))
    for scope in (probe.get("features"), probe, probe.get("transports"), probe.get("capabilities")):
        hit = next((n for n in names if isinstance(scope, dict) and n in scope), None)
        if hit is not None:
            v = scope[hit]
            break
    if isinstance(v, bool):
        return v, None
    if isinstance(v, dict):
        ok = _lookup(v, "ok", "supported", "available", "present")
        reason = _lookup(v, "detail", "reason", "error")
        return (bool(ok) if ok is not None else None), (str(reason) if reason and not ok else None)
    return None, None


# ---- one transport's run --------------------------------------------------------------

@dataclass
class RunOutcome:
    rc: int | None              # None: never finished (guest died)
    results: dict | None        # parsed results.json
    stderr: str = ""
    timeout_s: float | None = None
    hook: str | None = None     # raw_tp, tracepoint (None: ringside's default)
    started: bool = True        # False: the guest never got to this step
    elapsed_s: float | None = None

    @property
    def timed_out(self) -> bool:
        """Killed by the step timeout (ringside catches SIGTERM and exits 2 "interrupted")."""
        if self.rc in TIMEOUT_RCS:
            return True
        return (self.timeout_s is not None and self.elapsed_s is not None
                and self.elapsed_s >= self.timeout_s - 0.5 and self.rc not in (0, 1))


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""


def check_run(transport: str, supported: bool | None, probe_reason: str | None,
              run: RunOutcome | None) -> tuple[str, str | None]:
    """Conservation cell for one transport's run: ("pass"|"fail"|"unsupported", reason)."""
    label = f"{transport}/{run.hook}" if run is not None and run.hook else transport
    if supported is False:
        why = f"{transport} unsupported: {probe_reason or 'per probe'}"
        if run is not None and run.started and (run.rc is None or run.rc not in (0, 1, 2)):
            return "fail", f"{label}: not supported, and ringside crashed instead of falling back ({_rc_text(run)})"
        return "unsupported", why
    if run is None:
        return "fail", f"{label}: not run"
    if not run.started:
        return "fail", f"{label}: not run (the guest stopped before it)"
    if run.rc is None:
        return "fail", f"{label}: the guest stopped during the run"
    if run.timed_out:
        return "fail", f"{label}: run timed out" + (f" after {run.timeout_s:g} s" if run.timeout_s else "")
    if run.results is None:
        tail = _last_line(run.stderr)
        return "fail", f"{label}: no results.json ({_rc_text(run)}{': ' + tail if tail else ''})"
    if run.rc not in (0, 1):
        return "fail", f"{label}: {_rc_text(run)}: {_last_line(run.stderr)}"
    summary = run.results.get("summary") or {}
    ev = summary.get("events") or {}
    exp, rec = ev.get("expected"), ev.get("received")
    dropped = ev.get("dropped") or {}
    if not isinstance(exp, int) or not isinstance(rec, int):
        return "fail", f"{label}: results lack summary.events.expected/received"
    dsum = sum(v for v in dropped.values() if isinstance(v, int)) if isinstance(dropped, dict) else 0
    if exp <= 0:
        return "fail", f"{label}: the workload issued no syscalls (expected={exp})"
    if rec + dsum != exp:
        lost = exp - rec - dsum
        what = f"{lost} lost" if lost > 0 else f"{-lost} extra"
        return "fail", f"{label}: events not conserved: expected {exp} != received {rec} + dropped {dsum} ({what})"
    if ev.get("conserved") is False:
        return "fail", f"{label}: ringside reports events not conserved"
    if rec == 0:
        return "fail", f"{label}: no events received (all {dsum} dropped)"
    by = ev.get("by_syscall")
    if isinstance(by, dict) and by and sum(v for v in by.values() if isinstance(v, int)) != rec:
        return "fail", f"{label}: miscounted: by_syscall sums to {sum(by.values())}, received {rec}"
    host = run.results.get("host") or {}
    ran = host.get("transport")
    if supported and isinstance(ran, str) and ran != transport:
        return "fail", f"{label}: ran {ran} although the probe reports {transport} supported"
    if run.hook and isinstance(host.get("hook"), str) and host["hook"] != run.hook:
        return "fail", f"{label}: ran hook {host['hook']}"
    e2e = ((summary.get("latency_ns") or {}).get("end_to_end") or {})
    p50, p99 = e2e.get("p50"), e2e.get("p99")
    for name, v in (("p50", p50), ("p99", p99)):
        if isinstance(v, (int, float)) and not (0 < v < MAX_PLAUSIBLE_NS):
            return "fail", f"{label}: implausible end_to_end {name} = {v} ns (timestamps misread?)"
    return "pass", None


def check_transport(transport: str, supported: bool | None, probe_reason: str | None,
                    runs: RunOutcome | list[RunOutcome] | None) -> tuple[str, list[str], RunOutcome | None]:
    """All of one transport's runs (one per hook, main first) → (cell, reasons, main run if it passed)."""
    if isinstance(runs, RunOutcome):
        runs = [runs]
    runs = runs or [None]
    cells, reasons = [], []
    for run in runs:
        cell, why = check_run(transport, supported, probe_reason, run)
        cells.append(cell)
        if why and why not in reasons:
            reasons.append(why)
    cell = "fail" if "fail" in cells else ("unsupported" if "unsupported" in cells else "pass")
    return cell, reasons, runs[0] if cells[0] == "pass" else None


def _rc_text(run: RunOutcome) -> str:
    if run.rc is None:
        return "no exit status"
    if run.rc in TIMEOUT_RCS:
        return f"timed out (rc={run.rc})"
    if run.rc > 128:
        return f"killed by signal {run.rc - 128} (rc={run.rc})"
    return f"exit {run.rc}"


# ---- the row --------------------------------------------------------------------------

def make_row(name: str, version: str | None, flavor: str, *, boots: bool | None, boot_s: float | None,
             probe_rc: int | None, probe: dict | None, runs: dict[str, RunOutcome | list[RunOutcome]],
             boot_failure: str | None = None, probe_stderr: str = "",
             transports=TRANSPORTS) -> dict:
    """Classify everything one kernel produced into a ringside.matrix/v1 row."""
    row = {k: None for k in ROW_KEYS}
    row.update(name=name, version=version, flavor=flavor, boots=boots,
               boot_s=round(boot_s, 2) if boot_s is not None else None,
               conservation={t: "unsupported" for t in TRANSPORTS})
    if not boots:
        row["conservation"] = {t: "fail" for t in TRANSPORTS}
        return finish(row, "fail", boot_failure or "did not boot")
    btf, btf_reason = probe_feature(probe, "btf")
    row["btf"] = btf
    if probe is None:
        row["conservation"] = {t: "fail" for t in TRANSPORTS}
        why = f"probe failed ({'no exit status' if probe_rc is None else f'exit {probe_rc}'})"
        tail = _last_line(probe_stderr)
        return finish(row, "fail", why + (f": {tail}" if tail else ""))
    fails, notes, cells, main = [], [], {}, {}
    for t in TRANSPORTS:
        sup, why = probe_feature(probe, t)
        row[t] = sup
        if t not in transports:
            cells[t] = "unsupported"
            notes.append(f"{t}: not run (not among the selected transports)")
            continue
        if btf is False and sup is not False:
            sup, why = False, btf_reason or "kernel lacks BTF"
        cells[t], reasons, main[t] = check_transport(t, sup, why, runs.get(t))
        (fails if cells[t] == "fail" else notes).extend(reasons)
    row["conservation"] = cells
    # numbers: the first transport whose main run conserved (even if another hook's run failed)
    best = next((t for t in transports if main.get(t) is not None), None)
    if best:
        summary = main[best].results.get("summary") or {}
        e2e = ((summary.get("latency_ns") or {}).get("end_to_end") or {})
        row["e2e_p50_ns"] = e2e.get("p50")
        row["e2e_p99_ns"] = e2e.get("p99")
        row["ns_per_event"] = (summary.get("cpu") or {}).get("ns_per_event")
    if fails:
        return finish(row, "fail", "; ".join(fails + notes))
    if btf is False:
        return finish(row, "unsupported", btf_reason or "kernel lacks BTF")
    if not any(c == "pass" for c in cells.values()):
        return finish(row, "unsupported", "; ".join(notes) or "no transport supported")
    return finish(row, "pass", "; ".join(notes) or None)


def finish(row: dict, status: str, reason: str | None) -> dict:
    row["status"], row["reason"] = status, reason
    return row


def skipped_row(name: str, version: str | None, flavor: str, reason: str) -> dict:
    """A kernel that could not be had here (suite unreachable, …): unsupported, never a failure."""
    row = {k: None for k in ROW_KEYS}
    row.update(name=name, version=version, flavor=flavor,
               conservation={t: "unsupported" for t in TRANSPORTS})
    return finish(row, "unsupported", f"skipped: {reason}")


def error_row(name: str, version: str | None, flavor: str, reason: str) -> dict:
    """A kernel that could not be fetched (network, apt, download, extraction): error, not a verdict."""
    row = {k: None for k in ROW_KEYS}
    row.update(name=name, version=version, flavor=flavor, conservation={t: "error" for t in TRANSPORTS})
    return finish(row, "error", reason)


# ---- the matrix -----------------------------------------------------------------------

def matrix_doc(rows: list[dict], **meta) -> dict:
    return {"schema": SCHEMA, **meta, "kernels": rows}


def validate(doc: dict, where: str = "matrix") -> None:
    if not isinstance(doc, dict) or doc.get("schema", SCHEMA) != SCHEMA:
        raise ValueError(f"{where}: not a {SCHEMA} document")
    ks = doc.get("kernels")
    if not isinstance(ks, list):
        raise ValueError(f"{where}: no kernels list")
    for i, k in enumerate(ks):
        missing = [key for key in ROW_KEYS if key not in k]
        if missing:
            raise ValueError(f"{where}: kernels[{i}] lacks {', '.join(missing)}")
        if k["status"] not in STATUSES:
            raise ValueError(f"{where}: kernels[{i}].status is {k['status']!r}")


def merge(docs: list[dict], order: list[str] = ()) -> tuple[dict, list[str]]:
    """Merge fanned-out matrix documents; a kernel seen twice keeps its last row.

    Rows come out in `order` (the catalog) first, then the rest as first seen.
    Returns (document, notes about duplicates).
    """
    rows: dict[str, dict] = {}
    seen: list[str] = []
    notes = []
    for doc in docs:
        for k in doc["kernels"]:
            if k["name"] in rows:
                notes.append(f"{k['name']} appears more than once; keeping the later row")
            else:
                seen.append(k["name"])
            rows[k["name"]] = k
    rank = {n: i for i, n in enumerate(order)}
    names = sorted(seen, key=lambda n: (0, rank[n]) if n in rank else (1, seen.index(n)))
    # run metadata: kept when every job agrees, else listed per job (KEY_by_job)
    meta = {}
    keys = [k for doc in docs for k in doc if k not in ("schema", "kernels", "merged_from")]
    for key in dict.fromkeys(keys):
        values = [doc.get(key) for doc in docs]
        if all(v == values[0] for v in values):
            meta[key] = values[0]
        else:
            meta[f"{key}_by_job"] = values
    meta["merged_from"] = len(docs)
    return matrix_doc([rows[n] for n in names], **meta), notes


def failed(doc: dict) -> list[dict]:
    return [k for k in doc["kernels"] if k["status"] == "fail"]


def errored(doc: dict) -> list[dict]:
    return [k for k in doc["kernels"] if k["status"] == "error"]


def exit_code(doc: dict) -> int:
    """1 if any kernel failed, else 2 if any could not be fetched (environment), else 0."""
    return 1 if failed(doc) else 2 if errored(doc) else 0


def load(path: Path) -> dict:
    doc = json.loads(Path(path).read_text())
    validate(doc, str(path))
    return doc


def save(doc: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "matrix.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out / "matrix.md").write_text(markdown(doc))


# ---- matrix.md ------------------------------------------------------------------------

def _yn(v) -> str:
    return "—" if v is None else ("yes" if v else "no")


def _ns(v) -> str:
    if not isinstance(v, (int, float)):
        return "—"
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    if v >= 1e3:
        return f"{v / 1e3:.1f} µs"
    return f"{v:.0f} ns"


def _cell(s: str) -> str:
    return {"pass": "pass", "fail": "**FAIL**", "unsupported": "unsupported", "error": "**ERROR**"}.get(s, str(s))


def markdown(doc: dict) -> str:
    ks = doc["kernels"]
    head = ["kernel", "version", "boots", "BTF", "ringbuf", "perfbuf",
            "conservation ringbuf", "conservation perfbuf", "end_to_end p50 / p99", "ns/event", "status"]
    out = ["# ringside kernel matrix", ""]
    counts = {s: sum(1 for k in ks if k["status"] == s) for s in STATUSES}
    out.append(f"{len(ks)} kernels: {counts['pass']} pass, {counts['fail']} fail, "
               f"{counts['unsupported']} unsupported" + (f", {counts['error']} error." if counts["error"] else "."))
    params = doc.get("params") or {}
    run_args, hooks = params.get("run_args"), params.get("hooks")
    if run_args:
        line = "Each cell: `ringside run " + " ".join(run_args) + (" --hook H" if hooks else "") + " --transport T`"
        if hooks:
            line += (f" for H in {', '.join(hooks)}; every run must conserve events, latency and "
                     f"ns/event come from the {hooks[0]} run")
        out += ["", line + "."]
    out += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k in ks:
        boots = _yn(k["boots"])
        if k["boots"] and isinstance(k.get("boot_s"), (int, float)):
            boots += f" ({k['boot_s']:.1f} s)"
        cons = k.get("conservation") or {}
        lat = "—" if k.get("e2e_p50_ns") is None and k.get("e2e_p99_ns") is None else \
            f"{_ns(k.get('e2e_p50_ns'))} / {_ns(k.get('e2e_p99_ns'))}"
        npe = k.get("ns_per_event")
        cells = [k["name"], k.get("version") or "—", boots, _yn(k.get("btf")), _yn(k.get("ringbuf")),
                 _yn(k.get("perfbuf")), _cell(cons.get("ringbuf", "—")), _cell(cons.get("perfbuf", "—")),
                 lat, f"{npe:.0f}" if isinstance(npe, (int, float)) else "—", _cell(k["status"])]
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    notes = [k for k in ks if k.get("reason")]
    if notes:
        out += ["", "Notes:", ""]
        out += [f"- **{k['name']}** ({k['status']}): {k['reason']}" for k in notes]
    out.append("")
    if counts["error"]:
        out += ["**ERROR**: the kernel could not be fetched on this machine (network, apt, download or "
                "extraction failed), so nothing ran: an environment problem, not a verdict on ringside.", ""]
    out.append("Latency and ns/event come from the ringbuf run (the perfbuf run where ringbuf is "
               "unsupported or failed); guests run under qemu TCG (one emulated CPU), so their numbers "
               "compare kernels with each other, not with the host. Boot time is qemu start to the "
               "guest's /init.")
    return "\n".join(out) + "\n"
