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


COMMANDS = [("probe",), ("trace",), ("run",), ("sweep",), ("measure",), ("gate",), ("history",),
            ("history", "add"), ("history", "show"), ("history", "detect"), ("history", "export")]


def test_commands_list_every_subcommand():
    """COMMANDS (what the flag test walks) is every command the built ringside has, two deep."""
    clihelp.require_build()
    root = clihelp.help_of(clihelp.exe())
    have = set()
    for sub in root.subcommands:
        have.add((sub,))
        have.update((sub, s) for s in clihelp.help_of(clihelp.exe(), sub).subcommands)
    assert have == set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_flag_of_every_subcommand(path):
    clihelp.require_build()
    want = {f for f in clihelp.help_of(clihelp.exe(), *path).flags if f.startswith("--")}
    assert want, f"no flags parsed from `ringside {' '.join(path)} --help`"
    assert set(complete(*path, "--")) == want


def test_nested_subcommands():
    assert complete("history", "") == clihelp.help_of(clihelp.exe(), "history").subcommands
    assert complete("history", "de") == ["detect"]
    assert complete("history", "--db", "h.sqlite", "sh") == ["show"]
    assert "--min-shift" in complete("history", "detect", "--")
    assert "--min-shift" not in complete("history", "show", "--")  # a sibling's flag


def test_prefix_and_flags_after_other_words():
    assert complete("run", "--dur") == ["--duration"]
    assert complete("run", "--duration", "1", "--rep") == ["--repeat"]
    assert "--interleave" not in complete("run", "--")  # another command's flag


def test_values_listed_in_help():
    assert complete("run", "--transport", "") == ["ringbuf", "perfbuf"]
    assert complete("run", "--hook", "t") == ["tracepoint"]
    assert "write" in complete("run", "--workload", "")
    assert complete("run", "--out", "") == [], "free values fall back to file names (-o default)"
    # "{pid}" in --rodata's help is a placeholder in the value, not a list of choices
    assert complete("run", "--rodata", "") == []


def test_workload_binary():
    got = complete("--k", exe=clihelp.exe("ringside-workload"))
    assert got == ["--kind"]


def test_unknown_binary_completes_nothing():
    assert shutil.which("bash")
    assert complete("ru", exe="/nonexistent/ringside") == []
