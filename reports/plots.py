"""PNG plots of one run: stage latency, end-to-end CDF, throughput, CPU per program, governor timeline.

make_all() draws every plot the data supports and returns [(filename, caption), ...].
"""
from plotkit import (BLUE, BUDGET_STYLE, FIGSIZE, GREEN, GREY, ORANGE, PERCENTILE_COLORS, PURPLE, SKY,
                     dur_label, legend_below, log_axis, new_figure, np, numbers, pct_label, plt, positive,
                     rate_label, save)
import plots_capacity
from model import PERCENTILES, STAGE_LABELS, STAGES, budget_of, is_num, section


def latency_stages(lat, out_dir):
    order = [s for s in STAGES if isinstance(lat.get(s), dict)]
    order += [s for s in lat if s not in STAGES and isinstance(lat[s], dict)]
    if not order:
        return None
    fig, ax = new_figure()
    x = np.arange(len(order))
    n = len(PERCENTILES)
    width = 0.8 / n
    seen = []
    for i, (key, label) in enumerate(PERCENTILES):
        vals = positive([lat[s].get(key) for s in order])
        seen.append(vals)
        ax.bar(x + (i - (n - 1) / 2) * width, vals, width, label=label,
               color=PERCENTILE_COLORS[i], edgecolor="white", linewidth=0.5)
    maxes = positive([lat[s].get("max") for s in order])
    ax.hlines(maxes, x - 0.42, x + 0.42, colors="black", linestyles=(0, (2, 1.5)), linewidth=1.2,
              label="max")
    allv = np.concatenate(seen + [maxes])
    allv = allv[np.isfinite(allv)]
    if allv.size == 0:
        plt.close(fig)
        return None
    ax.set_yscale("log")
    lo, hi = allv.min(), allv.max()
    ax.set_ylim(10 ** np.floor(np.log10(lo)), 10 ** np.ceil(np.log10(hi * 1.05)))
    log_axis(ax.yaxis, lo, hi, dur_label)
    for xi, stage_vals in zip(x, np.array(seen).T):
        if not np.isfinite(stage_vals).any():
            ax.text(xi, ax.get_ylim()[0] * 1.6, "no data", ha="center", va="bottom", color=GREY,
                    rotation=90, fontsize=9)
    ax.set_xticks(x, [STAGE_LABELS.get(s, s).replace(" → ", "\n→ ") for s in order])
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("latency per event (ns / µs / ms, log scale)")
    ax.set_title("Per-stage latency percentiles")
    ax.legend(ncol=5, loc="upper left")
    ax.set_ylim(top=ax.get_ylim()[1] * 8)  # headroom for the legend
    return save(fig, out_dir, "latency_stages.png")


def latency_cdf(e2e, out_dir):
    cdf = e2e.get("cdf") if isinstance(e2e, dict) else None
    pts = [(p[0], p[1]) for p in cdf or () if isinstance(p, (list, tuple)) and len(p) == 2
           and is_num(p[0]) and is_num(p[1]) and p[0] > 0]
    if len(pts) < 2:
        return None
    pts.sort()
    xs = np.array([p[0] for p in pts], dtype=float)
    ys = np.array([p[1] for p in pts], dtype=float)
    if ys.max() > 1.5:  # tolerate percentages instead of fractions
        ys = ys / 100.0
    fig, ax = new_figure()
    ax.plot(xs, ys * 100, color=BLUE, linewidth=2, drawstyle="steps-post", label="end-to-end CDF")
    for key, label, color in (("p50", "p50", GREEN), ("p99", "p99", ORANGE), ("p999", "p99.9", "#b2182b")):
        v = e2e.get(key)
        if is_num(v) and v > 0:
            ax.axvline(v, color=color, linestyle="--", linewidth=1.2, label=f"{label} = {dur_label(v)}")
    ax.set_xscale("log")
    log_axis(ax.xaxis, xs.min(), xs.max(), dur_label)
    ax.set_ylim(0, 101)
    ax.set_ylabel("events at or below latency (%)")
    ax.set_xlabel("end-to-end latency (ns / µs / ms, log scale)")
    count = e2e.get("count")
    ax.set_title("End-to-end latency CDF" + (f" ({count:,} events)" if is_num(count) else ""))
    ax.legend(loc="lower right")
    return save(fig, out_dir, "latency_cdf.png")


def _ci_err(baseline, value, ci):
    """Error bar (below, above) on a throughput from a slowdown-% CI against baseline."""
    if not (is_num(baseline) and isinstance(ci, list) and len(ci) == 2 and all(map(is_num, ci))):
        return None
    lo_ops, hi_ops = sorted((baseline * (1 - ci[1] / 100), baseline * (1 - ci[0] / 100)))
    return max(value - lo_ops, 0.0), max(hi_ops - value, 0.0)


# phase -> (bar label, summary.overhead key prefix, colour); in order of increasing tracer work
THROUGHPUT_PHASES = (("baseline", "baseline\n(untraced)", "baseline", GREY),
                     ("floor", "hook floor\n(empty program)", "floor", ORANGE),
                     ("aggregate", "aggregate\n(in-kernel counts)", "aggregate", GREEN),
                     ("bare", "bare consumer\n(counting loop)", "bare", PURPLE),
                     ("traced", "traced\n(full pipeline)", "traced", BLUE))


def throughput_bars(ov):
    """[(label, ops/s, ci95, slowdown %, colour, phase)] for the phases summary.overhead has."""
    bars = []
    for phase, label, prefix, color in THROUGHPUT_PHASES:
        ci = ov.get("ci95") if phase == "traced" else ov.get(f"{prefix}_ci95")
        slow = ov.get("slowdown_pct") if phase == "traced" else ov.get(f"{prefix}_slowdown_pct")
        if phase == "baseline":
            ci = slow = None
        bars.append((label, ov.get(f"{prefix}_ops_per_sec"), ci, slow, color, phase))
    return [b for b in bars if is_num(b[1])]


def throughput_caption(ov):
    names = {"baseline": "untraced", "floor": "hook floor", "aggregate": "aggregate",
             "bare": "bare consumer", "traced": "traced"}
    return ("Workload throughput " + " vs ".join(names[b[5]] for b in throughput_bars(ov))
            + " (error bars: 95% CI)")


def throughput(results, out_dir):
    ov = section(results["summary"], "overhead") or {}
    base = ov.get("baseline_ops_per_sec")
    bars = throughput_bars(ov)
    if not bars:
        return None
    fig, ax = new_figure(figsize=(9.5, 4.8) if len(bars) > 3 else FIGSIZE)
    x = np.arange(len(bars))
    vals = [b[1] for b in bars]
    ax.bar(x, vals, 0.55, color=[b[4] for b in bars], alpha=0.85)
    runs = section(results, "runs", list) or []
    err_drawn = dots = False
    tops = []
    for i, (_, v, ci, slow, _, phase) in enumerate(bars):
        err = _ci_err(base, v, ci)
        if err:
            ax.errorbar(i, v, yerr=[[err[0]], [err[1]]], color="black", capsize=9, linewidth=1.8,
                        zorder=4, label=None if err_drawn else "95% CI (from slowdown CI)")
            err_drawn = True
        ops = [section(r, "workload").get("ops_per_sec") for r in runs
               if r.get("phase") == phase and section(r, "workload")]
        ops = [o for o in ops if is_num(o)]
        if ops:
            half = (len(ops) + 1) // 2  # dots left and right of the error bar, never on it
            offs = np.concatenate([np.linspace(-0.22, -0.09, half), np.linspace(0.09, 0.22, len(ops) - half)])
            ax.scatter(i + offs, ops, s=18, color="black", alpha=0.6, zorder=3,
                       label=None if dots else "individual repetitions")
            dots = True
        top = max([v + (err[1] if err else 0)] + ops)
        tops.append(top)
        text = f"{rate_label(v)} ops/s"
        if is_num(slow):
            text += f"\n−{slow:.1f}% vs baseline" if slow >= 0 else f"\n+{-slow:.1f}% vs baseline"
        ax.annotate(text, (i, top), xytext=(0, 5), textcoords="offset points", ha="center",
                    va="bottom", fontsize=9)
    ax.set_xticks(x, [b[0] for b in bars])
    pad = max(0.0, (3 - len(bars)) / 2)  # keep bars bar-shaped when only one or two are known
    ax.set_xlim(-0.5 - pad, len(bars) - 0.5 + pad)
    ax.grid(axis="x", visible=False)
    ax.set_ylim(0, max(tops) * 1.25)
    ax.yaxis.set_major_formatter(lambda v, _: rate_label(v))
    ax.set_ylabel("workload throughput (ops/s)")
    wl = results["scenario"].get("workload")
    ax.set_title("Workload throughput: " + " vs ".join(b[0].split("\n")[0] for b in bars)
                 + (f" ({wl})" if wl else ""))
    if err_drawn or dots:
        ax.legend(loc="upper right")
    return save(fig, out_dir, "throughput.png")


def program_cpu(results, out_dir):
    """Stacked bars per program: kernel (BPF) + user ns per event, record size underneath."""
    progs = section(results["summary"], "programs") or {}
    names = list(progs)
    if not names:
        return None
    cpus = [section(progs[n], "cpu") or {} for n in names]
    kern = np.nan_to_num(numbers([c.get("kernel_ns_per_event") for c in cpus]), nan=0.0)
    user = np.nan_to_num(numbers([c.get("user_ns_per_event") for c in cpus]), nan=0.0)
    if not (kern + user).any():
        return None
    fig, ax = new_figure(figsize=(min(12.0, max(6.5, 1.6 * len(names) + 3)), 4.5))
    x = np.arange(len(names))
    ax.bar(x, kern, 0.55, color=ORANGE, label="kernel (BPF) ns/event")
    ax.bar(x, user, 0.55, bottom=kern, color=SKY, label="user (consumer + workers) ns/event")
    top = float((kern + user).max())
    for xi, k, u in zip(x, kern, user):
        for base, v in ((0.0, k), (k, u)):
            if v > top * 0.07:
                ax.text(xi, base + v / 2, f"{v:,.0f}", ha="center", va="center", fontsize=8.5)
        ax.annotate(f"{k + u:,.0f} ns/event", (xi, k + u), xytext=(0, 4), textcoords="offset points",
                    ha="center", va="bottom", fontsize=9, fontweight="bold")
    labels = []
    for n in names:
        rec = section(progs[n], "record_bytes") or {}
        mean = rec.get("mean")
        labels.append(n + (f"\n{mean:,.0f} B/record" if is_num(mean) else ""))
    ax.set_xticks(x, labels)
    pad = max(0.0, (3 - len(names)) / 2)
    ax.set_xlim(-0.5 - pad, len(names) - 0.5 + pad)
    ax.grid(axis="x", visible=False)
    ax.set_ylim(0, top * 1.25)
    ax.yaxis.set_major_formatter(lambda v, _: dur_label(v) if v else "0")
    ax.set_ylabel("tracer CPU per event (ns)")
    ax.set_title("CPU per event by program")
    ax.legend(loc="upper right")
    return save(fig, out_dir, "program_cpu.png")


def governor(results, out_dir):
    gov = section(results["summary"], "governor") or {}
    windows = sorted((w for w in section(gov, "windows", list) or () if is_num(w.get("t_ms"))),
                     key=lambda w: w["t_ms"])
    if not windows:
        return None
    budget = gov.get("budget_pct") if is_num(gov.get("budget_pct")) else budget_of(results)
    t = numbers([w["t_ms"] for w in windows]) / 1000.0
    over = numbers([w.get("overhead_pct") for w in windows])
    fig, ax = new_figure()
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.5
    detached_label = "detached"
    for ti, w in zip(t, windows):
        if w.get("attached") is False:
            ax.axvspan(ti - step, ti, color=GREY, alpha=0.15, linewidth=0, label=detached_label)
            detached_label = None
    ax.plot(t, over, marker="o", markersize=4, color=BLUE, linewidth=1.8, label="overhead per window")
    ax.axhline(budget, **BUDGET_STYLE, label=f"budget {pct_label(budget)}")
    drops = numbers([w.get("drop_ratio") for w in windows])
    if np.nanmax(np.nan_to_num(drops, nan=0.0)) > 0:
        ax.plot(t, drops * 100, color=ORANGE, linestyle=":", marker=".", label="drop ratio (% of events)")
    top = max(np.nanmax(np.nan_to_num(over, nan=0.0)), budget) * 1.45
    ax.set_ylim(0, top)
    ax.set_xlim(0 if t.min() - step <= 0 else t.min() - step, t.max() + step * 0.5)
    for i, s in enumerate(section(gov, "steps", list) or ()):
        if not is_num(s.get("t_ms")):
            continue
        ts = s["t_ms"] / 1000.0
        ax.axvline(ts, color="#444444", linestyle="-.", linewidth=1.1,
                   label="governor step" if i == 0 else None)
        ax.annotate(f"{s.get('action') or '?'} @ {ts:g} s", (ts, top * (0.97 - 0.08 * (i % 2))),
                    xytext=(4, 0), textcoords="offset points", va="top", ha="left", fontsize=8.5,
                    color="#222222", bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))
    ax.set_xlabel("time since start (s)")
    ax.set_ylabel("tracer overhead (% of machine)")
    ax.set_title("Overhead governor timeline")
    handles, labels = ax.get_legend_handles_labels()
    samp = numbers([w.get("sample_every") for w in windows])
    if np.isfinite(samp).any():
        ax2 = ax.twinx()
        ax2.step(t, samp, where="pre", color=GREEN, linewidth=1.6, label="in-kernel sampling (1 in N)")
        ax2.set_ylim(0, np.nanmax(samp) * 1.6 + 0.5)
        ax2.yaxis.get_major_locator().set_params(integer=True)
        ax2.set_ylabel("sampling: keep 1 in N events", color=GREEN)
        ax2.tick_params(axis="y", colors=GREEN)
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        ax2.spines["right"].set_color(GREEN)
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    legend_below(fig, handles, labels, 3)
    return save(fig, out_dir, "governor.png")


def make_all(results, matrix, out_dir):
    summary = results["summary"]
    lat = section(summary, "latency_ns") or {}
    out = []

    def add(name, caption):
        if name:
            out.append((name, caption))

    add(latency_stages(lat, out_dir) if lat else None,
        "Per-stage latency percentiles (p50/p90/p99/p99.9 bars, max dashed), log scale")
    add(latency_cdf(lat.get("end_to_end"), out_dir),
        "End-to-end latency CDF with p50/p99/p99.9 marked")
    add(throughput(results, out_dir), throughput_caption(section(summary, "overhead") or {}))
    add(program_cpu(results, out_dir),
        "CPU per event by program: kernel (BPF) and user ns/event, stacked; mean record size below")
    add(governor(results, out_dir),
        "Governor: overhead per window against the budget, degrade steps and sampling rate")
    out += plots_capacity.make_all(results, matrix, out_dir)
    return out
