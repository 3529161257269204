"""PNG plots across rates, record sizes, configurations and kernels: sweep, comparisons, kernel matrix."""
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from model import budget_of, is_num, section
from plotkit import (BLUE, BUDGET_STYLE, GREEN, GREY, ORANGE, PURPLE, RED, dur_label, legend_below, log_axis,
                     new_figure, note_empty, np, numbers, pct_label, plt, positive, rate_label, save)

TRANSPORT_COLORS = {"ringbuf": BLUE, "perfbuf": ORANGE}


def _sweep_points(sweep):
    pts = []
    for p in section(sweep, "points", list) or ():
        rate = p.get("achieved_rate") if is_num(p.get("achieved_rate")) else p.get("target_rate")
        if is_num(rate) and rate > 0:
            pts.append((rate, p))
    pts.sort(key=lambda rp: rp[0])
    return np.array([r for r, _ in pts], dtype=float), [p for _, p in pts]


def _rate_axis(ax, x):
    ax.set_xscale("log")
    log_axis(ax.xaxis, x.min(), x.max(), rate_label)
    ax.set_xlabel("event rate (events/s, log scale)")


def _vline(ax, x, text, color, y_frac=0.5):
    """Vertical marker with its label on whichever side of the line has more room."""
    ax.axvline(x, color=color, linestyle=":", linewidth=1.6)
    lo, hi = ax.get_xlim()
    frac = (np.log10(x) - np.log10(lo)) / (np.log10(hi) - np.log10(lo)) if ax.get_xscale() == "log" \
        else (x - lo) / (hi - lo)
    right = frac > 0.55
    ax.annotate(text, (x, y_frac), xycoords=ax.get_xaxis_transform(), xytext=(-5 if right else 5, 0),
                textcoords="offset points", color=color, fontsize=9, ha="right" if right else "left",
                va="center", bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))


def sweep_cpu(sweep, budget, out_dir):
    x, pts = _sweep_points(sweep)
    if len(pts) < 1:
        return None
    fig, ax = new_figure()
    series = (("tracer_cpu_pct", "total", BLUE, "o"), ("bpf_cpu_pct", "kernel (BPF)", ORANGE, "^"),
              ("user_cpu_pct", "user (consumer + workers)", GREEN, "v"))
    model = section(sweep, "model") or {}
    plan = section(sweep, "plan")
    knee = sweep.get("max_rate_within_budget")
    span = [v for v in (x.min(), x.max(), knee, plan and plan.get("rate")) if is_num(v) and v > 0]
    lo_x, hi_x = min(span), max(span)
    if hi_x < lo_x * 10:  # too few points to show a trend: draw the model over at least a decade
        lo_x, hi_x = lo_x / 3.0, hi_x * 3.0
    xs = np.logspace(np.log10(lo_x), np.log10(hi_x), 200)
    ys_all = []
    for key, label, color, marker in series:
        y = positive([p.get(key) for p in pts])
        ys_all.append(y)
        ax.plot(x, y, marker=marker, linestyle="none", color=color, markersize=7,
                label=f"{label}, measured")
        m = model.get({"tracer_cpu_pct": "total", "bpf_cpu_pct": "kernel",
                       "user_cpu_pct": "user"}[key])
        if isinstance(m, dict) and is_num(m.get("a")) and is_num(m.get("b")):
            fit = m["a"] + m["b"] * xs
            fit[fit <= 0] = np.nan
            r2 = f", r²={m['r2']:.3f}" if is_num(m.get("r2")) else ""
            ax.plot(xs, fit, color=color, linewidth=1.3, alpha=0.75, label=f"{label}, model{r2}")
            ys_all.append(fit[[0, -1]])
    ax.axhline(budget, **BUDGET_STYLE, label=f"budget {pct_label(budget)}")
    if is_num(knee) and knee > 0:
        ax.axvline(knee, color=RED, linestyle=":", linewidth=1.3)
        ax.plot([knee], [budget], marker="D", color=RED, markersize=8, linestyle="none")
        ax.annotate(f"knee: {rate_label(knee)} events/s", (knee, budget), xytext=(-10, 10),
                    textcoords="offset points", color=RED, fontsize=9, fontweight="bold", ha="right",
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))
    if plan and is_num(plan.get("rate")) and is_num(plan.get("predicted_pct")) and plan["predicted_pct"] > 0:
        ax.plot([plan["rate"]], [plan["predicted_pct"]], marker="*", markersize=14, color=PURPLE,
                linestyle="none",
                label=f"plan: {rate_label(plan['rate'])}/s → {pct_label(plan['predicted_pct'])}")
    vals = np.concatenate(ys_all + [np.array([budget], dtype=float)])
    vals = vals[np.isfinite(vals)]
    _rate_axis(ax, np.array([lo_x, hi_x]))
    ax.set_yscale("log")
    lo, hi = vals.min(), vals.max()
    ax.set_ylim(10 ** np.floor(np.log10(lo)), 10 ** np.ceil(np.log10(hi)) * 1.5)
    log_axis(ax.yaxis, lo, hi, pct_label)
    ax.set_ylabel("tracer CPU (% of machine, log scale)")
    ax.set_title("Tracer CPU cost vs event rate" + (f" ({sweep['workload']})" if sweep.get("workload") else ""))
    legend_below(fig, *ax.get_legend_handles_labels(), ncol=2)
    return save(fig, out_dir, "sweep_cpu.png")


def sweep_drops(sweep, out_dir):
    x, pts = _sweep_points(sweep)
    if not pts:
        return None
    dropped = numbers([p.get("dropped") for p in pts])
    expected = numbers([p.get("expected") for p in pts])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(expected > 0, dropped / expected * 100, np.nan)
    if not np.isfinite(share).any():
        return None
    fig, ax = new_figure()
    ax.plot(x, share, marker="o", color=RED, linewidth=1.8, label="dropped (% of expected)")
    for xi, si, di in zip(x, share, dropped):
        if np.isfinite(si) and si > 0:
            ax.annotate(f"{int(di):,} dropped", (xi, si), xytext=(-8, 6), textcoords="offset points",
                        ha="right", fontsize=8.5)
    top = np.nanmax(share)
    ax.set_ylim(0, top * 1.45 if top > 0 else 1.0)
    _rate_axis(ax, x)
    nd = sweep.get("max_rate_no_drops")
    if is_num(nd) and nd > 0:
        _vline(ax, nd, f"no drops up to {rate_label(nd)} events/s", GREEN, 0.93)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}%")
    ax.set_ylabel("dropped events (% of expected)")
    ax.set_title("Drops vs event rate" + ("" if top > 0 else ": none at any rate"))
    ax.legend(loc="upper left")
    return save(fig, out_dir, "sweep_drops.png")


def sweep_slowdown(sweep, out_dir):
    x, pts = _sweep_points(sweep)
    y = numbers([p.get("slowdown_pct") for p in pts])
    if not np.isfinite(y).any():
        return None
    fig, ax = new_figure()
    ok = np.isfinite(y)
    ax.plot(x[ok], y[ok], marker="o", color=PURPLE, linewidth=1.8, label="workload slowdown, traced vs untraced")
    _rate_axis(ax, x)
    knee = sweep.get("max_rate_within_budget")
    if is_num(knee) and knee > 0:
        _vline(ax, knee, f"CPU budget knee {rate_label(knee)} events/s", RED, 0.6)
    ax.axhline(0, color=GREY, linewidth=0.8)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}%")
    ax.set_ylabel("workload slowdown (%)")
    ax.set_title("Workload slowdown vs event rate")
    ax.legend(loc="upper left")
    return save(fig, out_dir, "sweep_slowdown.png")


def sweep_latency(sweep, out_dir):
    x, pts = _sweep_points(sweep)
    p50 = positive([p.get("e2e_p50_ns") for p in pts])
    p99 = positive([p.get("e2e_p99_ns") for p in pts])
    vals = np.concatenate([p50, p99])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return None
    fig, ax = new_figure()
    ax.plot(x, p50, marker="o", color=BLUE, label="end-to-end p50")
    ax.plot(x, p99, marker="s", color=ORANGE, label="end-to-end p99")
    _rate_axis(ax, x)
    ax.set_yscale("log")
    log_axis(ax.yaxis, vals.min(), vals.max(), dur_label)
    ax.set_ylabel("latency (ns / µs / ms, log scale)")
    ax.set_title("End-to-end latency vs event rate")
    ax.legend(loc="best")
    return save(fig, out_dir, "sweep_latency.png")


def _payload_points(sweep):
    pts = [p for p in section(sweep, "payload_points", list) or ()
           if is_num(p.get("record_bytes")) and p["record_bytes"] > 0]
    pts.sort(key=lambda p: p["record_bytes"])
    return np.array([p["record_bytes"] for p in pts], dtype=float), pts


def sweep_record_size(sweep, out_dir):
    """Top: achieved event rate vs record size; bottom: kernel and user ns per event vs record size."""
    x, pts = _payload_points(sweep)
    rate = numbers([p.get("achieved_rate") for p in pts])
    kern = numbers([p.get("kernel_ns_per_event") for p in pts])
    user = numbers([p.get("user_ns_per_event") for p in pts])
    if not pts or not (np.isfinite(rate).any() or np.isfinite(kern).any() or np.isfinite(user).any()):
        return None
    fig, (top, bottom) = new_figure(2, 1, figsize=(8, 6.4), sharex=True)
    ok = np.isfinite(rate)
    top.plot(x[ok], rate[ok], marker="o", color=BLUE, linewidth=1.8, label="achieved event rate")
    for xi, ri, p in zip(x, rate, pts):
        if np.isfinite(ri):
            text = f"{rate_label(ri)}/s"
            if is_num(p.get("payload_bytes")):
                text += f"\npayload {p['payload_bytes']:,} B"
            top.annotate(text, (xi, ri), xytext=(0, 6), textcoords="offset points", ha="center",
                         va="bottom", fontsize=8.5)
    if ok.any():
        top.set_ylim(0, np.nanmax(rate) * 1.35)
    else:
        note_empty(top, "achieved rate not measured")
    top.yaxis.set_major_formatter(lambda v, _: rate_label(v) if v else "0")
    top.set_ylabel("achieved rate (events/s)")
    top.set_title("Throughput vs record size" + (f" ({sweep['workload']})" if sweep.get("workload") else ""))
    top.legend(loc="lower left")
    for y, label, color, marker in ((kern, "kernel (BPF) ns/event", ORANGE, "^"),
                                    (user, "user (consumer + workers) ns/event", GREEN, "v")):
        ok = np.isfinite(y)
        if ok.any():
            bottom.plot(x[ok], y[ok], marker=marker, color=color, linewidth=1.8, label=label)
    tot = kern + user
    if np.isfinite(tot).any():
        ok = np.isfinite(tot)
        bottom.plot(x[ok], tot[ok], marker="o", color=GREY, linestyle="--", linewidth=1.2,
                    label="total ns/event")
        bottom.set_ylim(0, np.nanmax(tot) * 1.2 if np.nanmax(tot) > 0 else 1)
    else:
        note_empty(bottom, "CPU per event not measured")
    bottom.set_ylabel("CPU per event (ns)")
    bottom.set_xlabel("record size (bytes per event, mean measured)")
    span = (x.max() - x.min()) or x.max()
    bottom.set_xlim(max(0.0, x.min() - 0.12 * span), x.max() + 0.12 * span)
    bottom.set_xticks(x, [f"{v:,.0f}" for v in x])
    rb = sweep.get("record_bytes")
    if is_num(rb) and rb > 0:
        for ax in (top, bottom):
            ax.axvline(rb, color=PURPLE, linestyle=":", linewidth=1.3)
        bottom.annotate(f"mean over sweep {rb:,.0f} B", (rb, 0.04), xycoords=bottom.get_xaxis_transform(),
                        xytext=(4, 0), textcoords="offset points", color=PURPLE, fontsize=8.5)
    bottom.legend(loc="upper left", fontsize=8.5)
    return save(fig, out_dir, "sweep_record_size.png")


def comparison(results, out_dir):
    comps = section(results, "comparisons", list) or []
    if not comps:
        return None
    labels, colors, data = [], [], {k: [] for k in ("ops", "slow", "p99", "cpu", "npe")}
    for c in comps:
        s = c["summary"]
        wl, ov, cpu = (section(s, k) or {} for k in ("workload", "overhead", "cpu"))
        e2e = (section(s, "latency_ns") or {}).get("end_to_end") or {}
        labels.append(str(c.get("label") or f"{c.get('transport')}/{c.get('wakeup')}").replace("/", "\n", 1))
        colors.append(TRANSPORT_COLORS.get(c.get("transport"), GREY))
        data["ops"].append(wl.get("ops_per_sec", ov.get("traced_ops_per_sec")))
        data["slow"].append(ov.get("slowdown_pct"))
        p99 = e2e.get("p99")
        data["p99"].append(p99 / 1000.0 if is_num(p99) else None)
        data["cpu"].append(cpu.get("pct_of_machine"))
        data["npe"].append(cpu.get("ns_per_event"))
    pct1 = lambda v: f"{v:.1f}%"  # noqa: E731 - bar labels: always one decimal
    us = lambda v: dur_label(v * 1000)  # noqa: E731 - values are µs
    panels = (("ops", "traced throughput (ops/s)", rate_label, rate_label),
              ("slow", "workload slowdown (%)", pct1, pct_label),
              ("p99", "end-to-end p99 latency (µs)", us, us),
              ("cpu", "tracer CPU (% of machine)", pct1, pct_label))
    fig, axes = new_figure(2, 2, figsize=(9, 6.4))
    x = np.arange(len(labels))
    budget = budget_of(results)
    for ax, (key, title, fmt, tick_fmt) in zip(axes.flat, panels):
        y = numbers(data[key])
        ax.set_title(title, fontsize=10.5)
        ax.grid(axis="x", visible=False)
        ax.set_xticks(x, labels, fontsize=8.5)
        if not np.isfinite(y).any():
            note_empty(ax, "not measured")
            ax.set_yticks([])
            continue
        ax.bar(x, np.nan_to_num(y, nan=0.0), 0.6, color=colors, alpha=0.85)
        for xi, yi, npe in zip(x, y, data["npe"]):
            text = "n/a" if not np.isfinite(yi) else fmt(yi)
            if key == "cpu" and is_num(npe):
                text += f"\n{npe:.0f} ns/event"
            ax.annotate(text, (xi, 0 if not np.isfinite(yi) else yi),
                        xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=8)
        top = np.nanmax(y)
        if key == "cpu":
            ax.axhline(budget, **BUDGET_STYLE, label=f"budget {pct_label(budget)}")
            top = max(top, budget)
            ax.legend(loc="upper right", fontsize=8)
        ax.set_ylim(min(0, np.nanmin(y) * 1.2), top * (1.32 if key == "cpu" else 1.22) if top > 0 else 1)
        ax.yaxis.set_major_formatter(lambda v, _, f=tick_fmt: f(v) if v else "0")
    seen = {}
    for c in comps:
        t = c.get("transport") or "?"
        seen.setdefault(t, TRANSPORT_COLORS.get(t, GREY))
    legend_below(fig, [Patch(color=col) for col in seen.values()], [f"transport: {t}" for t in seen])
    fig.suptitle("Transport / wake-up comparison (x axis: transport / wake-up mode)", fontweight="bold")
    return save(fig, out_dir, "comparison.png")


_MATRIX_COLUMNS = (("boots", "boots"), ("btf", "BTF"), ("ringbuf", "ringbuf"), ("perfbuf", "perfbuf"),
                   ("conservation.ringbuf", "conserved\nringbuf"),
                   ("conservation.perfbuf", "conserved\nperfbuf"), ("status", "status"))
_CATEGORY = ((0, "#a6dba0", "pass / yes"), (1, "#f4a582", "fail / no"),
             (2, "#fee08b", "unsupported"), (3, "#e0e0e0", "not run"))


def _category(v):
    if v is True or v in ("pass", "yes", "ok"):
        return 0, "yes" if v is True else str(v)
    if v is False or v in ("fail", "no"):
        return 1, "no" if v is False else str(v)
    if v in ("unsupported", "skip", "skipped"):
        return 2, "unsup." if v == "unsupported" else str(v)
    return 3, "—" if v is None else str(v)


def kernel_matrix(matrix, out_dir):
    kernels = (matrix or {}).get("kernels") or []
    if not kernels:
        return None
    grid = np.zeros((len(kernels), len(_MATRIX_COLUMNS)))
    fig, ax = new_figure(figsize=(8, 1.9 + 0.42 * len(kernels)))
    for i, k in enumerate(kernels):
        for j, (key, _) in enumerate(_MATRIX_COLUMNS):
            if "." in key:
                a, b = key.split(".")
                v = k.get(a).get(b) if isinstance(k.get(a), dict) else None
            else:
                v = k.get(key)
            cat, text = _category(v)
            grid[i, j] = cat
            ax.text(j, i, text, ha="center", va="center", fontsize=9,
                    fontweight="bold" if key == "status" else "normal")
    ax.imshow(grid, cmap=ListedColormap([c for _, c, _ in _CATEGORY]), vmin=-0.5, vmax=3.5,
              aspect="auto")
    ax.set_xticks(np.arange(len(_MATRIX_COLUMNS)), [label for _, label in _MATRIX_COLUMNS])
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(len(kernels)), [str(k.get("name") or k.get("version") or "?") for k in kernels])
    ax.set_xticks(np.arange(-0.5, len(_MATRIX_COLUMNS)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(kernels)), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="both", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("Kernel compatibility matrix (kernels × checks)")
    legend_below(fig, [Patch(color=c) for _, c, _ in _CATEGORY], [t for _, _, t in _CATEGORY])
    return save(fig, out_dir, "kernel_matrix.png")


def make_all(results, matrix, out_dir):
    out = []
    sweep = section(results, "sweep")
    if sweep:
        budget = sweep["budget_pct"] if is_num(sweep.get("budget_pct")) else budget_of(results)
        for name, caption in ((sweep_cpu(sweep, budget, out_dir),
                               "Tracer CPU vs event rate: kernel and user parts, fitted model, budget and knee"),
                              (sweep_drops(sweep, out_dir), "Dropped events vs event rate"),
                              (sweep_slowdown(sweep, out_dir), "Workload slowdown vs event rate"),
                              (sweep_latency(sweep, out_dir), "End-to-end p50/p99 latency vs event rate"),
                              (sweep_record_size(sweep, out_dir),
                               "Throughput vs record size: achieved rate, and kernel/user ns per event")):
            if name:
                out.append((name, caption))
    name = comparison(results, out_dir)
    if name:
        out.append((name, "Transport / wake-up comparison: throughput, slowdown, p99 latency, CPU"))
    name = kernel_matrix(matrix, out_dir)
    if name:
        out.append((name, "Kernel matrix: which checks pass on which kernel"))
    plt.close("all")
    return out
