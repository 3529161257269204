"""docs/ringside.1 is accurate to the built ringside's --help.

Each command's section (`.SS "ringside CMD"`) documents its own flags as `.TP` tags; the flags
trace, run and sweep share are documented once, in PIPELINE / WORKLOAD / GOVERNOR OPTIONS.
Checked both ways: every flag --help lists has a tag where that command's flags are
documented, and every flag a section mentions is one its commands take.
"""
import os
import re
import subprocess

import pytest

import clihelp

MAN = os.path.join(clihelp.ROOT, "docs", "ringside.1")
# where each command's flags are documented
SECTIONS = {
    "probe": ["ringside probe"],
    "trace": ["ringside trace", "PIPELINE OPTIONS"],
    "run": ["ringside run", "PIPELINE OPTIONS", "WORKLOAD OPTIONS", "GOVERNOR OPTIONS"],
    "sweep": ["ringside sweep", "PIPELINE OPTIONS", "WORKLOAD OPTIONS"],
    "measure": ["ringside measure"],
    "gate": ["ringside gate"],
    "history": ["ringside history"],
}
SHARED = {"PIPELINE OPTIONS": ["trace", "run", "sweep"], "WORKLOAD OPTIONS": ["run", "sweep"],
          "GOVERNOR OPTIONS": ["run"]}
HELP_FLAGS = {"-h", "--help"}  # every command's; the DESCRIPTION says so once
FLAG = re.compile(r"(?<![\w-])--[a-z0-9][\w-]*")


def clean(line):
    """roff source line -> its text: fonts dropped, \\- as -, quotes of macro arguments gone."""
    line = re.sub(r"\\f(\[[^]]*\]|.)", "", line).replace("\\-", "-").replace("\\(em", "—")
    return line.replace('"', "")


def man_sections():
    """{'ringside run' / 'PIPELINE OPTIONS' / …: {'tags': flags in .TP tags, 'mentions': all flags}}."""
    with open(MAN, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if not l.startswith('.\\"')]
    out, name, after_tp = {}, None, False
    for line in lines:
        m = re.match(r'^\.S[HS]\s+"?([^"]+)"?\s*$', line)
        if m:
            name = m.group(1).strip()
            out[name] = {"tags": set(), "mentions": set()}
            continue
        if name is None:
            continue
        flags = set(FLAG.findall(clean(line)))
        out[name]["mentions"] |= flags
        if after_tp:
            out[name]["tags"] |= set(FLAG.findall(clean(line).split()[1] if len(line.split()) > 1 else ""))
        after_tp = line.strip() == ".TP"
    return out


@pytest.fixture(scope="module")
def man():
    return man_sections()


@pytest.fixture(scope="module")
def commands():
    """[(command path, Help)] for every subcommand of the built ringside, one level deep."""
    clihelp.require_build()
    root = clihelp.help_of(clihelp.exe())
    out = []
    for sub in root.subcommands:
        h = clihelp.help_of(clihelp.exe(), sub)
        out.append(((sub,), h))
        out += [((sub, s), clihelp.help_of(clihelp.exe(), sub, s)) for s in h.subcommands]
    return root, out


def problems(man, commands):
    """(command, flag, message) for every disagreement between the man page and --help."""
    root, helps = commands
    found = []
    for sub in root.subcommands:
        if f"ringside {sub}" not in man:
            found.append((f"ringside {sub}", None, f"`ringside {sub}` has no section in the man page"))
    for sub in SECTIONS:
        if sub not in root.subcommands:
            found.append((f"ringside {sub}", None, f"the man page documents `ringside {sub}`, which --help does not list"))
    for path, h in helps:
        sections = SECTIONS.get(path[0])
        if sections is None:
            continue
        documented = set().union(*(man.get(s, {"tags": set()})["tags"] for s in sections))
        for flag in sorted(h.flags - HELP_FLAGS - documented):
            found.append((f"ringside {' '.join(path)}", flag,
                          f"`ringside {' '.join(path)}` takes {flag}, the man page does not document it"))
    # the other way: a flag the man page mentions must exist
    by_sub = {}
    for path, h in helps:
        by_sub.setdefault(path[0], set()).update(h.flags)
    for sub, sections in SECTIONS.items():
        own = man.get(sections[0], {"mentions": set()})["mentions"]
        for flag in sorted(own - by_sub.get(sub, set())):
            found.append((f"ringside {sub}", flag, f"the man page's `ringside {sub}` mentions {flag}, which it does not take"))
    for section, subs in SHARED.items():
        for flag in sorted(man[section]["tags"]):
            for sub in subs:
                if flag not in by_sub.get(sub, set()):
                    found.append((f"ringside {sub}", flag,
                                  f"{section} documents {flag} for `ringside {sub}`, which it does not take"))
    return found


def test_man_page_matches_help(man, commands):
    real = [msg for cmd, flag, msg in problems(man, commands) if not clihelp.is_pending(cmd, flag)]
    assert not real, "\n".join(real)


def test_pending_features_have_landed(man, commands):
    """Fails, listing them, until the gate --interleave and history branches are merged."""
    pending = [msg for cmd, flag, msg in problems(man, commands) if clihelp.is_pending(cmd, flag)]
    assert not pending, "documented, not in this build yet (other branches):\n" + "\n".join(pending)


def test_checker_sees_an_undocumented_flag(man, commands):
    root, helps = commands
    run = next(h for p, h in helps if p == ("run",))
    run.flags.add("--brand-new-flag")
    try:
        msgs = [m for _, _, m in problems(man, commands)]
    finally:
        run.flags.discard("--brand-new-flag")
    assert any("--brand-new-flag" in m for m in msgs)


def test_version_and_formatting():
    clihelp.require_build()
    version = subprocess.run([clihelp.exe(), "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    with open(MAN, encoding="utf-8") as f:
        th = next(l for l in f if l.startswith(".TH"))
    assert f'"ringside {version}"' in th, f"the .TH line should carry ringside {version}: {th}"
    groff = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", MAN], capture_output=True, text=True, timeout=30)
    assert groff.returncode == 0 and not groff.stderr.strip(), groff.stderr
