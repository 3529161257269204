"""The CI workflow (.github/workflows/ringside.yml) runs only commands that exist, with flags they take.

The flags of the built ringside come from its own --help (clihelp.BUILD: $RINGSIDE_BUILD or
build/); ci/* and other scripts must mention every flag they are passed.
"""
import os
import subprocess
import sys

import pytest

import clihelp
import workflow_check as wc

WORKFLOW = os.path.join(clihelp.ROOT, ".github", "workflows", "ringside.yml")
RUNNER = ["self-hosted", "linux", "x64", "bpf"]

def is_pending(p):
    """A problem with what other branches are adding (clihelp.PENDING)."""
    return clihelp.is_pending(p.command, p.flag)


@pytest.fixture(scope="module")
def text():
    with open(WORKFLOW, encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def doc(text):
    return wc.load(text)


@pytest.fixture(scope="module")
def problems(text):
    clihelp.require_build()
    return wc.check_workflow(text)


# ------------------------------------------------------------- the workflow
def test_jobs_and_runners(doc):
    assert set(doc["jobs"]) == {"test", "kernel-matrix", "kernel-matrix-merge", "gate", "nightly"}
    for name, job in doc["jobs"].items():
        assert job["runs-on"] == RUNNER, f"{name}: needs root + BPF, so the self-hosted bpf runner"


def test_triggers(doc):
    on = doc.get("on", doc.get(True))  # PyYAML reads a bare `on:` key as True
    assert {"push", "pull_request", "schedule"} <= set(on)
    assert doc["jobs"]["gate"]["if"] == "github.event_name == 'pull_request'"
    assert "schedule" in doc["jobs"]["nightly"]["if"] and "refs/heads/main" in doc["jobs"]["nightly"]["if"]


def test_test_job_runs_the_readme_command(doc):
    runs = [s["run"].strip() for s in doc["jobs"]["test"]["steps"] if "run" in s]
    assert runs == ["ci/test"]
    with open(os.path.join(clihelp.ROOT, "README.md"), encoding="utf-8") as f:
        assert "ci/test " in f.read()


def test_kernel_matrix_fans_out_every_known_kernel(doc):
    listed = subprocess.run([sys.executable, os.path.join(clihelp.ROOT, "ci", "kernel-matrix"), "--list"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    job = doc["jobs"]["kernel-matrix"]
    assert job["strategy"]["matrix"]["kernel"] == names
    assert job["strategy"]["fail-fast"] is False
    merge = doc["jobs"]["kernel-matrix-merge"]
    assert merge["needs"] == "kernel-matrix" and merge["if"] == "always()"
    uses = [s.get("uses", "") for s in merge["steps"]]
    assert any(u.startswith("actions/download-artifact") for u in uses)
    assert any("--merge" in s.get("run", "") for s in merge["steps"])


def test_gate_builds_base_and_head(doc):
    steps = doc["jobs"]["gate"]["steps"]
    paths = [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/checkout")]
    assert paths == ["base", "head"]
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") and "gate.md" in s["run"] for s in steps)


def test_nightly_keeps_history_in_the_cache(doc):
    steps = doc["jobs"]["nightly"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    restore = uses.index("actions/cache/restore@v4")
    save = uses.index("actions/cache/save@v4")
    detect = next(i for i, s in enumerate(steps) if "history detect" in s.get("run", ""))
    add = next(i for i, s in enumerate(steps) if "history add" in s.get("run", ""))
    assert restore < add < save < detect, "restore, add, save, then detect (a regression keeps the row)"
    for i in (restore, save):
        assert steps[i]["with"]["path"] == "history.sqlite"


# ---------------------------------------------- every command, every flag
def test_every_command_exists_and_takes_its_flags(problems):
    real = [str(p) for p in problems if not is_pending(p)]
    assert not real, "workflow commands that do not exist or do not take their flags:\n" + "\n".join(real)


def test_pending_features_have_landed(problems):
    """Fails, listing them, until the gate --interleave and history branches are merged."""
    pending = [str(p) for p in problems if is_pending(p)]
    assert not pending, "not in this build yet (other branches):\n" + "\n".join(pending)


# ------------------------------------------------------------ the checker
def test_shell_splitting():
    script = ("# a comment\n"
              "A=1 build/ringside run --duration 0.3 \\\n  --out x && ci/check-deb --deb y.deb | tee log\n"
              "cat gate.md >> \"$GITHUB_STEP_SUMMARY\" 2>&1; echo \"$(ci/kernel-matrix --list | wc -l)\"\n"
              "if ci/gate --strict; then echo ok; fi\n"
              "ci/kernel-matrix ${{ matrix.kernel }} --out m-${{ matrix.kernel }}  # trailing comment\n")
    assert wc.commands(script) == [
        ["build/ringside", "run", "--duration", "0.3", "--out", "x"],
        ["ci/check-deb", "--deb", "y.deb"], ["tee", "log"],
        ["ci/kernel-matrix", "--list"], ["wc", "-l"],
        ["cat", "gate.md"], ["echo", wc.SUBST],
        ["ci/gate", "--strict"], ["echo", "ok"],
        ["ci/kernel-matrix", wc.EXPR, "--out", f"m-{wc.EXPR}"],
    ]


def _bad(run):
    return "jobs:\n  j:\n    runs-on: x\n    steps:\n      - run: |\n" + "".join(
        f"          {line}\n" for line in run.splitlines())


def test_checker_flags_bad_scripts_and_programs():
    problems = [str(p) for p in wc.check_workflow(_bad(
        "ci/kernel-matrix --quick --no-such-flag\n"
        "ci/not-a-script --x\n"
        "/usr/bin/python3 reports/index.py --also-not-a-flag out\n"
        "no-such-program-on-path-xyz --help\n"
        "ci/test && ci/kernel-matrix --merge a.json --out m\n"))]
    expect = ["ci/kernel-matrix never mentions --no-such-flag", "ci/not-a-script is not a file in the repository",
              "reports/index.py never mentions --also-not-a-flag", "`no-such-program-on-path-xyz` is neither"]
    for e in expect:
        assert any(e in p for p in problems), f"{e!r} not reported in {problems}"
    assert len(problems) == len(expect), problems


def test_checker_flags_wrong_ringside_flags_and_subcommands():
    clihelp.require_build()
    problems = wc.check_workflow(_bad(
        "build/ringside run --duration 0.3 --dureation 1 --out r\n"
        "head/build/ringside nosuchcmd --x\n"
        "ringside gate --baseline a.json --current b.json --junit j.xml\n"
        "build/ringside-workload --kind write --nope\n"))
    got = {(p.command, p.flag) for p in problems}
    assert got == {("ringside run", "--dureation"), ("ringside nosuchcmd", None),
                   ("ringside-workload", "--nope")}, [str(p) for p in problems]
