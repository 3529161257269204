#!/usr/bin/python3
"""history-plot: the trend PNG of one metric's history, as `ringside history show` writes it.

    /usr/bin/python3 reports/history_plot.py SERIES.json OUT.png

SERIES.json (written by ringside): metric, unit, better, host_class, points[] (seq, commit,
branch, date, median, lo, hi, n) and changes[] (index, seq, commit, label, kind, mean_before,
mean_after). Each point is the median of its repetitions with its bootstrap 95 % CI; each
change point is a dashed line before the run where the new level starts, and the levels
between change points are drawn as steps.

Exit codes: 0 ok, 2 bad input, 3 python3-matplotlib missing (ringside says so).
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # run from a checkout: leave no __pycache__ behind in reports/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

PROG = "history-plot"
EXIT_OK, EXIT_BAD_INPUT, EXIT_NO_MATPLOTLIB = 0, 2, 3


class BadInput(Exception):
    pass


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        for p in data["points"]:
            float(p["median"]), float(p["lo"]), float(p["hi"]), int(p["seq"]), str(p["commit"])
        for c in data["changes"]:
            int(c["index"]), float(c["mean_before"]), float(c["mean_after"]), str(c["label"])
        str(data["metric"]), str(data["unit"]), str(data["host_class"])
        return data
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BadInput(f"{path}: not a history series ({e})") from None


def value_formatter(unit):
    import plotkit
    if unit == "ns":
        return plotkit.dur_label
    if unit in ("%", "pp"):
        return plotkit.pct_label
    if unit.endswith("/s"):
        return plotkit.rate_label
    return lambda v: f"{v:.3g}"


def plot(data, out):
    import plotkit
    from matplotlib.ticker import FuncFormatter

    points = data["points"]
    x = list(range(len(points)))
    med = [p["median"] for p in points]
    lower = [max(0.0, p["median"] - p["lo"]) for p in points]
    upper = [max(0.0, p["hi"] - p["median"]) for p in points]

    width = max(6.0, min(16.0, 0.3 * len(points) + 4))
    fig, ax = plotkit.new_figure(figsize=(width, 4.5))
    ax.errorbar(x, med, yerr=[lower, upper], fmt="o-", ms=3.5, lw=1, capsize=2, color=plotkit.BLUE,
                ecolor=plotkit.SKY, label="median of the repetitions (bootstrap 95 % CI)")
    colours = {"REGRESSION": plotkit.RED, "improvement": plotkit.GREEN}
    bounds = [0] + [c["index"] for c in data["changes"]] + [len(points)]
    for i, c in enumerate(data["changes"]):
        colour = colours.get(c["kind"], plotkit.GREY)
        ax.axvline(c["index"] - 0.5, color=colour, ls="--", lw=1)
        ax.annotate(f"{c['label']} at {c['commit'][:10]}", (c["index"] - 0.5, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(3, -12), textcoords="offset points",
                    fontsize=8, color=colour)
        # the levels either side, as E-divisive saw them
        if i == 0:
            ax.hlines(c["mean_before"], bounds[0] - 0.4, c["index"] - 0.5, colors=plotkit.ORANGE, lw=1.5)
        ax.hlines(c["mean_after"], c["index"] - 0.5, bounds[i + 2] - 0.6, colors=plotkit.ORANGE, lw=1.5,
                  label="level between change points" if i == 0 else None)

    step = max(1, len(points) // 20)
    ax.set_xticks(x[::step])
    ax.set_xticklabels([f"{p['seq']}  {p['commit'][:7]}" for p in points[::step]], fontsize=8, rotation=45,
                       ha="right", rotation_mode="anchor")
    fmt = value_formatter(data["unit"])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
    ax.set_xlabel("run (seq, commit)")
    ax.set_ylabel(f"{data['metric']} ({data['unit']})")
    ax.set_title(f"{data['metric']} on {data['host_class']} ({data['better']} is better)")
    ax.legend(loc="best")
    out_dir, name = os.path.split(os.path.abspath(out))
    plotkit.save(fig, out_dir, name)


def main(argv):
    if len(argv) != 2:
        print(f"usage: {PROG} SERIES.json OUT.png", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        data = load(argv[0])
        out_dir = os.path.dirname(os.path.abspath(argv[1]))
        if not os.path.isdir(out_dir):
            raise BadInput(f"{out_dir}: no such directory")
    except BadInput as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        import plotkit  # noqa: F401  (imports matplotlib and numpy)
    except ImportError:
        return EXIT_NO_MATPLOTLIB
    plot(data, argv[1])
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
