"""report.html as a person sees it: rendered by headless Chromium, the page is not blank and
every image on it loads.

Needs Debian's `chromium` (ci/setup installs it). Two Chromium runs in parallel, each in its
own profile: a screenshot, and the DOM after load of a copy of the report with a script that
records, per <img>, whether it decoded (plus one deliberately broken image, so a check that
cannot see a broken image fails too).
"""
import html as html_lib
import json
import os
import re
import shutil
import subprocess

import pytest

from reportlib import make_results_dir, png_info, read, run_report

WIDTH, HEIGHT = 1200, 3000
CONTROL = "__render_check_missing__.png"
CHECK_SCRIPT = """<script>
window.addEventListener('load', function () {
  var out = [];
  document.querySelectorAll('img').forEach(function (img) {
    out.push({src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0,
              width: img.naturalWidth, height: img.naturalHeight});
  });
  var pre = document.createElement('pre');
  pre.id = 'render-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no chromium on PATH (apt-get install -y chromium; ci/setup does)")


def start_chromium(binary, profile, *args):
    # --no-sandbox: root in CI; --user-data-dir: parallel runs must not share a profile lock
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--user-data-dir={profile}", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, what):
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"chromium {what} timed out: {err[-2000:]}") from None
    assert proc.returncode == 0, f"chromium {what} failed ({proc.returncode}): {err[-2000:]}"
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Render run_full (+ kernel matrix) and look at it in Chromium: (dir, screenshot, img states)."""
    binary = chromium()
    d = make_results_dir(tmp_path_factory.mktemp("render"), "run_full", "matrix")
    proc = run_report(d)
    assert proc.returncode == 0, proc.stderr
    html = read(os.path.join(d, "report.html"))
    assert "</body>" in html
    # the copy sits beside the report, so its relative image paths resolve the same way
    check_page = os.path.join(d, "_render_check.html")
    with open(check_page, "w", encoding="utf-8") as f:
        f.write(html.replace("</body>", f'<img src="{CONTROL}" alt="control">\n{CHECK_SCRIPT}</body>'))
    shot = os.path.join(d, "_screenshot.png")
    profiles = tmp_path_factory.mktemp("chromium-profiles")
    shooter = start_chromium(binary, profiles / "shot", f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}",
                             "file://" + os.path.join(d, "report.html"))
    dumper = start_chromium(binary, profiles / "dom", "--virtual-time-budget=10000", "--dump-dom",
                            "file://" + check_page)
    dom = finish(dumper, "--dump-dom")
    finish(shooter, "--screenshot")
    m = re.search(r'<pre id="render-check">(.*?)</pre>', dom, re.S)
    assert m, "the check script did not run (no #render-check in the DOM)"
    states = json.loads(html_lib.unescape(m.group(1)))
    return d, shot, states


def test_screenshot_is_a_rendered_page(rendered):
    import matplotlib.image as mpimg
    import numpy as np
    _, shot, _ = rendered
    assert png_info(shot) == (WIDTH, HEIGHT)
    rgb = mpimg.imread(shot)[..., :3]
    gray = rgb.mean(axis=2)
    ink = gray < 0.9  # anything clearly darker than the white page
    assert gray.std() > 0.05, f"screenshot is nearly uniform (std {gray.std():.4f})"
    assert 0.01 < ink.mean() < 0.6, f"non-white fraction {ink.mean():.3f}: blank or a solid block"
    # text from the top (the title and summary), not only one element somewhere
    assert ink[:400].mean() > 0.01, "nothing rendered at the top of the page"
    rows_with_ink = np.flatnonzero(ink.any(axis=1))
    assert rows_with_ink[-1] - rows_with_ink[0] > HEIGHT / 2, "content covers less than half the window"


def test_every_image_loads(rendered):
    d, _, states = rendered
    srcs = set(re.findall(r'<img src="([^"]+)"', read(os.path.join(d, "report.html"))))
    assert srcs, "the report has no images"
    real = {s["src"]: s for s in states if s["src"] != CONTROL}
    assert set(real) == srcs
    broken = [f"{s['src']} ({s['width']}x{s['height']})" for s in real.values() if not s["ok"]]
    assert not broken, f"images that did not load in Chromium: {broken}"
    for s in real.values():
        assert s["width"] >= 600 and s["height"] >= 300, s


def test_check_sees_a_broken_image(rendered):
    _, _, states = rendered
    control = [s for s in states if s["src"] == CONTROL]
    assert control and not control[0]["ok"], f"the missing control image was reported as loaded: {control}"
