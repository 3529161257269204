"""Check a GitHub Actions workflow against the repository: every command a `run:` step runs
exists, and takes the flags it is given.

Shell is parsed minimally, enough for CI steps: `\\` continuations, comments, `&&`, `||`, `|`,
`;`, `( … )`, `$( … )` (checked as commands of their own), redirections, `VAR=value` prefixes,
and `if/then/…` keywords; `${{ … }}` expressions become a placeholder word.

What is checked, by the command's first word:
  ringside / */build/ringside   built by the build: each --flag must be in `<build>/ringside SUB
                                [SUBSUB] --help` (SUBSUB when SUB lists subcommands)
  ringside-workload             the same, without subcommands
  a relative path (ci/x, head/ci/x, reports/x.py; a prefix that is an actions/checkout
  `path:` of the job is dropped)   must be a file in the repository; each --flag must appear
                                in its text
  python3 / bash / sh SCRIPT    the script as above (`-m` / `-c` are not followed)
  an absolute path              must be executable on this machine
  any other word                a shell builtin or a program on PATH
"""
import os
import re
import shlex
import shutil
from typing import NamedTuple, Optional

import yaml

import clihelp

BUILTINS = {"cd", "echo", "printf", "test", "[", "export", "set", "exit", "true", "false", "read",
            "source", ".", ":", "shift", "unset", "local", "return", "pwd", "wait", "trap", "eval", "exec"}
KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "!", "{", "}", "time"}
INTERPRETERS = {"python3", "python", "bash", "sh"}
SEPARATORS = {"&&", "||", "|", ";", "&", "(", ")", "|&", ";;"}
REDIRECTS = {">", ">>", "<", ">&", "&>", "<<", "<<<", ">|"}
EXPR = "__EXPR__"
SUBST = "__SUBST__"


# ------------------------------------------------------------------- workflow
def load(text):
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        raise ValueError("not a workflow: no jobs")
    return doc


def run_steps(doc):
    """(job id, step label, run text, checkout paths of that job) for every `run:` step."""
    out = []
    for job_id, job in doc["jobs"].items():
        steps = job.get("steps") or []
        checkouts = {s["with"]["path"].strip("/") for s in steps
                     if str(s.get("uses", "")).startswith("actions/checkout") and (s.get("with") or {}).get("path")}
        for i, step in enumerate(steps):
            if "run" in step:
                out.append((job_id, step.get("name") or f"step {i + 1}", str(step["run"]), checkouts))
    return out


# ---------------------------------------------------------------------- shell
def _extract_substitutions(line):
    """line with each outermost $( … ) replaced by a placeholder, and the inner texts."""
    out, inner, i = [], [], 0
    while i < len(line):
        if line.startswith("$(", i):
            depth, j = 1, i + 2
            while j < len(line) and depth:
                depth += {"(": 1, ")": -1}.get(line[j], 0)
                j += 1
            inner.append(line[i + 2:j - 1])
            out.append(SUBST)
            i = j
        else:
            out.append(line[i])
            i += 1
    return "".join(out), inner


def commands(script):
    """The commands of a run: script, each a list of words."""
    text = re.sub(r"\$\{\{.*?\}\}", EXPR, script, flags=re.S)
    text = text.replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        found += _line_commands(line)
    return found


def _line_commands(line):
    line, inner = _extract_substitutions(line)
    found = []
    for sub in inner:
        found += _line_commands(sub)
    line = re.sub(r"(?<![\w-])\d+>&\d+", " ", line)  # 2>&1
    line = re.sub(r"(?<![\w-])\d+(>>?)", r" \1", line)  # 2> file
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        tokens = list(lex)
    except ValueError as e:  # unbalanced quotes
        raise ValueError(f"cannot parse shell line {line!r}: {e}") from None
    cur, skip_next = [], False
    for tok in tokens + [";"]:
        if skip_next:
            skip_next = False
            continue
        if tok in REDIRECTS:
            skip_next = True
            continue
        if tok in SEPARATORS:
            if cur:
                found.append(cur)
            cur = []
            continue
        if not cur and (tok in KEYWORDS or re.fullmatch(r"[A-Za-z_]\w*=.*", tok)):
            continue  # `if cmd`, `VAR=value cmd`
        cur.append(tok)
    return found


# -------------------------------------------------------------------- checks
class Problem(NamedTuple):
    where: str              # "job / step: `command line`"
    command: str            # what lacks something: "ringside gate", "ci/kernel-matrix", "ci/nope"
    flag: Optional[str]     # the flag it lacks, or None when the command itself is the problem
    message: str

    def __str__(self):
        return f"{self.where}: {self.message}"


def _repo_path(word, checkouts, root):
    """The repository file a relative command path names, or None."""
    parts = os.path.normpath(word).split(os.sep)
    if parts and parts[0] in checkouts:
        parts = parts[1:]
    return os.path.join(root, *parts) if parts else None


def _flags(words):
    return [f for f in map(clihelp.long_flag, words) if f]


def _text_has_flag(text, flag):
    return re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", text) is not None


def check_built(binary, words, where):
    """Problems of `<built binary> words...` against its --help."""
    problems = []
    name = os.path.basename(binary)
    if not os.access(binary, os.X_OK):
        return [Problem(where, name, None, f"{binary} is not built")]
    path = []
    positionals = [w for w in words if not w.startswith("-")]
    # walk subcommands: each positional that names a subcommand of the path so far goes deeper
    # (a flag's value can be positional-looking, so only words that are subcommands count)
    for w in positionals:
        h = clihelp.help_of(binary, *path)
        if not h.ok:
            break
        if w in h.subcommands:
            path.append(w)
        elif h.subcommands and not path:
            flags = _flags(words)
            return [Problem(where, f"{name} {w}", None, f"`{name} {w}`: no such subcommand (has: "
                            f"{', '.join(h.subcommands)})" + (f"; unverified flags: {' '.join(flags)}" if flags else ""))]
        else:
            break
    command = " ".join([name, *path])
    h = clihelp.help_of(binary, *path)
    if not h.ok:
        flags = _flags(words)
        return [Problem(where, command, None, f"`{command} --help` fails ({h.error})"
                        + (f"; unverified flags: {' '.join(flags)}" if flags else ""))]
    for f in _flags(words):
        if f not in h.flags:
            problems.append(Problem(where, command, f, f"`{command}` has no flag {f}"))
    return problems


def check_script(path, rel, words, where):
    if not path or not os.path.isfile(path):
        return [Problem(where, rel, None, f"{rel} is not a file in the repository")]
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return [Problem(where, rel, flag, f"{rel} never mentions {flag}")
            for flag in _flags(words) if not _text_has_flag(text, flag)]


def check_command(argv, checkouts, root, where):
    word, rest = argv[0], argv[1:]
    base = os.path.basename(word)
    if word == SUBST or word == EXPR:
        return []
    where = f"{where}: `{' '.join(argv)}`"
    if base in clihelp.BUILT and (word == base or word.endswith("build/" + base)):
        return check_built(clihelp.exe(base), rest, where)
    if base in INTERPRETERS and rest and not rest[0].startswith("-"):
        found = shutil.which(word) or os.access(word, os.X_OK)
        problems = [] if found else [Problem(where, word, None, f"{word} not found")]
        return problems + check_script(_repo_path(rest[0], checkouts, root), rest[0], rest[1:], where)
    if word.startswith("/"):
        return [] if os.access(word, os.X_OK) else [Problem(where, word, None, f"{word} is not an executable here")]
    if "/" in word:
        path = _repo_path(word, checkouts, root)
        problems = check_script(path, word, rest, where)
        if not problems and not os.access(path, os.X_OK):
            problems.append(Problem(where, word, None, f"{word} is not executable"))
        return problems
    if word in BUILTINS or shutil.which(word):
        return []
    return [Problem(where, word, None, f"`{word}` is neither a file in the repository nor a program on PATH")]


def check_workflow(text, root=clihelp.ROOT):
    """Every Problem found (an empty list: the workflow is consistent)."""
    problems = []
    for job, step, script, checkouts in run_steps(load(text)):
        for argv in commands(script):
            problems += check_command(argv, checkouts, root, f"{job} / {step}")
    return problems
