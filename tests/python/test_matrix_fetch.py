"""Kernel-matrix downloads: not-in-the-archive vs could-not-fetch, the cache lock, --prune.

No network, no qemu: apt-get/apt-cache are stubbed (subprocess.run for those two only),
the .deb extraction is stubbed, and the CLI's build/initramfs/boot steps are replaced.
"""

import fcntl
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "ci" / "matrix"))

import kernels  # noqa: E402
import results  # noqa: E402

SPEC = kernels.BY_NAME["6.1-generic"]
PKG = "linux-image-6.1.0-37-amd64"
ELF = b"\x7fELF" + b"\0" * 60
NO_DNS = ("W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  "
          "Temporary failure resolving 'deb.debian.org'\n"
          "W: Some index files failed to download. They have been ignored, or old ones used instead.\n")
NO_SUITE = ("Ign:1 http://deb.debian.org/debian bookworm InRelease\nErr:2 http://deb.debian.org/debian bookworm "
            "Release\n  404  Not Found [IP: 203.0.113.80 80]\n",
            "E: The repository 'http://deb.debian.org/debian bookworm Release' does not have a Release file.\n")


class FakeApt:
    """Answers apt-get update/download and apt-cache depends; anything else runs for real."""

    def __init__(self, update=(0, "Hit:1 ok\n", ""), write_lists=True, depends=None, download=(0, "", "")):
        self.update, self.write_lists, self.download = update, write_lists, download
        self.depends = depends or {"linux-image-amd64": PKG, "linux-image-rt-amd64": "linux-image-6.1.0-37-rt-amd64"}
        self.calls = []
        self.on_download = None
        self.real = subprocess.run

    def __call__(self, argv, *a, **kw):
        if argv[0] not in ("apt-get", "apt-cache"):
            return self.real(argv, *a, **kw)
        opts = dict(o.split("=", 1) for o in argv if "=" in o)
        verb = argv[-1] if argv[0] == "apt-get" and argv[-1] == "update" else argv[-2]
        self.calls.append(verb)
        if verb == "update":
            rc, out, err = self.update
            if self.write_lists:
                lists = Path(opts["Dir::State::Lists"])
                for suite in ("bookworm", "bullseye", "bookworm-backports"):
                    (lists / f"deb.debian.org_debian_dists_{suite}_main_binary-amd64_Packages.lz4").write_text("x")
            return subprocess.CompletedProcess(argv, rc, out, err)
        if verb == "depends":
            pkg = self.depends.get(argv[-1]) if list(Path(opts["Dir::State::Lists"]).glob("*_Packages*")) else None
            if pkg is None:
                return subprocess.CompletedProcess(argv, 100, "", "E: No packages found\n")
            return subprocess.CompletedProcess(argv, 0, f"{argv[-1]}\n  Depends: {pkg}\n", "")
        if verb == "download":
            if self.on_download:
                self.on_download()
            rc, out, err = self.download
            if rc == 0:
                (Path(kw["cwd"]) / f"{argv[-1]}_6.1.137-1_amd64.deb").write_bytes(b"deb")
            return subprocess.CompletedProcess(argv, rc, out, err)
        raise AssertionError(argv)


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


@pytest.fixture
def apt(monkeypatch):
    fake = FakeApt()
    monkeypatch.setattr(subprocess, "run", fake)
    monkeypatch.setattr(kernels, "_members", lambda deb, version: (ELF, b"CONFIG_DEBUG_INFO_BTF=y\n"))
    return fake


def put_kernel(cache, version):
    d = cache / version
    d.mkdir(parents=True)
    (d / "vmlinux").write_bytes(ELF)
    return d


# ---- not in the archive vs could not fetch ---------------------------------------------------

def test_fetch_downloads_and_extracts(cache, apt):
    k = kernels.fetch(SPEC, cache, log=lambda m: None)
    assert (k.version, k.note) == ("6.1.0-37-amd64", None)
    assert k.vmlinux.read_bytes() == ELF and not list((cache / "debs").glob("*.deb"))
    assert apt.calls == ["update", "depends", "download"]


@pytest.mark.parametrize("rc,out,err,words", [
    (0, "", NO_DNS, "Temporary failure resolving 'deb.debian.org'"),          # exit 0, warnings only
    (0, "Err:1 http://deb.debian.org/debian bookworm InRelease\n  Could not resolve 'deb.debian.org'\n", "",
     "Could not resolve 'deb.debian.org'"),
    (100, "", "E: The repository 'http://deb.debian.org/debian bookworm InRelease' is not signed.\n",
     "exit 100: The repository"),
])
def test_update_that_could_not_fetch_is_an_error(cache, apt, rc, out, err, words):
    apt.update, apt.write_lists = (rc, out, err), False
    with pytest.raises(kernels.FetchError) as e:
        kernels.fetch(SPEC, cache, log=lambda m: None)
    msg = str(e.value)
    assert words in msg and "\n" not in msg and msg.startswith("apt-get update of bookworm failed")


def test_update_timeout_is_an_error(cache, monkeypatch, apt):
    def slow(argv, *a, **kw):
        raise subprocess.TimeoutExpired(argv, 300)
    monkeypatch.setattr(subprocess, "run", slow)
    with pytest.raises(kernels.FetchError, match="timed out"):
        kernels.fetch(SPEC, cache, log=lambda m: None)


def test_missing_suite_or_package_is_unsupported(cache, apt):
    apt.update, apt.write_lists = (100, *NO_SUITE), False
    with pytest.raises(kernels.Skip, match="not in the archive"):
        kernels.fetch(SPEC, cache, log=lambda m: None)
    apt.update, apt.write_lists = (0, "", ""), True
    with pytest.raises(kernels.Skip, match="linux-image-cloud-amd64 not found"):
        kernels.fetch(kernels.BY_NAME["6.1-cloud"], cache, log=lambda m: None)
    assert kernels.update_problem(100, *NO_SUITE) is None


def test_failed_download_is_an_error(cache, apt):
    apt.download = (100, "", "E: Failed to fetch http://deb.debian.org/debian/pool/main/l/linux-signed-amd64/"
                             "x.deb  Hash Sum mismatch\n")
    with pytest.raises(kernels.FetchError, match="apt-get download linux-image-6.1.0-37-amd64 failed "
                                                 r"\(exit 100\): Failed to fetch .* Hash Sum mismatch"):
        kernels.fetch(SPEC, cache, log=lambda m: None)


def test_failed_extraction_is_an_error_and_drops_the_deb(cache, apt, monkeypatch):
    import tarfile

    def broken(deb, version):
        raise tarfile.ReadError("unexpected end of data")
    monkeypatch.setattr(kernels, "_members", broken)
    with pytest.raises(kernels.FetchError, match="extracting linux-image-6.1.0-37-amd64_.*unexpected end of data"):
        kernels.fetch(SPEC, cache, log=lambda m: None)
    assert not list((cache / "debs").glob("*.deb"))  # the next run downloads it again
    assert not (cache / "6.1.0-37-amd64" / "vmlinux").exists()


def test_cached_kernel_is_used_when_fetching_fails(cache, apt):
    put_kernel(cache, "6.1.0-9-amd64")
    put_kernel(cache, "6.1.0-30-amd64")
    put_kernel(cache, "6.1.0-31-rt-amd64")
    apt.update, apt.write_lists = (0, "", NO_DNS), False
    msgs = []
    k = kernels.fetch(SPEC, cache, log=msgs.append)
    assert k.version == "6.1.0-30-amd64" and k.vmlinux == cache / "6.1.0-30-amd64" / "vmlinux"
    assert "could not fetch" in k.note and "Temporary failure resolving" in k.note
    assert any("warning" in m for m in msgs)


def test_old_lists_and_a_cached_kernel_need_no_network(cache, apt):
    kernels.fetch(SPEC, cache, log=lambda m: None)          # lists + 6.1.0-37 in the cache
    for p in (cache / "apt" / "bookworm" / "lists").glob("*"):
        os.utime(p, (1, 1))                                 # stale: update runs again
    apt.update, apt.write_lists, apt.calls = (0, "", NO_DNS), False, []
    k = kernels.fetch(SPEC, cache, log=lambda m: None)
    assert k.version == "6.1.0-37-amd64" and apt.calls == ["update", "depends"]
    assert "Temporary failure resolving" in k.note


# ---- the cache lock ---------------------------------------------------------------------------

def hold_lock(cache, seconds):
    cache.mkdir(parents=True, exist_ok=True)
    p = subprocess.Popen([sys.executable, "-c",
                          "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX); "
                          "f.truncate(0); f.write('pid holder\\n'); f.flush(); print('locked', flush=True); "
                          "time.sleep(float(sys.argv[2]))", str(cache / kernels.LOCK_NAME), str(seconds)],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def locked_elsewhere(cache):
    with open(cache / kernels.LOCK_NAME, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


def test_lock_waits_with_a_message_then_times_out(cache):
    holder = hold_lock(cache, 60)
    try:
        msgs = []
        t0 = time.monotonic()
        with pytest.raises(kernels.LockTimeout, match="still locked by another run \\(pid holder\\) after 0.5 s"):
            with kernels.cache_lock(cache, timeout_s=0.5, log=msgs.append):
                pass
        assert time.monotonic() - t0 >= 0.5
        assert len(msgs) == 1 and "waiting for the kernel cache lock" in msgs[0]
    finally:
        holder.kill()
        holder.wait()
    with kernels.cache_lock(cache, timeout_s=0.5):
        assert locked_elsewhere(cache)
    assert not locked_elsewhere(cache)


def test_lock_waiter_goes_on_when_released(cache):
    holder = hold_lock(cache, 0.5)
    try:
        msgs = []
        with kernels.cache_lock(cache, timeout_s=20, log=msgs.append):
            assert holder.poll() is not None or holder.wait(5) is not None
        assert msgs and "waiting" in msgs[0]
    finally:
        holder.kill()
        holder.wait()


def test_download_and_extraction_happen_under_the_lock(cache, apt, monkeypatch):
    seen = []
    apt.on_download = lambda: seen.append(locked_elsewhere(cache))
    real = kernels.extract_vmlinux
    monkeypatch.setattr(kernels, "extract_vmlinux", lambda b: seen.append(locked_elsewhere(cache)) or real(b))
    kernels.fetch(SPEC, cache, log=lambda m: None)
    assert seen == [True, True]
    assert not locked_elsewhere(cache)


# ---- the CLI ----------------------------------------------------------------------------------

def load_cli():
    loader = importlib.machinery.SourceFileLoader("kernel_matrix", str(REPO / "ci" / "kernel-matrix"))
    spec = importlib.util.spec_from_loader("kernel_matrix", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


class FakeQemu:
    def describe(self):
        return "qemu 9.9 (fake)"


@pytest.fixture
def cli(monkeypatch, tmp_path, apt):
    km = load_cli()
    booted = []

    def build(out, *a, **kw):
        out.write_bytes(b"initrd")
        return "sha256:fake"

    def run_kernel(k, initrd, steps, out, args, tag, q):
        booted.append(k.version)
        row = {key: None for key in results.ROW_KEYS}
        row.update(name=k.name, version=k.version, flavor=k.flavor, boots=True,
                   conservation={t: "pass" for t in results.TRANSPORTS})
        return results.finish(row, "pass", None)
    monkeypatch.setattr(km.qemu, "choose", lambda *a, **kw: FakeQemu())
    monkeypatch.setattr(km, "static_binaries", lambda args: tmp_path)
    monkeypatch.setattr(km.initramfs, "build", build)
    monkeypatch.setattr(km, "run_kernel", run_kernel)
    km.booted = booted
    return km


def test_quick_without_network_is_an_error_and_exits_2(cli, apt, cache, tmp_path, capsys):
    apt.update, apt.write_lists = (0, "", NO_DNS), False
    out = tmp_path / "m"
    rc = cli.main(["--quick", "--out", str(out), "--cache", str(cache)])
    assert rc == 2 and cli.booted == []
    doc = json.loads((out / "matrix.json").read_text())
    (row,) = doc["kernels"]
    assert row["name"] == "6.1-generic" and row["status"] == "error"
    assert row["conservation"] == {"ringbuf": "error", "perfbuf": "error"}
    assert "Temporary failure resolving 'deb.debian.org'" in row["reason"]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kernel-matrix: 6.1-generic: could not fetch the kernel: "
                                               "apt-get update of bookworm failed: Failed to fetch")
    assert "**ERROR**" in (out / "matrix.md").read_text()


def test_quick_without_network_uses_a_cached_kernel(cli, apt, cache, tmp_path):
    put_kernel(cache, "6.1.0-20-amd64")
    put_kernel(cache, "6.1.0-30-amd64")
    apt.update, apt.write_lists = (0, "", NO_DNS), False
    out = tmp_path / "m"
    assert cli.main(["--quick", "--prune", "--out", str(out), "--cache", str(cache)]) == 0
    assert cli.booted == ["6.1.0-30-amd64"]
    row = json.loads((out / "matrix.json").read_text())["kernels"][0]
    assert row["status"] == "pass" and "used the cached 6.1.0-30-amd64" in row["reason"]
    assert (cache / "6.1.0-30-amd64").is_dir() and not (cache / "6.1.0-20-amd64").exists()  # pruned after the run


def test_prune_keeps_the_newest_cached_kernel_until_the_resolved_one_is_fetched(cache, apt):
    kernels.fetch(SPEC, cache, log=lambda m: None)
    shutil.rmtree(cache / "6.1.0-37-amd64")           # the lists name 6.1.0-37, only older ones are here
    put_kernel(cache, "6.1.0-20-amd64")
    put_kernel(cache, "6.1.0-30-amd64")
    removed, _ = kernels.prune(cache, log=lambda m: None)
    assert [p.name for p, _, _ in removed] == ["6.1.0-20-amd64"]


def test_missing_suite_stays_unsupported_and_exits_0(cli, apt, cache, tmp_path):
    apt.update, apt.write_lists = (100, *NO_SUITE), False
    out = tmp_path / "m"
    assert cli.main(["--quick", "--out", str(out), "--cache", str(cache)]) == 0
    row = json.loads((out / "matrix.json").read_text())["kernels"][0]
    assert row["status"] == "unsupported" and row["reason"].startswith("skipped: suite bookworm is not in the archive")


def test_cli_locked_cache_exits_2_with_one_line(cli, cache, tmp_path, capsys):
    holder = hold_lock(cache, 60)
    try:
        with pytest.raises(SystemExit) as e:
            cli.main(["--quick", "--lock-timeout", "0.3", "--out", str(tmp_path / "m"), "--cache", str(cache)])
    finally:
        holder.kill()
        holder.wait()
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is still locked by another run" in err[0] and cli.booted == []


# ---- --prune ----------------------------------------------------------------------------------

def test_prune_keeps_what_the_catalog_resolves_to(cli, apt, cache, capsys):
    kernels.fetch(SPEC, cache, log=lambda m: None)  # apt lists for bookworm: generic → 6.1.0-37, rt → 6.1.0-37-rt
    for v in ("6.1.0-30-amd64", "6.1.0-9-rt-amd64", "6.1.0-37-rt-amd64", "6.12.9+bpo-amd64", "6.12.12+bpo-amd64",
              "5.4.0-1-amd64"):
        put_kernel(cache, v)
    (cache / "6.1.0-25-cloud-amd64").mkdir()
    (cache / "6.1.0-25-cloud-amd64" / "vmlinux.tmp").write_bytes(b"half")
    (cache / "custom").mkdir()
    (cache / "custom" / "0123.vmlinux").write_bytes(ELF)
    (cache / "debs" / "linux-image-6.1.0-30-amd64_1_amd64.deb").write_bytes(b"x" * 1000)
    for tag in ("1-8.2.2+ds-1~bpo12+1", "1-9.2.0+ds-1~bpo12+1"):
        (cache / "qemu" / tag / "usr" / "bin").mkdir(parents=True)
        (cache / "qemu" / tag / "usr" / "bin" / "qemu-system-x86_64").write_bytes(b"q" * 500)
    (cache / "apt" / "buster").mkdir(parents=True)
    (cache / "apt" / "buster" / "sources.list").write_text("deb x buster main\n")
    (cache / "notes.txt").write_text("mine")
    (cache / "mystuff").mkdir()

    assert cli.main(["--prune", "--cache", str(cache)]) == 0
    left = sorted(p.name for p in cache.iterdir())
    assert left == ["6.1.0-37-amd64", "6.1.0-37-rt-amd64", "6.12.12+bpo-amd64", "apt", "custom", "debs",
                    "lock", "mystuff", "notes.txt", "qemu"]
    assert sorted(p.name for p in (cache / "qemu").iterdir()) == ["1-9.2.0+ds-1~bpo12+1"]
    assert sorted(p.name for p in (cache / "apt").iterdir()) == ["bookworm"]
    assert not list((cache / "custom").iterdir()) and not list((cache / "debs").iterdir())
    out = capsys.readouterr().out
    assert "6.1.0-30-amd64" in out and "older than 6.1.0-37-amd64" in out
    assert "5.4.0-1-amd64" in out and "in no catalog entry" in out
    assert "pruned 9 entries" in out and "MB freed" in out
    assert cli.main(["--prune", "--cache", str(cache)]) == 0
    assert "nothing to prune" in capsys.readouterr().out


def test_prune_frees_what_it_says(cache, apt):
    put_kernel(cache, "6.1.0-1-amd64")
    (cache / "6.1.0-1-amd64" / "vmlinux").write_bytes(b"v" * 12345)
    put_kernel(cache, "6.1.0-2-amd64")
    removed, freed = kernels.prune(cache, log=lambda m: None)
    assert [(p.name, n) for p, n, _ in removed] == [("6.1.0-1-amd64", 12345)] and freed == 12345


def test_prune_with_merge_is_a_usage_error(cli, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--prune", "--merge", "x.json"])
    assert e.value.code == 2 and "--prune goes alone" in capsys.readouterr().err
