"""Kernel-matrix logic on fixture data: serial parsing, cell classification, merge, matrix.md.

Runs with Debian's /usr/bin/python3 -m pytest; needs no qemu, no kernel, no root.
"""

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "ci" / "matrix"))

import results  # noqa: E402
from results import RunOutcome  # noqa: E402

PROBE_OK = {"schema": "ringside.probe/v1", "kernel": "6.1.0-37-amd64", "preempt_rt": False,
            "features": {"btf": {"ok": True, "detail": "/sys/kernel/btf/vmlinux"},
                         "map:ringbuf": {"ok": True, "detail": ""},
                         "map:perf_event_array": {"ok": True, "detail": ""}}}
PROBE_NO_RINGBUF = copy.deepcopy(PROBE_OK)
PROBE_NO_RINGBUF["features"]["map:ringbuf"] = {"ok": False, "detail": "errno 22: invalid argument"}
PROBE_NO_BTF = copy.deepcopy(PROBE_OK)
PROBE_NO_BTF["features"]["btf"] = {"ok": False, "detail": "/sys/kernel/btf/vmlinux missing"}


def results_json(transport="ringbuf", expected=20000, received=20000, dropped=None, p50=15000, p99=90000,
                 ns_per_event=900.0, by_syscall=None, conserved=None):
    dropped = dropped or {"kernel_reserve": 0, "perf_lost": 0, "sampled_out": 0, "queue_full": 0,
                          "pool_exhausted": 0}
    ev = {"expected": expected, "received": received, "dropped": dropped,
          "by_syscall": by_syscall if by_syscall is not None else {"write": received}}
    if conserved is not None:
        ev["conserved"] = conserved
    return {"schema": "ringside.results/v1", "host": {"kernel": "x", "transport": transport},
            "summary": {"events": ev, "latency_ns": {"end_to_end": {"p50": p50, "p99": p99}},
                        "cpu": {"ns_per_event": ns_per_event}}}


def ok_runs():
    return {t: RunOutcome(rc=0, results=results_json(t)) for t in results.TRANSPORTS}


def row(name="6.1-generic", **kw):
    args = dict(boots=True, boot_s=3.14159, probe_rc=0, probe=PROBE_OK, runs=ok_runs())
    args.update(kw)
    return results.make_row(name, "6.1.0-37-amd64", "generic", **args)


# ---- serial console ----------------------------------------------------------------------

def block(name, data: bytes, noise=None):
    enc = base64.encodebytes(data).decode().splitlines()
    if noise:
        enc.insert(1, noise)
    return [f"RINGSIDE-RESULT-BEGIN {name}", *enc, f"RINGSIDE-RESULT-END {name}"]


def test_parse_serial_reads_markers_and_blobs():
    probe = json.dumps(PROBE_OK).encode() * 3  # long enough to wrap over several base64 lines
    lines = ["\x1bc\x1b[?7lSeaBIOS (version 1.16)", "Booting from ROM..",
             "RINGSIDE-BOOTED 2.84 6.1.0-37-amd64",
             "RINGSIDE-STEP-BEGIN probe 2.90", "RINGSIDE-STEP-END probe rc=0 3.10\r",
             *block("probe.stdout", probe, noise="[    3.2] random: crng init done"),
             "RINGSIDE-STEP-BEGIN run-ringbuf 3.2", "RINGSIDE-STEP-END run-ringbuf rc=143 9.0",
             "RINGSIDE-DONE 9.5"]
    s = results.parse_serial("\r\n".join(lines))
    assert s.booted and s.uname == "6.1.0-37-amd64" and s.boot_uptime_s == pytest.approx(2.84)
    assert s.steps["probe"]["rc"] == 0 and s.steps["run-ringbuf"]["rc"] == 143
    assert s.blobs["probe.stdout"] == probe
    assert s.done and not s.bad_blobs and s.panic is None


def test_parse_serial_flags_unclosed_block_and_panic():
    text = "\n".join(["RINGSIDE-BOOTED 3.0 6.1.0-37-rt-amd64", "RINGSIDE-STEP-BEGIN run-ringbuf 3.1",
                      "RINGSIDE-RESULT-BEGIN run-ringbuf.stderr", "aGVsbG8=",
                      "Booting from ROM..[    5.0] Kernel panic - not syncing: Fatal exception"])
    s = results.parse_serial(text)
    assert s.booted and not s.done
    assert s.panic == "[    5.0] Kernel panic - not syncing: Fatal exception"
    assert s.bad_blobs == ["run-ringbuf.stderr"]
    assert s.steps["run-ringbuf"]["rc"] is None


# ---- the probe ---------------------------------------------------------------------------

def test_probe_feature_reads_ringside_probe_v1():
    assert results.probe_feature(PROBE_OK, "ringbuf") == (True, None)
    assert results.probe_feature(PROBE_NO_RINGBUF, "ringbuf") == (False, "errno 22: invalid argument")
    assert results.probe_feature(PROBE_OK, "perfbuf") == (True, None)
    assert results.probe_feature(PROBE_NO_BTF, "btf") == (False, "/sys/kernel/btf/vmlinux missing")
    assert results.probe_feature(None, "btf") == (None, None)
    assert results.probe_feature({"btf": True}, "btf") == (True, None)


# ---- cells and rows ----------------------------------------------------------------------

def test_all_conserved_is_pass_with_ringbuf_numbers():
    r = row()
    assert r["status"] == "pass" and r["reason"] is None
    assert r["conservation"] == {"ringbuf": "pass", "perfbuf": "pass"}
    assert (r["boots"], r["btf"], r["ringbuf"], r["perfbuf"]) == (True, True, True, True)
    assert (r["e2e_p50_ns"], r["e2e_p99_ns"], r["ns_per_event"]) == (15000, 90000, 900.0)
    assert r["boot_s"] == 3.14
    assert list(r) == list(results.ROW_KEYS)


def test_named_drops_still_conserve():
    runs = ok_runs()
    runs["perfbuf"] = RunOutcome(0, results_json("perfbuf", received=19000,
                                                 dropped={"perf_lost": 900, "queue_full": 100}))
    assert row(runs=runs)["conservation"]["perfbuf"] == "pass"


def test_lost_events_fail():
    runs = ok_runs()
    runs["perfbuf"] = RunOutcome(0, results_json("perfbuf", received=19990))
    r = row(runs=runs)
    assert r["status"] == "fail" and r["conservation"]["perfbuf"] == "fail"
    assert "10 lost" in r["reason"]


def test_miscounted_and_misread_fail():
    # the PREEMPT_RT offset bug: events arrive but args/timestamps are read at the wrong offsets
    runs = ok_runs()
    runs["ringbuf"] = RunOutcome(0, results_json(by_syscall={"write": 19000, "read": 500}))
    assert "miscounted" in row(runs=runs)["reason"]
    runs["ringbuf"] = RunOutcome(0, results_json(p99=2**63 - 1))
    assert "implausible" in row(runs=runs)["reason"]
    runs["ringbuf"] = RunOutcome(0, results_json(conserved=False))
    assert row(runs=runs)["status"] == "fail"


def test_nothing_received_fails():
    runs = ok_runs()
    runs["ringbuf"] = RunOutcome(0, results_json(received=0, dropped={"kernel_reserve": 20000}))
    assert row(runs=runs)["conservation"]["ringbuf"] == "fail"


def test_timeout_crash_and_missing_results_fail():
    for run, words in ((RunOutcome(143, None), "timed out"), (RunOutcome(139, None), "signal 11"),
                       (RunOutcome(2, None, "ringside: interrupted", timeout_s=4, elapsed_s=4.02), "timed out after 4 s"),
                       (RunOutcome(None, None), "stopped"), (RunOutcome(2, None, "ringside: needs CAP_BPF"),
                                                              "needs CAP_BPF")):
        runs = ok_runs()
        runs["ringbuf"] = run
        r = row(runs=runs)
        assert r["status"] == "fail" and r["conservation"]["ringbuf"] == "fail"
        assert words in r["reason"], r["reason"]


def test_unsupported_ringbuf_falls_back_without_failing():
    runs = ok_runs()
    runs["ringbuf"] = RunOutcome(0, results_json("perfbuf"))  # ringside fell back to perfbuf
    r = row(probe=PROBE_NO_RINGBUF, runs=runs)
    assert r["status"] == "pass"
    assert r["ringbuf"] is False and r["conservation"] == {"ringbuf": "unsupported", "perfbuf": "pass"}
    assert "errno 22" in r["reason"]
    assert r["e2e_p50_ns"] == 15000  # numbers from perfbuf


def test_unsupported_but_crashing_fails():
    runs = ok_runs()
    runs["ringbuf"] = RunOutcome(139, None)
    r = row(probe=PROBE_NO_RINGBUF, runs=runs)
    assert r["status"] == "fail" and "crashed" in r["reason"]


def test_fallback_where_probe_says_supported_fails():
    runs = ok_runs()
    runs["ringbuf"] = RunOutcome(0, results_json("perfbuf"))
    assert "ran perfbuf" in row(runs=runs)["reason"]


def test_every_hook_must_conserve():
    # raw_tp passes but the tracepoint context is misread (the PREEMPT_RT trace_entry layout)
    runs = {t: [RunOutcome(0, results_json(t, p50=15000 if t == "ringbuf" else 22000), hook="raw_tp"),
                RunOutcome(0, results_json(t, received=0 if t == "ringbuf" else 20000), hook="tracepoint")]
            for t in results.TRANSPORTS}
    r = row(runs=runs)
    assert r["status"] == "fail"
    assert r["conservation"] == {"ringbuf": "fail", "perfbuf": "pass"}
    assert r["reason"].startswith("ringbuf/tracepoint: events not conserved")
    assert r["e2e_p50_ns"] == 15000  # from ringbuf's main (raw_tp) run, which conserved
    runs["ringbuf"][0] = RunOutcome(0, results_json("ringbuf", received=1, p50=1), hook="raw_tp")
    assert row(runs=runs)["e2e_p50_ns"] == 22000  # now from perfbuf's
    runs["ringbuf"][1] = RunOutcome(None, None, hook="tracepoint", started=False)
    assert "not run (the guest stopped before it)" in row(runs=runs)["reason"]
    runs["ringbuf"][1] = RunOutcome(0, results_json("ringbuf") | {"host": {"transport": "ringbuf", "hook": "raw_tp"}},
                                    hook="tracepoint")
    assert "ran hook raw_tp" in row(runs=runs)["reason"]


def test_steps_guest_script():
    import guest
    steps = guest.Steps(transports=("ringbuf", "perfbuf"), run_args=["--rate", "20000"], step_timeout_s=77)
    names = [s.name for s in steps.list("/bin/", "/tmp")]
    assert names == ["probe", "run-ringbuf", "run-perfbuf", "run-ringbuf-tracepoint", "run-perfbuf-tracepoint"]
    script = steps.guest_script().decode().splitlines()
    assert script[1] == "STEP_TIMEOUT=77"
    assert script[2] == "step probe '' /bin/ringside probe --json"
    assert script[3] == ("step run-ringbuf /tmp/r-ringbuf /bin/ringside run --rate 20000 --hook raw_tp "
                         "--transport ringbuf --out /tmp/r-ringbuf")


def test_no_btf_is_unsupported():
    runs = {t: RunOutcome(2, None, "ringside: kernel lacks BTF") for t in results.TRANSPORTS}
    r = row(probe=PROBE_NO_BTF, runs=runs)
    assert r["status"] == "unsupported" and r["btf"] is False
    assert r["conservation"] == {"ringbuf": "unsupported", "perfbuf": "unsupported"}
    assert "btf" in r["reason"].lower()


def test_no_boot_and_no_probe_fail():
    r = row(boots=False, boot_s=None, probe=None, runs={}, boot_failure="no init within 60 s")
    assert r["status"] == "fail" and r["reason"] == "no init within 60 s" and r["boot_s"] is None
    r = row(probe=None, probe_rc=139, probe_stderr="Segmentation fault\n")
    assert r["status"] == "fail" and "exit 139" in r["reason"] and "Segmentation" in r["reason"]


def test_skipped_row_is_unsupported():
    r = results.skipped_row("5.10-generic", None, "generic", "suite bullseye not reachable")
    assert r["status"] == "unsupported" and r["reason"].startswith("skipped: ")
    assert list(r) == list(results.ROW_KEYS)


def test_error_row_is_neither_fail_nor_unsupported():
    r = results.error_row("6.1-generic", None, "generic", "could not fetch the kernel: apt-get update failed")
    assert r["status"] == "error" and r["conservation"] == {"ringbuf": "error", "perfbuf": "error"}
    assert list(r) == list(results.ROW_KEYS)
    d = doc(row("6.1-cloud"), r)
    results.validate(d)
    assert results.failed(d) == [] and results.errored(d) == [r]
    assert results.exit_code(d) == 2
    assert results.exit_code(doc(row("6.1-cloud"), results.skipped_row("5.10-cloud", None, "cloud", "x"))) == 0
    lost = ok_runs()
    lost["perfbuf"] = RunOutcome(0, results_json("perfbuf", received=1))
    assert results.exit_code(doc(row("6.1-rt", runs=lost), r)) == 1


# ---- merge -------------------------------------------------------------------------------

def doc(*rows, **meta):
    return results.matrix_doc(list(rows), **meta)


def test_merge_orders_by_catalog_and_keeps_last_duplicate():
    a = doc(row("host"), row("6.12-rt"), params={"run_args": ["--rate", "20000"]}, generated="t1")
    failing = row("6.12-rt", runs={"ringbuf": RunOutcome(143, None), "perfbuf": ok_runs()["perfbuf"]})
    b = doc(row("my-kernel"), row("5.10-generic"), failing, params={"run_args": ["--rate", "20000"]}, generated="t2")
    merged, notes = results.merge([a, b], order=["5.10-generic", "6.12-rt", "host"])
    assert [k["name"] for k in merged["kernels"]] == ["5.10-generic", "6.12-rt", "host", "my-kernel"]
    assert merged["schema"] == results.SCHEMA and merged["merged_from"] == 2
    assert merged["params"] == {"run_args": ["--rate", "20000"]}
    assert merged["generated_by_job"] == ["t1", "t2"] and "generated" not in merged
    assert notes and "6.12-rt" in notes[0]
    assert [k["name"] for k in results.failed(merged)] == ["6.12-rt"]
    results.validate(merged)


def test_validate_rejects_bad_documents():
    with pytest.raises(ValueError):
        results.validate({"schema": "ringside.results/v1", "kernels": []})
    bad = row()
    del bad["conservation"]
    with pytest.raises(ValueError, match="conservation"):
        results.validate(doc(bad))
    bad = row()
    bad["status"] = "skipped"
    with pytest.raises(ValueError, match="status"):
        results.validate(doc(bad))


# ---- matrix.md ---------------------------------------------------------------------------

def test_markdown_table():
    runs = ok_runs()
    runs["perfbuf"] = RunOutcome(0, results_json("perfbuf", received=19990))
    d = doc(row("6.1-generic"), row("6.1-rt", runs=runs),
            results.skipped_row("5.10-cloud", None, "cloud", "suite bullseye not reachable"),
            params={"run_args": ["--workload", "write"], "hooks": ["raw_tp", "tracepoint"]})
    md = results.markdown(d)
    lines = md.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.startswith("| kernel"))
    table = lines[header:header + 5]
    assert len({ln.count("|") for ln in table}) == 1  # every row has every column
    for col in ("boots", "BTF", "ringbuf", "perfbuf", "conservation", "p50 / p99", "ns/event"):
        assert col in table[0]
    assert "| 6.1-generic | 6.1.0-37-amd64 | yes (3.1 s) | yes | yes | yes | pass | pass | 15.0 µs / 90.0 µs | 900 | pass |" in md
    assert "**FAIL**" in table[3] and "unsupported" in table[4] and "—" in table[4]
    assert "3 kernels: 1 pass, 1 fail, 1 unsupported." in md
    assert "**6.1-rt** (fail): perfbuf: events not conserved" in md
    assert "`ringside run --workload write --hook H --transport T` for H in raw_tp, tracepoint" in md
    assert "error" not in md.lower()


def test_markdown_shows_error_apart():
    d = doc(row("6.1-generic"), results.skipped_row("5.10-cloud", None, "cloud", "suite bullseye not in the archive"),
            results.error_row("6.1-rt", None, "rt", "could not fetch the kernel: Temporary failure resolving"))
    md = results.markdown(d)
    assert "3 kernels: 1 pass, 0 fail, 1 unsupported, 1 error." in md
    (line,) = [ln for ln in md.splitlines() if ln.startswith("| 6.1-rt |")]
    assert line.count("**ERROR**") == 3 and "FAIL" not in line and "unsupported" not in line
    assert "**6.1-rt** (error): could not fetch the kernel: Temporary failure resolving" in md
    assert "environment problem" in md


def test_ns_formatting():
    assert results._ns(850) == "850 ns"
    assert results._ns(15300) == "15.3 µs"
    assert results._ns(2_500_000) == "2.50 ms"
    assert results._ns(None) == "—"


# ---- the CLI's --merge --------------------------------------------------------------------

def run_merge(tmp_path, *docs):
    paths = []
    for i, d in enumerate(docs):
        p = tmp_path / f"job{i}" / "matrix.json"
        p.parent.mkdir(parents=True)
        p.write_text(json.dumps(d))
        paths.append(str(p))
    out = tmp_path / "merged"
    r = subprocess.run([sys.executable, str(REPO / "ci" / "kernel-matrix"), "--merge", *paths, "--out", str(out)],
                       capture_output=True, text=True)
    return r, out


def test_cli_merge_exit_codes(tmp_path):
    r, out = run_merge(tmp_path, doc(row("6.1-generic")), doc(row("host")))
    assert r.returncode == 0, r.stderr
    merged = json.loads((out / "matrix.json").read_text())
    assert [k["name"] for k in merged["kernels"]] == ["6.1-generic", "host"]
    assert (out / "matrix.md").read_text().startswith("# ringside kernel matrix")

    runs = ok_runs()
    runs["ringbuf"] = RunOutcome(None, None)
    r, _ = run_merge(tmp_path / "b", doc(row("6.1-rt", runs=runs)), doc(row("host")))
    assert r.returncode == 1 and "FAIL 6.1-rt" in r.stdout


def test_cli_merge_error_exit_codes(tmp_path):
    err = results.error_row("6.1-generic", None, "generic", "could not fetch the kernel: no network")
    r, out = run_merge(tmp_path, doc(err), doc(row("host")))
    assert r.returncode == 2 and "ERROR 6.1-generic: could not fetch the kernel: no network" in r.stdout
    assert json.loads((out / "matrix.json").read_text())["kernels"][0]["status"] == "error"
    runs = ok_runs()
    runs["ringbuf"] = RunOutcome(None, None)
    r, _ = run_merge(tmp_path / "b", doc(err), doc(row("6.1-rt", runs=runs)))
    assert r.returncode == 1 and "FAIL 6.1-rt" in r.stdout and "ERROR 6.1-generic" in r.stdout


def test_cli_merge_rejects_garbage(tmp_path):
    (tmp_path / "x").mkdir()
    r, _ = run_merge(tmp_path / "x", {"schema": "nope"})
    assert r.returncode == 2 and "not a ringside.matrix/v1" in r.stderr
