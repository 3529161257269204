"""packaging/ringside.bash-completion completes what the built binaries' --help lists."""
import os
import shutil
import subprocess

import pytest

import clihelp

SCRIPT = os.path.join(clihelp.ROOT, "packaging", "ringside.bash-completion")


def complete(*words, exe=None):
    """COMPREPLY for a command line whose last word is being completed."""
    clihelp.require_build()
    exe = exe or clihelp.exe()
    words = [exe, *words]
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    script = (f"source '{SCRIPT}'\nCOMP_WORDS=({quoted})\nCOMP_CWORD={len(words) - 1}\n"
              "_ringside\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return [w for w in p.stdout.splitlines() if w]


def test_registered_for_both_commands():
    p = subprocess.run(["bash", "--norc", "-c", f"source '{SCRIPT}'; complete -p ringside ringside-workload"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    for name in ("ringside", "ringside-workload"):
        assert f"complete -o default -F _ringside {name}" in p.stdout


def test_subcommands():
    clihelp.require_build()
    root = clihelp.help_of(clihelp.exe())
    assert complete("") == root.subcommands
    assert complete("ru") == ["run"]
    assert complete("s") == ["sweep"]


@pytest.mark.parametrize("sub", ["probe", "trace", "run", "sweep", "measure", "gate"])
def test_every_flag_of_every_subcommand(sub):
    clihelp.require_build()
    want = {f for f in clihelp.help_of(clihelp.exe(), sub).flags if f.startswith("--")}
    assert set(complete(sub, "--")) == want


def test_prefix_and_flags_after_other_words():
    assert complete("run", "--dur") == ["--duration"]
    assert complete("run", "--duration", "1", "--rep") == ["--repeat"]
    assert "--interleave" not in complete("run", "--")  # another command's flag


def test_values_listed_in_help():
    assert complete("run", "--transport", "") == ["ringbuf", "perfbuf"]
    assert complete("run", "--hook", "t") == ["tracepoint"]
    assert "write" in complete("run", "--workload", "")
    assert complete("run", "--out", "") == [], "free values fall back to file names (-o default)"


def test_workload_binary():
    got = complete("--k", exe=clihelp.exe("ringside-workload"))
    assert got == ["--kind"]


def test_unknown_binary_completes_nothing():
    assert shutil.which("bash")
    assert complete("ru", exe="/nonexistent/ringside") == []
