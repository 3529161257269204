"""Shared matplotlib setup for the report plots: Agg backend, style, tick formatters, saving.

Importing this module imports matplotlib; ringside_report.py turns an ImportError here into
exit code 3 with the apt-get hint.
"""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

DPI = 110
FIGSIZE = (8, 4.5)

# Colour-blind-friendly palette (Okabe–Ito) plus a sequential blue ramp for percentiles.
BLUE, ORANGE, GREEN, RED, PURPLE, GREY, SKY, YELLOW = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#777777", "#56B4E9", "#F0E442")
PERCENTILE_COLORS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
BUDGET_STYLE = dict(color=RED, linestyle="--", linewidth=1.6)

plt.rcParams.update({
    "font.size": 10, "axes.titlesize": 12, "axes.titleweight": "bold", "axes.labelsize": 10,
    "legend.fontsize": 9, "legend.framealpha": 0.92, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "savefig.facecolor": "white",
})


def new_figure(nrows=1, ncols=1, figsize=FIGSIZE, **kw):
    return plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", **kw)


def legend_below(fig, handles, labels, ncol=4):
    """Figure legend under the axes (saved with a tight bbox so it is never clipped;
    matplotlib 3.6 in Debian bookworm has no loc="outside ...")."""
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=max(1, min(ncol, len(labels))), frameon=False)


def save(fig, out_dir, name):
    fig.savefig(os.path.join(out_dir, name), dpi=DPI, bbox_inches="tight", pad_inches=0.12)
    plt.close(fig)
    return name


def _scaled(v, units):
    """Format v with the largest unit it reaches, 3 significant digits; never "1e+03k"."""
    for i, (scale, unit) in enumerate(units):
        if abs(v) >= scale or i == len(units) - 1:
            text = f"{v / scale:.3g}"
            if abs(float(text)) >= 1000 and i > 0:  # 999.95k rounds to 1e+03k: use the next unit up
                scale, unit = units[i - 1]
                text = f"{v / scale:.3g}"
            return text + unit


def dur_label(ns):
    """Short duration for ticks/annotations: 850 ns, 1 µs, 31.7 µs, 2 ms."""
    if ns is None or not math.isfinite(ns):
        return "n/a"
    return _scaled(ns, ((1e9, " s"), (1e6, " ms"), (1e3, " µs"), (1, " ns")))


def rate_label(r):
    """Short rate: 1k, 250k, 2.2M."""
    if r is None or not math.isfinite(r):
        return "n/a"
    return _scaled(r, ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1, "")))


def pct_label(p):
    """Percentage for ticks/annotations: 0.05%, 1%, 28.9%, 33%."""
    if p is None or not math.isfinite(p):
        return "n/a"
    if p == 0:
        return "0%"
    text = f"{p:.3g}" if abs(p) < 10 else f"{p:.1f}".rstrip("0").rstrip(".")
    if "e" in text:
        text = f"{p:f}".rstrip("0").rstrip(".")
    return text + "%"


def log_axis(axis, lo, hi, fmt):
    """Log scale on an Axis with readable major ticks between lo and hi (data values > 0)."""
    decades = math.log10(hi / lo) if lo > 0 and hi > 0 else 3
    subs = (1.0,) if decades > 2.5 else (1.0, 2.0, 5.0)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
    axis.set_minor_formatter(NullFormatter())


def positive(values, floor=None):
    """Array with non-positive / missing values as NaN (they cannot sit on a log axis)."""
    arr = np.array([v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan
                    for v in values], dtype=float)
    arr[~(arr > 0)] = np.nan if floor is None else floor
    return arr


def numbers(values):
    return np.array([v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan
                     for v in values], dtype=float)


def note_empty(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=GREY)
