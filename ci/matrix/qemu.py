"""Which qemu boots the guests.

Bookworm's qemu 7.2 has a TCG bug (fixed in QEMU 8.1) that makes some kernels oops at
random early in boot — here 6.12-cloud died in about half of its boots, at a different
place each time. So `auto` uses the system qemu when it is ≥ 8.1, and otherwise a qemu
from bookworm-backports fetched with `apt-get download` into the cache and run from
there (never installed; its libraries are the ones the system qemu already pulled in).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import kernels

SYSTEM = "qemu-system-x86_64"
BACKPORT_PACKAGES = ("qemu-system-x86", "qemu-system-data", "seabios")
MIN_GOOD = (8, 1)


@dataclass
class Qemu:
    binary: str
    version: tuple[int, ...]
    args: list[str] = field(default_factory=list)   # e.g. -L DATADIR for a private qemu
    origin: str = "system"

    def describe(self) -> str:
        return f"qemu {'.'.join(map(str, self.version))} ({self.origin})"


def version_of(binary: str) -> tuple[int, ...] | None:
    try:
        r = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"version (\d+)\.(\d+)(?:\.(\d+))?", r.stdout)
    if r.returncode != 0 or not m:
        return None
    return tuple(int(x) for x in m.groups() if x is not None)


def system() -> Qemu | None:
    path = shutil.which(SYSTEM)
    v = version_of(path) if path else None
    return Qemu(path, v) if v else None


def backports(cache: Path, log=print, lock_timeout_s: float = kernels.LOCK_TIMEOUT_S) -> Qemu:
    """qemu from bookworm-backports, extracted under cache/qemu/<version>/ (raises kernels.Skip,
    kernels.FetchError; kernels.LockTimeout when another run holds the cache too long)."""
    with kernels.cache_lock(cache, lock_timeout_s, log):
        root, binary, data = _backports(cache, log)
    v = version_of(str(binary))
    if v is None:
        raise kernels.Skip(f"{binary} does not run here (missing libraries? apt-get install qemu-system-x86 "
                           "pulls them in)")
    return Qemu(str(binary), v, ["-L", str(data)], "bookworm-backports, private")


def _backports(cache: Path, log) -> tuple[Path, Path, Path]:
    apt = kernels.AptSuite(cache, "bookworm-backports")
    apt.update(log=log)
    debs = cache / "qemu" / "debs"
    pkgs = [apt.download(p, debs) for p in BACKPORT_PACKAGES]
    tag = pkgs[0].name.split("_")[1].replace("%3a", "-")
    root = cache / "qemu" / tag
    binary = root / "usr" / "bin" / SYSTEM
    data = root / "data"
    if not binary.exists():
        log(f"  extracting qemu {tag} from bookworm-backports")
        for deb in pkgs:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        # one firmware dir: qemu's own ROMs (pvh.bin, linuxboot) + seabios' bios-256k.bin
        data.mkdir(exist_ok=True)
        for src in (root / "usr" / "share" / "qemu", root / "usr" / "share" / "seabios"):
            for f in src.iterdir():
                if f.is_file() and not (data / f.name).exists():
                    shutil.copy2(f, data / f.name)
        for deb in debs.glob("*.deb"):
            deb.unlink()
    return root, binary, data


def choose(mode: str, cache: Path, log=print, lock_timeout_s: float = kernels.LOCK_TIMEOUT_S) -> Qemu:
    """mode: auto | system | backports | a path to a qemu-system-x86_64 (kernels.LockTimeout passes through)."""
    if mode not in ("auto", "system", "backports"):
        v = version_of(mode)
        if v is None:
            raise RuntimeError(f"--qemu {mode}: does not run")
        return Qemu(mode, v, origin="given")
    sys_q = system()
    if mode == "system" or (mode == "auto" and sys_q and sys_q.version >= MIN_GOOD):
        if sys_q is None:
            raise RuntimeError(f"{SYSTEM} not found (apt-get install qemu-system-x86)")
        return sys_q
    try:
        return backports(cache, log, lock_timeout_s)
    except (kernels.Skip, kernels.FetchError, OSError, subprocess.SubprocessError) as e:
        if mode == "backports" or sys_q is None:
            raise RuntimeError(f"no usable qemu: {e}") from e
        log(f"  warning: {e}; using the system {sys_q.describe()}, whose TCG oopses some kernels at random")
        return sys_q
