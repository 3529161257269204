"""Loading, validation and number formatting for ringside results files.

Pure standard library: this module must import without matplotlib so that bad
input is reported (exit 2) before the plotting stack is even looked at.
"""
import json
import math
import os

SCHEMA = "ringside.results/v1"
MATRIX_SCHEMA = "ringside.matrix/v1"
STAGES = ("syscall_to_hook", "hook_to_submit", "submit_to_read", "read_to_parse",
          "queue_wait", "handle", "end_to_end")
STAGE_LABELS = {
    "syscall_to_hook": "syscall → hook", "hook_to_submit": "hook → submit",
    "submit_to_read": "submit → read", "read_to_parse": "read → parse",
    "queue_wait": "queue wait", "handle": "handle", "end_to_end": "end-to-end",
}
DROP_CAUSES = ("kernel_reserve", "perf_lost", "sampled_out", "queue_full", "pool_exhausted")
# summary.events (and each program's events) carries ONE per-kind count map under one of these keys.
KIND_KEYS = ("by_syscall", "by_function", "by_kind")
KIND_LABELS = {"by_syscall": "syscall", "by_function": "function", "by_kind": "kind"}
PERCENTILES = (("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p999", "p99.9"))
DEFAULT_BUDGET_PCT = 1.0
DASH = "—"
NOT_MEASURED = "not measured"


class BadInput(Exception):
    """The input cannot be rendered; the message is the one-line reason."""


def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{path}: cannot read ({e})") from None


def section(parent, key, kind=dict, where=""):
    """parent[key] if present and not null, else None; wrong type -> BadInput."""
    if not isinstance(parent, dict):
        return None
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, kind):
        raise BadInput(f"{where}{key} should be a{'n object' if kind is dict else ' list'}, "
                       f"got {type(value).__name__}")
    return value


def _check_list_of_objects(items, where):
    for i, item in enumerate(items or ()):
        if not isinstance(item, dict):
            raise BadInput(f"{where}[{i}] should be an object")


def validate_results(doc):
    """Raise BadInput unless doc has the required shape; optional parts are type-checked."""
    if not isinstance(doc, dict):
        raise BadInput("top level is not a JSON object")
    schema = doc.get("schema")
    if schema != SCHEMA:
        raise BadInput(f"schema is {schema!r}, expected {SCHEMA!r}")
    for key in ("host", "scenario", "summary"):
        if not isinstance(doc.get(key), dict):
            raise BadInput(f"missing or invalid required section {key!r}")
    summary = doc["summary"]
    events = summary.get("events")
    if not isinstance(events, dict):
        raise BadInput("missing or invalid required section 'summary.events'")
    if not is_num(events.get("received")):
        raise BadInput("summary.events.received should be a number")
    if events.get("expected") is not None and not is_num(events["expected"]):
        raise BadInput("summary.events.expected should be a number or null")
    _validate_summary(summary, "summary.")
    for i, run in enumerate(section(doc, "runs", list) or ()):
        if not isinstance(run, dict):
            raise BadInput(f"runs[{i}] should be an object")
        _validate_summary(run, f"runs[{i}].")
    for i, comp in enumerate(section(doc, "comparisons", list) or ()):
        if not isinstance(comp, dict) or not isinstance(comp.get("summary"), dict):
            raise BadInput(f"comparisons[{i}] should be an object with a 'summary' object")
        _validate_summary(comp["summary"], f"comparisons[{i}].summary.")
    sweep = section(doc, "sweep")
    if sweep is not None:
        _check_list_of_objects(section(sweep, "points", list, "sweep."), "sweep.points")
        _check_list_of_objects(section(sweep, "payload_points", list, "sweep."), "sweep.payload_points")
        for key in ("model", "ns_per_event", "ring_recommendation", "plan"):
            section(sweep, key, dict, "sweep.")
    measure = section(doc, "measure")
    if measure is not None:
        _check_list_of_objects(section(measure, "bpf_programs", list, "measure."),
                               "measure.bpf_programs")


def _validate_summary(summary, where):
    for key in ("workload", "events", "latency_ns", "cpu", "overhead", "governor"):
        section(summary, key, dict, where)
    _validate_events(section(summary, "events", dict, where) or {}, where + "events.")
    _validate_latency(summary, where)
    section(section(summary, "overhead", dict, where), "aggregate_cpu", dict, where + "overhead.")
    gov = section(summary, "governor", dict, where) or {}
    _check_list_of_objects(section(gov, "steps", list, where + "governor."), where + "governor.steps")
    _check_list_of_objects(section(gov, "windows", list, where + "governor."), where + "governor.windows")
    for name, prog in (section(summary, "programs", dict, where) or {}).items():
        _validate_program(prog, f"{where}programs.{name}")


def _validate_events(events, where):
    section(events, "dropped", dict, where)
    for key in KIND_KEYS:
        section(events, key, dict, where)


def _validate_latency(holder, where):
    for stage, stats in (section(holder, "latency_ns", dict, where) or {}).items():
        if not isinstance(stats, dict):
            raise BadInput(f"{where}latency_ns.{stage} should be an object")
        section(stats, "cdf", list, f"{where}latency_ns.{stage}.")


def _validate_program(prog, where):
    """One entry of summary.programs / runs[].programs: {events, latency_ns, cpu, record_bytes}."""
    if not isinstance(prog, dict):
        raise BadInput(f"{where} should be an object")
    for key in ("events", "latency_ns", "cpu", "record_bytes"):
        section(prog, key, dict, where + ".")
    _validate_events(section(prog, "events", dict, where + ".") or {}, where + ".events.")
    _validate_latency(prog, where + ".")
    cpu = section(prog, "cpu", dict, where + ".")
    _check_list_of_objects(section(cpu, "bpf_by_prog", list, where + ".cpu."), where + ".cpu.bpf_by_prog")


def validate_matrix(doc):
    if not isinstance(doc, dict):
        raise BadInput("matrix.json: top level is not a JSON object")
    if doc.get("schema") != MATRIX_SCHEMA:
        raise BadInput(f"matrix.json: schema is {doc.get('schema')!r}, expected {MATRIX_SCHEMA!r}")
    kernels = doc.get("kernels")
    if not isinstance(kernels, list):
        raise BadInput("matrix.json: 'kernels' should be a list")
    _check_list_of_objects(kernels, "matrix.json: kernels")


def load_inputs(results_dir):
    """Return (results, matrix-or-None); raise BadInput on any problem."""
    if not os.path.isdir(results_dir):
        raise BadInput(f"{results_dir}: not a directory")
    results = load_json(os.path.join(results_dir, "results.json"))
    validate_results(results)
    matrix = None
    matrix_path = os.path.join(results_dir, "matrix.json")
    if os.path.exists(matrix_path):
        matrix = load_json(matrix_path)
        validate_matrix(matrix)
    return results, matrix


# ---------------------------------------------------------------- formatting
# Every number that reaches the report goes through one of these, so the same
# kind of quantity always looks the same (and the tests can parse it back):
#   counts, ns, bytes  -> integer with thousands separators   "6,612,345"
#   rates, ops/s       -> ints as ints, floats with 1 decimal  "2,204,115.4"
#   percentages        -> 3 decimals and a % sign              "0.412%"
#   ns per event       -> 1 decimal                            "301.3"

def _number(x):
    if x is None:
        return None
    if not is_num(x):
        raise BadInput(f"expected a number, got {x!r}")
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def fmt_int(x):
    x = _number(x)
    return DASH if x is None else f"{int(round(x)):,}"


def fmt_num(x, decimals=1):
    x = _number(x)
    if x is None:
        return DASH
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:,.{decimals}f}"


def fmt_fixed(x, decimals):
    x = _number(x)
    return DASH if x is None else f"{x:,.{decimals}f}"


def fmt_pct(x):
    x = _number(x)
    return DASH if x is None else f"{x:,.3f}%"


def fmt_sci(x):
    x = _number(x)
    return DASH if x is None else f"{x:.4g}"


def fmt_ratio(x):
    x = _number(x)
    return DASH if x is None else f"{x:.4f}"


def fmt_dur(ns):
    """Human duration for prose and plot labels (never in tables)."""
    ns = _number(ns)
    if ns is None:
        return DASH
    a = abs(ns)
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if a >= scale:
            v = ns / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    return f"{ns:.0f} ns"


def fmt_bytes(n):
    n = _number(n)
    if n is None:
        return DASH
    for scale, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if abs(n) >= scale:
            return f"{int(n):,} ({n / scale:.1f} {unit})"
    return f"{int(n):,} B"


def fmt_bool(x, yes="yes", no="no"):
    if x is None:
        return DASH
    return yes if x else no


def fmt_rate(x):
    """A target rate: null means unpaced ("max")."""
    return "max" if x is None else fmt_num(x)


def fmt_value(x, ids=False):
    """Anything from host/scenario: scalars as-is, lists joined, objects as JSON.
    ids=True prints integers bare (pids are not quantities: 4242, not 4,242)."""
    if x is None:
        return DASH
    if isinstance(x, bool):
        return fmt_bool(x)
    if is_num(x):
        if ids and isinstance(x, int):
            return str(x)
        return fmt_num(x, 3) if isinstance(x, float) else fmt_num(x)
    if isinstance(x, list):
        return ", ".join(fmt_value(v, ids) for v in x) or DASH
    if isinstance(x, dict):
        return json.dumps(x, sort_keys=True)
    return str(x)


def kind_counts(events):
    """(key, {kind: count}) of the per-kind map in events (by_syscall / by_function / by_kind);
    (None, {}) when there is none."""
    for key in KIND_KEYS:
        counts = section(events, key)
        if counts is not None:
            return key, counts
    return None, {}


def total_dropped(events):
    dropped = section(events, "dropped") or {}
    return sum(v for v in dropped.values() if is_num(v))


def budget_of(results):
    """The CPU budget (% of machine) the result was judged against."""
    summary = results.get("summary", {})
    for holder in (section(summary, "cpu"), section(results, "sweep"), section(summary, "governor")):
        if holder and is_num(holder.get("budget_pct")):
            return holder["budget_pct"]
    return DEFAULT_BUDGET_PCT


def conserved(events):
    """True/False per the JSON (or the arithmetic when it does not say); None if unknowable."""
    if events.get("conserved") is not None:
        return bool(events["conserved"])
    expected, received = events.get("expected"), events.get("received")
    if not is_num(expected) or not is_num(received):
        return None
    return expected == received + total_dropped(events)
