"""The guest's initramfs: a gzip'd cpio (newc) written in Python, so no root and no cpio tool.

Contents: /init (guest-init.sh), /bin/busybox (static; its applets are linked at boot),
/bin/ringside and /bin/ringside-workload (static, stripped copies), /dev/console, and
empty mount points.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import stat
import struct
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIRS = ["bin", "dev", "proc", "sys", "tmp", "run", "etc"]


class _Newc:
    def __init__(self, out):
        self.out = out
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0), nlink: int = 1):
        nameb = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(nameb), 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out.write(hdr + nameb)
        self.out.write(b"\0" * (-(len(hdr) + len(nameb)) % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-len(data) % 4))

    def dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, name, data: bytes, mode=0o755):
        self._entry(name, stat.S_IFREG | mode, data)

    def chardev(self, name, major, minor, mode=0o600):
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def trailer(self):
        self.ino = 0
        self._entry("TRAILER!!!", 0)


def is_static_elf(path: Path) -> bool:
    """An ELF executable with no PT_INTERP (runs with no libc in the guest)."""
    data = path.read_bytes()[:4096]
    if data[:4] != b"\x7fELF":
        return False
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        off = phoff + i * phentsize
        if off + 4 > len(data):
            break
        p_type, = struct.unpack_from("<I", data, off)
        if p_type == 3:  # PT_INTERP
            return False
    return True


def _stripped(path: Path) -> bytes:
    strip = shutil.which("strip")
    if not strip:
        return path.read_bytes()
    with tempfile.TemporaryDirectory() as td:
        out = Path(td) / path.name
        r = subprocess.run([strip, "-o", str(out), str(path)], capture_output=True)
        return out.read_bytes() if r.returncode == 0 else path.read_bytes()


def find_busybox() -> Path:
    for p in ("/bin/busybox", "/usr/bin/busybox"):
        if Path(p).exists() and is_static_elf(Path(p)):
            return Path(p)
    raise FileNotFoundError("a static busybox is needed (apt-get install busybox-static)")


def build(out: Path, ringside: Path | None, workload: Path | None, extra: dict[str, bytes] | None = None,
          init_script: Path = HERE / "guest-init.sh") -> str:
    """Write the initramfs to `out` (extra: more files, path → content); returns a short content hash."""
    files = {"init": init_script.read_bytes(), "bin/busybox": find_busybox().read_bytes(), **(extra or {})}
    for name, path in (("bin/ringside", ringside), ("bin/ringside-workload", workload)):
        if path is None:
            continue
        if not is_static_elf(path):
            raise ValueError(f"{path} is not a static executable (build with -DRINGSIDE_STATIC=ON)")
        files[name] = _stripped(path)
    h = hashlib.sha256()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
        w = _Newc(gz)
        for d in DIRS:
            w.dir(d)
        w.chardev("dev/console", 5, 1)
        w.chardev("dev/null", 1, 3, 0o666)
        for name, data in files.items():
            h.update(name.encode() + data)
            w.file(name, data)
        w.trailer()
    tmp.rename(out)
    return h.hexdigest()[:12]
