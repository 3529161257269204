"""Run the matrix steps in a qemu TCG guest, or directly on the host.

A step is (name, outdir, argv): `ringside probe --json`, then one `ringside run …` per
transport. The guest gets them as /etc/matrix-steps.sh (sourced by guest-init.sh); the
host runs the same argv with the binaries' real paths.
"""

from __future__ import annotations

import json
import os
import select
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from results import RunOutcome, Serial, parse_serial

QEMU = "qemu-system-x86_64"


@dataclass(frozen=True)
class Step:
    name: str                 # "probe", "run-ringbuf", "run-ringbuf-tracepoint"
    out: str                  # results dir ("" for the probe)
    argv: list[str]
    transport: str | None = None
    hook: str | None = None


@dataclass
class Steps:
    """`ringside probe --json`, then per transport one run per hook.

    The first hook's run is the cell's main run (its latency and ns/event are reported);
    each further hook (tracepoint: the syscalls:sys_enter_* context that PREEMPT_RT
    kernels lay out differently) must conserve events too.
    """
    transports: tuple[str, ...]
    run_args: list[str]            # `ringside run` args before --hook/--transport/--out
    hooks: tuple[str, ...] = ("raw_tp", "tracepoint")
    step_timeout_s: int = 120

    def list(self, bin_prefix: str, out_root: str, out_prefix: str = "r-") -> list[Step]:
        steps = [Step("probe", "", [f"{bin_prefix}ringside", "probe", "--json"])]
        for i, hook in enumerate(self.hooks or (None,)):
            for t in self.transports:
                suffix = f"{t}-{hook}" if i else t
                out = f"{out_root}/{out_prefix}{suffix}"
                argv = [f"{bin_prefix}ringside", "run", *self.run_args]
                if hook:
                    argv += ["--hook", hook]
                steps.append(Step(f"run-{suffix}", out, argv + ["--transport", t, "--out", out], t, hook))
        return steps

    def guest_script(self) -> bytes:
        lines = ["# written by ci/kernel-matrix; sourced by /init", f"STEP_TIMEOUT={int(self.step_timeout_s)}"]
        for st in self.list("/bin/", "/tmp"):
            lines.append(" ".join(["step", shlex.quote(st.name), shlex.quote(st.out) if st.out else "''",
                                   *map(shlex.quote, st.argv)]))
        return ("\n".join(lines) + "\n").encode()


@dataclass
class Outcome:
    """What a kernel produced, ready for results.make_row."""
    boots: bool
    boot_s: float | None
    uname: str | None
    probe_rc: int | None
    probe: dict | None
    probe_stderr: str
    runs: dict[str, list[RunOutcome]]   # transport → one outcome per hook, main first
    boot_failure: str | None = None
    wall_s: float = 0.0


def _json(b: bytes | None) -> dict | None:
    if not b:
        return None
    try:
        v = json.loads(b.decode(errors="replace"))
        return v if isinstance(v, dict) else None
    except ValueError:
        return None


def outcome_from_serial(s: Serial, steps: Steps, boot_s: float | None, boot_failure: str | None) -> Outcome:
    probe = s.steps.get("probe", {})
    runs: dict[str, list[RunOutcome]] = {}
    for st in steps.list("/bin/", "/tmp"):
        if st.transport is None:
            continue
        done = s.steps.get(st.name)
        if done is None:
            runs.setdefault(st.transport, []).append(RunOutcome(rc=None, results=None, hook=st.hook, started=False))
            continue
        t0, t1 = done.get("t0"), done.get("t1")
        runs.setdefault(st.transport, []).append(RunOutcome(
            rc=done.get("rc"), results=_json(s.blobs.get(f"{st.name}.results")),
            stderr=(s.blobs.get(f"{st.name}.stderr") or b"").decode(errors="replace"),
            timeout_s=steps.step_timeout_s, hook=st.hook,
            elapsed_s=t1 - t0 if t0 is not None and t1 is not None else None))
    return Outcome(boots=s.booted, boot_s=boot_s if s.booted else None, uname=s.uname,
                   probe_rc=probe.get("rc"), probe=_json(s.blobs.get("probe.stdout")),
                   probe_stderr=(s.blobs.get("probe.stderr") or b"").decode(errors="replace"),
                   runs=runs, boot_failure=boot_failure)


def save_artifacts(s: Serial, dest: Path) -> None:
    """probe.json and each run's results.json/stderr under dest/ (for reports/ and humans)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in s.blobs.items():
        step, _, what = name.partition(".")
        if name == "probe.stdout":
            (dest / "probe.json").write_bytes(data)
        elif what == "results":
            (dest / step.removeprefix("run-")).mkdir(exist_ok=True)
            (dest / step.removeprefix("run-") / "results.json").write_bytes(data)  # ringbuf/, ringbuf-tracepoint/
        elif data:
            (dest / f"{name}.txt").write_bytes(data)


def run_guest(vmlinux: Path, initrd: Path, steps: Steps, log_path: Path, *, qemu=None, boot_timeout_s: float = 60,
              memory: str = "512M", progress=None) -> tuple[Serial, Outcome]:
    """Boot vmlinux under qemu TCG, stream the console to log_path, stop on poweroff or timeout."""
    total = boot_timeout_s + (1 + len(steps.list("", ""))) * (steps.step_timeout_s + 10) + 30
    binary, extra = (qemu.binary, qemu.args) if qemu is not None else (QEMU, [])
    # -nodefaults: no VGA/floppy/cdrom/monitor, and no sound probing (a private qemu must not
    # load the system qemu's modules); the serial console on stdio is the only output.
    cmd = ["timeout", "-k", "5", str(int(total)), binary, *extra,
           "-accel", "tcg,thread=single", "-smp", "1", "-m", memory,
           "-nographic", "-nodefaults", "-serial", "stdio", "-no-reboot", "-nic", "none",
           "-kernel", str(vmlinux), "-initrd", str(initrd),
           "-append", "console=ttyS0 panic=-1 oops=panic quiet"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    boot_s = None
    failure = None
    chunks: list[bytes] = []
    pending = b""
    with open(log_path, "wb") as log:
        log.write(("# " + " ".join(shlex.quote(c) for c in cmd) + "\n").encode())
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            while True:
                now = time.monotonic() - t0
                if boot_s is None and now > boot_timeout_s:
                    failure = f"no init within {boot_timeout_s:g} s"
                    break
                if now > total:
                    failure = f"guest timed out after {total:g} s"
                    break
                r, _, _ = select.select([p.stdout], [], [], 0.5)
                if not r:
                    if p.poll() is not None:
                        break
                    continue
                data = os.read(p.stdout.fileno(), 65536)
                if not data:
                    break
                chunks.append(data)
                log.write(data)
                log.flush()
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    text = line.decode(errors="replace")
                    if boot_s is None and "RINGSIDE-BOOTED" in text:
                        boot_s = time.monotonic() - t0
                        if progress:
                            progress(f"booted in {boot_s:.1f} s ({text.split('RINGSIDE-BOOTED', 1)[1].split()[-1]})")
                    elif progress and "RINGSIDE-STEP-END" in text:
                        progress(text[text.index("RINGSIDE-STEP-END") + 18:].strip())
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        wall = time.monotonic() - t0
        log.write(f"\n# qemu exit {p.returncode}, {wall:.1f} s\n".encode())
    s = parse_serial(b"".join(chunks).decode(errors="replace"))
    if failure is None and not s.booted:
        failure = s.panic or f"qemu exited ({p.returncode}) before init ran"
    elif failure is None and not s.done:
        failure = s.panic or ("guest stopped before finishing" if p.returncode != 124 else "guest timed out")
    if failure and s.panic and s.panic not in failure:
        failure += f" ({s.panic})"
    out = outcome_from_serial(s, steps, boot_s, failure if not s.booted else None)
    out.wall_s = wall
    if s.booted and failure:
        # the guest booted but died mid-way: steps it never finished have rc None
        out.boot_failure = failure
    return s, out


def run_host(bin_dir: Path, steps: Steps, dest: Path, progress=None) -> Outcome:
    """The same steps directly on this machine (no VM)."""
    dest = dest.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[RunOutcome]] = {}
    probe = probe_rc = None
    probe_err = ""
    t0 = time.monotonic()
    for st in steps.list(str(bin_dir) + "/", str(dest), out_prefix=""):
        if st.out:
            shutil.rmtree(st.out, ignore_errors=True)
        t_step = time.monotonic()
        try:
            r = subprocess.run(["timeout", "-k", "5", str(steps.step_timeout_s), *st.argv],
                               capture_output=True, stdin=subprocess.DEVNULL)
            rc, so, se = r.returncode, r.stdout, r.stderr
        except OSError as e:
            rc, so, se = 127, b"", str(e).encode()
        if progress:
            progress(f"{st.name} rc={rc}")
        (dest / f"{st.name}.stderr.txt").write_bytes(se[-16384:])
        if st.transport is None:
            probe_rc, probe, probe_err = rc, _json(so), se.decode(errors="replace")
            (dest / "probe.json").write_bytes(so)
        else:
            rj = Path(st.out) / "results.json"
            runs.setdefault(st.transport, []).append(RunOutcome(
                rc=rc, results=_json(rj.read_bytes()) if rj.exists() else None,
                stderr=se.decode(errors="replace"), timeout_s=steps.step_timeout_s, hook=st.hook,
                elapsed_s=time.monotonic() - t_step))
    return Outcome(boots=True, boot_s=None, uname=os.uname().release, probe_rc=probe_rc, probe=probe,
                   probe_stderr=probe_err, runs=runs, wall_s=time.monotonic() - t0)
