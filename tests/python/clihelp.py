"""The built ringside's own --help, parsed: which flags and subcommands each command has.

The build directory is $RINGSIDE_BUILD, else build/ in the checkout. CLI11's layout: option
lines start with `-x,--name` or `--name` (under "Options:" or a group heading), subcommands
are listed under "Subcommands:".
"""
import functools
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("RINGSIDE_BUILD") or os.path.join(ROOT, "build")
BUILT = ("ringside", "ringside-workload")  # what the build makes (not files in the repository)

# What the workflow and the man page may use before the branch adding it is merged: (command,
# flag); flag None: the whole command and everything under it. Tests report these apart, in a
# test of their own that fails listing them until the feature lands; then take it out again.
# Empty: gate --interleave and history have landed.
PENDING = set()


def is_pending(command, flag):
    return (command, flag) in PENDING or any(
        f is None and (command == c or command.startswith(c + " ")) for c, f in PENDING)


def exe(name="ringside"):
    return os.path.join(BUILD, name)


def require_build():
    """Skip (with the reason) when there is no built ringside to ask."""
    missing = [n for n in BUILT if not os.access(exe(n), os.X_OK)]
    if missing:
        pytest.skip(f"no built {', '.join(missing)} in {BUILD} (build first, or set RINGSIDE_BUILD)")


class Help:
    """One command's --help: its flags, its subcommands, or why it has none."""

    def __init__(self, text, ok, error=""):
        self.text, self.ok, self.error = text, ok, error
        self.flags, self.subcommands = parse(text) if ok else (set(), [])


def parse(text):
    flags, subs, in_subs = set(), [], False
    for line in text.splitlines():
        if line and not line[0].isspace():
            in_subs = line.strip().lower().startswith("subcommands")
            continue
        stripped = line.strip()
        if stripped.startswith("-"):
            flags.update(n for n in stripped.split()[0].split(",") if n.startswith("-"))
        elif in_subs and stripped and re.match(r"^\s{1,8}[a-z][\w-]*", line):
            subs.append(stripped.split()[0])
    return flags, subs


@functools.lru_cache(maxsize=None)
def help_of(binary, *path):
    """Help of `binary path... --help`; ok=False (with the error) when the command rejects it."""
    try:
        p = subprocess.run([binary, *path, "--help"], capture_output=True, text=True, timeout=30)
    except OSError as e:
        return Help("", False, str(e))
    if p.returncode != 0:
        return Help(p.stdout, False, (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1])
    return Help(p.stdout, True)


def long_flag(token):
    """'--out=x' -> '--out'; anything that is not a long flag -> None."""
    if not token.startswith("--") or token == "--":
        return None
    name = token.split("=", 1)[0]
    return name if re.fullmatch(r"--[A-Za-z0-9][\w-]*", name) else None
