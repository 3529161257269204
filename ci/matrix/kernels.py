"""Debian kernels for the matrix: look up, download (never install), extract a bootable vmlinux.

Each suite gets its own private apt configuration under the cache dir (sources list,
lists, archives, an empty dpkg status), so the host's apt sources are never touched.
Package names come from the meta-packages at run time (linux-image-amd64 → the
versioned linux-image-6.1.0-NN-amd64), so the matrix follows Debian's point releases.
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
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
    """The kernel cannot be had here (suite unreachable, package missing); reason says why."""


@dataclass
class Kernel:
    name: str
    version: str   # uname -r of the image, e.g. "6.1.0-37-amd64"
    flavor: str
    vmlinux: Path
    config: Path | None


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
        mirror, security = host_mirrors()
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

    def update(self, max_age_s: float = 6 * 3600) -> None:
        """apt-get update into the private lists; lists younger than max_age_s are reused,
        and stale lists are used when the mirror cannot be reached."""
        primary = SUITES[self.group][0]

        def primary_list():
            return [p for p in (self.root / "lists").glob("*_Packages*") if f"_dists_{primary}_" in p.name]

        have = primary_list()
        if have and time.time() - min(p.stat().st_mtime for p in have) < max_age_s:
            return
        try:
            r = subprocess.run(["apt-get", *self.opts, "update"], capture_output=True, text=True, timeout=300)
            err = (r.stderr or r.stdout).strip().splitlines()
        except subprocess.TimeoutExpired:
            err = ["apt-get update timed out"]
        if not primary_list():
            raise Skip(f"suite {primary} not reachable from this machine's mirror "
                       f"({host_mirrors()[0]}): {err[-1] if err else 'no package list'}")

    def resolve(self, meta: str) -> str:
        """meta-package → the versioned linux-image package it depends on."""
        r = subprocess.run(["apt-cache", *self.opts, "depends", meta], capture_output=True, text=True)
        for m in re.finditer(r"Depends:\s*(linux-image-\S+)", r.stdout):
            return m.group(1)
        raise Skip(f"{meta} not found in {SUITES[self.group][0]}")

    def download(self, package: str, dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        have = sorted(dest.glob(f"{package}_*.deb"))
        if have:
            return have[-1]
        r = subprocess.run(["apt-get", *self.opts, "download", package], cwd=dest,
                           capture_output=True, text=True, timeout=900)
        have = sorted(dest.glob(f"{package}_*.deb"))
        if r.returncode != 0 or not have:
            raise Skip(f"download of {package} failed: {(r.stderr or r.stdout).strip()[-200:]}")
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


def fetch(spec: KernelSpec, cache: Path, log=print) -> Kernel:
    """Download (cached) and extract the kernel for a catalog entry."""
    apt = AptSuite(cache, spec.suite)
    kdir = cache
    try:
        apt.update()
        pkg = apt.resolve(META[spec.flavor])
    except Skip:
        raise
    except (OSError, subprocess.SubprocessError) as e:
        raise Skip(f"apt failed: {e}") from e
    version = pkg[len("linux-image-"):]
    out = kdir / version
    vmlinux = out / "vmlinux"
    config = out / "config"
    if not vmlinux.exists():
        deb = apt.download(pkg, kdir / "debs")
        log(f"  {spec.name}: extracting {deb.name}")
        vmlinuz, cfg = _members(deb, version)
        out.mkdir(parents=True, exist_ok=True)
        if cfg is not None:
            config.write_bytes(cfg)
        tmp = out / "vmlinux.tmp"
        tmp.write_bytes(extract_vmlinux(vmlinuz))
        tmp.rename(vmlinux)
        deb.unlink()  # the vmlinux is what we keep; the .deb is large
    return Kernel(spec.name, version, spec.flavor, vmlinux, config if config.exists() else None)


def banner_version(vmlinux: Path) -> str | None:
    """The release from the image's linux_banner ("Linux version 6.1.0-37-amd64 (...)")."""
    with open(vmlinux, "rb") as f:
        data = f.read()
    m = re.search(rb"Linux version (\S+) \(", data)
    return m.group(1).decode(errors="replace") if m else None


def custom(path: Path, name: str | None, cache: Path) -> Kernel:
    """Any kernel image given with --vmlinux: an ELF vmlinux, or a bzImage we decompress."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        digest = hashlib.sha256(data).hexdigest()[:16]
        out = cache / "custom" / f"{digest}.vmlinux"
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(extract_vmlinux(data))
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
        raise Skip(f"{deb.name} has no boot/vmlinuz-{version}")
    return vmlinuz, cfg


def config_flag(config: Path | None, key: str) -> str | None:
    if config is None:
        return None
    m = re.search(rf"^{key}=(.*)$", config.read_text(errors="replace"), re.M)
    return m.group(1) if m else None
