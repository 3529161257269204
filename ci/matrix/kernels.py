"""Debian kernels for the matrix: look up, download (never install), extract a bootable vmlinux.

Each suite gets its own private apt configuration under the cache dir (sources list,
lists, archives, an empty dpkg status), so the host's apt sources are never touched.
Package names come from the meta-packages at run time (linux-image-amd64 → the
versioned linux-image-6.1.0-NN-amd64), so the matrix follows Debian's point releases.

Two ways a kernel cannot be had: the mirror answered and the suite or package is not there
(Skip → the cell is unsupported), or it could not be fetched at all — network, apt-get update
or download failing, a package that does not extract (FetchError → the cell is an error,
unless a kernel of that entry is already in the cache). Everything that writes the cache
does so under cache_lock(), so concurrent runs sharing a cache never see half-written files.
"""

from __future__ import annotations

import bz2
import contextlib
import fcntl
import hashlib
import lzma
import os
import re
import shutil
import struct
import subprocess
import tarfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SECURITY = "http://deb.debian.org/debian-security"

# suite group → apt suites it reads (first one is where the kernel meta-package must come from)
SUITES = {
    "bullseye": ["bullseye", "bullseye-updates", "bullseye-security"],
    "bookworm": ["bookworm", "bookworm-updates", "bookworm-security"],
    "bookworm-backports": ["bookworm-backports"],
}
META = {"generic": "linux-image-amd64", "cloud": "linux-image-cloud-amd64", "rt": "linux-image-rt-amd64"}
LOCK_NAME = "lock"          # cache/lock: flock'd while the cache is written
LOCK_TIMEOUT_S = 1800.0
# apt-get says these when a mirror could not be reached (apt-get update still exits 0: "W: Failed to fetch")
UNREACHABLE = ("Failed to fetch", "Could not resolve", "Temporary failure resolving", "Could not connect",
               "Connection failed", "Connection timed out")
# ... and these when it was reached and has no such suite (a 404 is an answer, not a network error)
ABSENT = ("does not have a Release file", "no longer has a Release file", "404  Not Found", "404 Not Found")


@dataclass(frozen=True)
class KernelSpec:
    name: str     # matrix name, e.g. "6.1-rt"
    series: str   # "6.1"
    flavor: str   # generic | cloud | rt
    suite: str    # key of SUITES


CATALOG = [
    KernelSpec("5.10-generic", "5.10", "generic", "bullseye"),
    KernelSpec("5.10-cloud", "5.10", "cloud", "bullseye"),
    KernelSpec("6.1-generic", "6.1", "generic", "bookworm"),
    KernelSpec("6.1-cloud", "6.1", "cloud", "bookworm"),
    KernelSpec("6.1-rt", "6.1", "rt", "bookworm"),
    KernelSpec("6.12-generic", "6.12", "generic", "bookworm-backports"),
    KernelSpec("6.12-cloud", "6.12", "cloud", "bookworm-backports"),
    KernelSpec("6.12-rt", "6.12", "rt", "bookworm-backports"),
]
BY_NAME = {k.name: k for k in CATALOG}


class Skip(Exception):
    """Not in the archive: the mirror answered, and the suite or package is not there."""


class FetchError(Exception):
    """Could not fetch: network, apt-get update/download or extraction failed (one line says which)."""


class LockTimeout(Exception):
    """Another run held the cache lock for longer than the timeout."""


@dataclass
class Kernel:
    name: str
    version: str   # uname -r of the image, e.g. "6.1.0-37-amd64"
    flavor: str
    vmlinux: Path
    config: Path | None
    note: str | None = None   # e.g. "could not fetch (...); used the cached 6.1.0-37-amd64"


def one_line(text: str, limit: int = 300) -> str:
    return " ".join((text or "").split())[:limit]


def update_problem(rc: int, stdout: str, stderr: str) -> str | None:
    """What kept `apt-get update` from fetching (one line), or None when every mirror answered.

    A suite the mirror does not have (404, "does not have a Release file") is an answer: None.
    """
    lines = [ln.strip() for ln in f"{stderr}\n{stdout}".splitlines() if ln.strip()]
    for ln in lines:
        if any(m in ln for m in UNREACHABLE) and not any(m in ln for m in ABSENT):
            return one_line(ln[3:] if ln[:3] in ("W: ", "E: ") else ln)
    if rc != 0:
        errs = [ln for ln in lines if ln.startswith("E: ")]
        if errs and all(any(m in e for m in ABSENT) for e in errs):
            return None
        return one_line(f"exit {rc}: {errs[0][3:] if errs else (lines[-1] if lines else 'no output')}")
    return None


_held: dict[str, int] = {}   # lock files this process holds → depth (cache_lock is re-entrant)


def _try_flock(f) -> bool:
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextlib.contextmanager
def cache_lock(cache: Path, timeout_s: float = LOCK_TIMEOUT_S, log=print):
    """Hold cache/lock (fcntl.flock, exclusive) while downloading, extracting or pruning.

    A run that finds it held says so and waits up to timeout_s, then raises LockTimeout.
    """
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / LOCK_NAME
    key = str(path.resolve())
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    with open(path, "a+") as f:
        if not _try_flock(f):
            f.seek(0)
            holder = one_line(f.read(), 80) or "another process"
            log(f"  waiting for the kernel cache lock {path} (held by {holder}), up to {timeout_s:g} s")
            deadline = time.monotonic() + timeout_s
            while not _try_flock(f):
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"the kernel cache {cache} is still locked by another run ({holder}) "
                                      f"after {timeout_s:g} s (lock file {path})")
                time.sleep(0.2)
        f.truncate(0)
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
            fcntl.flock(f, fcntl.LOCK_UN)


def host_mirrors() -> tuple[str, str]:
    """The Debian and Debian-security mirror URLs the host's apt uses (falls back to deb.debian.org)."""
    mirror, security = None, None
    texts = []
    for p in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            texts.append(p.read_text())
        except OSError:
            continue
    for text in texts:
        for url in re.findall(r"(?:^URIs:\s*|^deb\s+(?:\[[^\]]*\]\s+)?)(\S+)", text, re.M):
            url = url.rstrip("/")
            if url.endswith("/debian-security") and security is None:
                security = url
            elif url.endswith("/debian") and mirror is None:
                mirror = url
    return mirror or DEFAULT_MIRROR, security or DEFAULT_SECURITY


class AptSuite:
    """A private apt configuration reading one suite group."""

    def __init__(self, cache: Path, group: str):
        self.root = cache / "apt" / group
        self.group = group
        self.problem: str | None = None   # set when update failed but older lists are being used
        mirror, security = host_mirrors()
        self.mirror = mirror
        lines = []
        for suite in SUITES[group]:
            url = security if suite.endswith("-security") else mirror
            lines.append(f"deb [signed-by={KEYRING}] {url} {suite} main")
        for d in ("lists/partial", "archives/partial", "sourceparts", "prefs"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        (self.root / "sources.list").write_text("\n".join(lines) + "\n")
        status = self.root / "status"
        if not status.exists():
            status.write_text("")
        self.opts = [
            "-o", f"Dir::Etc::sourcelist={self.root / 'sources.list'}",
            "-o", f"Dir::Etc::sourceparts={self.root / 'sourceparts'}",
            "-o", f"Dir::Etc::preferencesparts={self.root / 'prefs'}",
            "-o", f"Dir::State::Lists={self.root / 'lists'}",
            "-o", f"Dir::State::status={status}",
            "-o", f"Dir::Cache={self.root}",
            "-o", f"Dir::Cache::archives={self.root / 'archives'}",
            "-o", "Acquire::Languages=none",
            "-o", "APT::Architectures::=amd64",
            "-o", "APT::Sandbox::User=root",
            "-o", "Debug::NoLocking=1",
            "-q",
        ]

    def update(self, max_age_s: float = 6 * 3600, log=print) -> None:
        """apt-get update into the private lists; lists younger than max_age_s are reused.

        Raises Skip when the mirror answered but has no list for the primary suite, FetchError
        when it could not be fetched (exit status, or "Failed to fetch"/"Could not resolve"/…
        on stderr, which apt-get update reports with exit 0). Older lists, where there are
        some, are used after a failed update (self.problem says why).
        """
        primary = SUITES[self.group][0]

        def primary_list():
            return [p for p in (self.root / "lists").glob("*_Packages*") if f"_dists_{primary}_" in p.name]

        have = primary_list()
        if have and time.time() - min(p.stat().st_mtime for p in have) < max_age_s:
            return
        err = []
        try:
            r = subprocess.run(["apt-get", *self.opts, "update"], capture_output=True, text=True, timeout=300)
            err = (r.stderr or r.stdout).strip().splitlines()
            problem = update_problem(r.returncode, r.stdout, r.stderr)
        except subprocess.TimeoutExpired:
            problem = "timed out after 300 s"
        except OSError as e:
            problem = f"could not run: {e}"
        if problem is None:
            if not primary_list():
                raise Skip(f"suite {primary} is not in the archive at {self.mirror}: "
                           f"{one_line(err[-1]) if err else 'no package list'}")
            return
        problem = f"apt-get update of {self.group} failed: {problem}"
        if not primary_list():
            raise FetchError(problem)
        self.problem = problem
        log(f"  warning: {problem}; using the package lists fetched before")

    def resolve(self, meta: str) -> str:
        """meta-package → the versioned linux-image package it depends on."""
        try:
            r = subprocess.run(["apt-cache", *self.opts, "depends", meta], capture_output=True, text=True,
                               timeout=120)
        except (OSError, subprocess.SubprocessError) as e:
            raise FetchError(f"apt-cache depends {meta} failed: {e}") from e
        for m in re.finditer(r"Depends:\s*(linux-image-\S+)", r.stdout):
            return m.group(1)
        if r.returncode != 0 and "No packages found" not in r.stderr:
            raise FetchError(f"apt-cache depends {meta} failed (exit {r.returncode}): {one_line(r.stderr)}")
        if self.problem:  # the lists are old: absence there says nothing about the archive now
            raise FetchError(f"{meta} is not in the old package lists, and {self.problem}")
        raise Skip(f"{meta} not found in {SUITES[self.group][0]}")

    def download(self, package: str, dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        have = sorted(dest.glob(f"{package}_*.deb"))
        if have:
            return have[-1]
        try:
            r = subprocess.run(["apt-get", *self.opts, "download", package], cwd=dest,
                               capture_output=True, text=True, timeout=900)
            rc, err = r.returncode, (r.stderr or r.stdout).strip().splitlines()
        except subprocess.TimeoutExpired:
            rc, err = None, ["timed out after 900 s"]
        except OSError as e:
            rc, err = None, [f"could not run: {e}"]
        have = sorted(dest.glob(f"{package}_*.deb"))
        if rc != 0 or not have:
            for p in have:  # whatever it left is not a good package
                p.unlink()
            why = next((ln[3:] for ln in err if ln.startswith("E: ")), err[-1] if err else "no .deb written")
            raise FetchError(one_line(f"apt-get download {package} failed"
                                       f"{f' (exit {rc})' if rc else ''}: {why}"
                                       f"{f'; {self.problem}' if self.problem else ''}"))
        return have[-1]


# ---- vmlinuz → vmlinux (the kernel tree's scripts/extract-vmlinux, in Python) --------------

_MAGICS = [  # (name, magic) — the same list extract-vmlinux tries
    ("gzip", b"\x1f\x8b\x08"),
    ("xz", b"\xfd7zXZ\x00"),
    ("bzip2", b"BZh"),
    ("lzma", b"\x5d\x00\x00\x00"),
    ("lzo", b"\x89LZO"),
    ("lz4", b"\x02\x21\x4c\x18"),
    ("zstd", b"\x28\xb5\x2f\xfd"),
]


def _decompress(kind: str, blob: bytes) -> bytes | None:
    try:
        if kind == "gzip":
            return _gunzip(blob)
        if kind == "xz":
            return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(blob)
        if kind == "lzma":
            return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(blob)
        if kind == "bzip2":
            return bz2.BZ2Decompressor().decompress(blob)
        tool = {"zstd": ["zstd", "-dcq"], "lz4": ["lz4", "-dcq"], "lzo": ["lzop", "-dcq"]}[kind]
        if not shutil.which(tool[0]):
            return None
        r = subprocess.run(tool, input=blob, capture_output=True)  # trailing garbage → error, output kept
        return r.stdout or None
    except (OSError, EOFError, lzma.LZMAError, ValueError, zlib.error):
        return None


def _gunzip(blob: bytes) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # stops at the member's end; trailing data ignored
    return d.decompress(blob)


def _is_elf(data: bytes | None) -> bool:
    return bool(data) and data[:4] == b"\x7fELF"


def extract_vmlinux(vmlinuz: bytes) -> bytes:
    """Return the uncompressed ELF vmlinux inside a bzImage."""
    if _is_elf(vmlinuz):
        return vmlinuz
    # Boot protocol ≥ 2.08: payload_offset/payload_length point straight at the compressed kernel.
    if len(vmlinuz) > 0x250 and vmlinuz[0x202:0x206] == b"HdrS":
        setup_sects = vmlinuz[0x1F1] or 4
        off, length = struct.unpack_from("<II", vmlinuz, 0x248)
        start = (setup_sects + 1) * 512 + off
        blob = vmlinuz[start:start + length]
        for kind, magic in _MAGICS:
            if blob.startswith(magic):
                out = _decompress(kind, blob)
                if _is_elf(out):
                    return out
    # Fallback: try every magic at every offset, like extract-vmlinux.
    for kind, magic in _MAGICS:
        pos = vmlinuz.find(magic)
        while pos != -1:
            out = _decompress(kind, vmlinuz[pos:])
            if _is_elf(out):
                return out
            pos = vmlinuz.find(magic, pos + 1)
    raise ValueError("no compressed ELF kernel found in the image")


def has_btf(vmlinux: Path) -> bool:
    """True when the ELF has a .BTF section (what a CO-RE loader needs without /sys/kernel/btf)."""
    with open(vmlinux, "rb") as f:
        data = f.read(64)
        if data[:4] != b"\x7fELF" or data[4] != 2:
            return False
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        f.seek(shoff)
        sh = f.read(shentsize * shnum)
        def sect(i):
            return struct.unpack_from("<IIQQQQIIQQ", sh, i * shentsize)
        strtab = sect(shstrndx)
        f.seek(strtab[4])
        names = f.read(strtab[5])
        for i in range(shnum):
            n = sect(i)[0]
            if names[n:names.index(b"\0", n)] == b".BTF":
                return True
    return False


def fetch(spec: KernelSpec, cache: Path, log=print, lock_timeout_s: float = LOCK_TIMEOUT_S) -> Kernel:
    """Download (cached) and extract the kernel for a catalog entry, under the cache lock.

    Raises Skip (not in the archive), FetchError (could not fetch, and no kernel of this
    entry in the cache to fall back on) or LockTimeout.
    """
    with cache_lock(cache, lock_timeout_s, log):
        try:
            return _fetch(spec, cache, log)
        except FetchError as e:
            k = cached(spec, cache)
            if k is None:
                raise
            k.note = f"could not fetch ({e}); used the cached {k.version}"
            log(f"  {spec.name}: warning: {k.note}")
            return k


def _fetch(spec: KernelSpec, cache: Path, log) -> Kernel:
    apt = AptSuite(cache, spec.suite)
    kdir = cache
    try:
        apt.update(log=log)
        pkg = apt.resolve(META[spec.flavor])
    except OSError as e:
        raise FetchError(f"apt failed: {e}") from e
    version = pkg[len("linux-image-"):]
    out = kdir / version
    vmlinux = out / "vmlinux"
    config = out / "config"
    if not vmlinux.exists():
        deb = apt.download(pkg, kdir / "debs")
        log(f"  {spec.name}: extracting {deb.name}")
        try:
            vmlinuz, cfg = _members(deb, version)
            out.mkdir(parents=True, exist_ok=True)
            if cfg is not None:
                config.write_bytes(cfg)
            tmp = out / "vmlinux.tmp"
            tmp.write_bytes(extract_vmlinux(vmlinuz))
            tmp.rename(vmlinux)
        except (OSError, ValueError, EOFError, tarfile.TarError) as e:
            deb.unlink(missing_ok=True)  # download it again next time
            raise FetchError(f"extracting {deb.name} failed: {one_line(str(e))}") from e
        deb.unlink()  # the vmlinux is what we keep; the .deb is large
    k = Kernel(spec.name, version, spec.flavor, vmlinux, config if config.exists() else None)
    if apt.problem:
        k.note = f"{version} per the package lists fetched before: {apt.problem}"
    return k


# ---- what the cache holds -------------------------------------------------------------------

def version_key(v: str) -> tuple:
    """Order versions ("6.1.0-9-amd64" < "6.1.0-37-amd64"): numbers compare as numbers."""
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"(\d+)", v))


def spec_for_version(version: str) -> KernelSpec | None:
    """The catalog entry an image version belongs to ("6.1.0-37-rt-amd64" → 6.1-rt), or None."""
    flavor = ("rt" if version.endswith("-rt-amd64") else "cloud" if version.endswith("-cloud-amd64")
              else "generic" if version.endswith("-amd64") else None)
    return next((k for k in CATALOG if k.flavor == flavor and version.startswith(k.series + ".")), None)


def _kernel_dirs(cache: Path) -> list[Path]:
    """cache/<version>/ directories (vmlinux, config, vmlinux.tmp and nothing else)."""
    if not cache.is_dir():
        return []
    return [d for d in sorted(cache.iterdir())
            if d.is_dir() and re.fullmatch(r"\d+\.\d+[\w.+~-]*", d.name)
            and all(f.name in ("vmlinux", "vmlinux.tmp", "config") for f in d.iterdir())]


def cached(spec: KernelSpec, cache: Path) -> Kernel | None:
    """The newest extracted kernel of this catalog entry already in the cache."""
    mine = [d for d in _kernel_dirs(cache) if (d / "vmlinux").is_file() and spec_for_version(d.name) == spec]
    if not mine:
        return None
    d = max(mine, key=lambda d: version_key(d.name))
    config = d / "config"
    return Kernel(spec.name, d.name, spec.flavor, d / "vmlinux", config if config.exists() else None)


def _size(p: Path) -> int:
    if p.is_symlink() or p.is_file():
        return p.lstat().st_size
    return sum((Path(root) / f).lstat().st_size for root, _, files in os.walk(p) for f in files)


def prune(cache: Path, log=print, lock_timeout_s: float = LOCK_TIMEOUT_S) -> tuple[list[tuple[Path, int, str]], int]:
    """Remove from the cache what the catalog no longer uses; returns ([(path, bytes, why)], bytes freed).

    Kept: per catalog entry, the newest version cached (what a run falls back on offline) and
    the version its meta-package resolves to in the cached apt lists (no network), when it is
    cached; the newest private qemu. Removed: other
    kernel versions, versions of no catalog entry, --vmlinux extractions (made again on
    demand), leftover .debs, apt state of suites the catalog no longer reads. Nothing else
    in the cache directory is touched.
    """
    with cache_lock(cache, lock_timeout_s, log):
        dirs = _kernel_dirs(cache)
        keep, newest = set(), {}
        for spec in CATALOG:
            mine = [d.name for d in dirs if (d / "vmlinux").is_file() and spec_for_version(d.name) == spec]
            resolved = None
            if (cache / "apt" / spec.suite / "lists").is_dir():
                try:
                    resolved = AptSuite(cache, spec.suite).resolve(META[spec.flavor])[len("linux-image-"):]
                except (Skip, FetchError, OSError):
                    pass
            if mine:
                newest[spec.name] = max(mine, key=version_key)
                keep |= {newest[spec.name]} | ({resolved} & set(mine))
        victims = []
        for d in dirs:
            if d.name in keep:
                continue
            spec = spec_for_version(d.name)
            victims.append((d, "in no catalog entry" if spec is None else
                            f"older than {newest[spec.name]}" if spec.name in newest else "incomplete"))
        victims += [(f, "--vmlinux extraction") for f in sorted((cache / "custom").glob("*.vmlinux*"))]
        victims += [(f, "leftover download") for pat in ("debs/*.deb", "qemu/debs/*.deb")
                    for f in sorted(cache.glob(pat))]
        qemus = [d for d in sorted((cache / "qemu").glob("*"))
                 if d.is_dir() and d.name != "debs" and (d / "usr" / "bin").is_dir()]
        if qemus:
            top = max(qemus, key=lambda d: version_key(d.name))
            victims += [(d, f"older than qemu {top.name}") for d in qemus if d != top]
        victims += [(d, "apt state of a suite the catalog no longer reads")
                    for d in sorted((cache / "apt").glob("*"))
                    if d.is_dir() and d.name not in SUITES and (d / "sources.list").exists()]
        removed, freed = [], 0
        for path, why in victims:
            n = _size(path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append((path, n, why))
            freed += n
            log(f"  removed {path} ({n / 1e6:.1f} MB): {why}")
        return removed, freed


def banner_version(vmlinux: Path) -> str | None:
    """The release from the image's linux_banner ("Linux version 6.1.0-37-amd64 (...)")."""
    with open(vmlinux, "rb") as f:
        data = f.read()
    m = re.search(rb"Linux version (\S+) \(", data)
    return m.group(1).decode(errors="replace") if m else None


def custom(path: Path, name: str | None, cache: Path, lock_timeout_s: float = LOCK_TIMEOUT_S) -> Kernel:
    """Any kernel image given with --vmlinux: an ELF vmlinux, or a bzImage we decompress."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        digest = hashlib.sha256(data).hexdigest()[:16]
        out = cache / "custom" / f"{digest}.vmlinux"
        with cache_lock(cache, lock_timeout_s):
            if not out.exists():
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(out.name + ".tmp")
                tmp.write_bytes(extract_vmlinux(data))
                tmp.rename(out)
        path = out
    version = banner_version(path)
    return Kernel(name or version or path.name, version or "unknown", "custom", path, None)


def _members(deb: Path, version: str) -> tuple[bytes, bytes | None]:
    """Pull boot/vmlinuz-<v> and boot/config-<v> out of a .deb without installing it.

    The tar is read as a stream and abandoned once both are found: boot/ comes first in
    Debian's kernel packages, so the modules after it are never decompressed.
    """
    want = {f"boot/vmlinuz-{version}": None, f"boot/config-{version}": None}
    p = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        with tarfile.open(fileobj=p.stdout, mode="r|") as tar:
            for m in tar:
                base = m.name[2:] if m.name.startswith("./") else m.name
                if base in want and m.isfile():
                    want[base] = tar.extractfile(m).read()
                    if all(v is not None for v in want.values()):
                        break
    finally:
        p.kill()
        p.wait()
    vmlinuz, cfg = want.values()
    if vmlinuz is None:
        raise ValueError(f"{deb.name} has no boot/vmlinuz-{version}")
    return vmlinuz, cfg


def config_flag(config: Path | None, key: str) -> str | None:
    if config is None:
        return None
    m = re.search(rf"^{key}=(.*)$", config.read_text(errors="replace"), re.M)
    return m.group(1) if m else None
