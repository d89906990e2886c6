"""The report's plots: matplotlib figures (Agg, no pyplot state) returned as inline SVG text.

Pure functions of DataFrames. Text stays text in the SVG (it takes the page's font and can be
searched and copied); very large plots rasterise their bars so the file stays small.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import pickle
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

RESPONSE_COLOURS = {
    "CR": "#1a7f4b",
    "PR": "#5cb85c",
    "SD": "#f0ad4e",
    "NON-CR/NON-PD": "#e7c16b",
    "PD": "#d9534f",
    "NE": "#9aa5b1",
    "MISSING": "#c9d1d9",
}
INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
RASTERISE_ABOVE = 400  # bars or patients; above this a vector plot gets heavy in a browser
# A waterfall panel is a few hundred pixels wide: beyond this many bars per arm, evenly spaced ranks
# of the sorted bars draw the same picture (at 50,000 bars matplotlib alone took 4 s).
WATERFALL_MAX_BARS = 2000


@dataclass(frozen=True)
class Svg:
    """An inline SVG plot and its nominal size in CSS pixels."""

    markup: str
    width: int
    height: int


_DRAWN: dict[bytes, Svg] = {}
_DRAWN_KEPT = 64


def drawn_once(plot: Callable[..., Svg]) -> Callable[..., Svg]:
    """The plot drawn once per process for the same arguments: the report and the TLF files show
    the same figures, and drawing them (matplotlib) is most of either's time. The arguments are
    compared by their pickled bytes, so only equal data can share a drawing; the SVG is the same
    either way (`svg.hashsalt` makes it a function of the data)."""

    @functools.wraps(plot)
    def draw(*args: Any, **kwargs: Any) -> Svg:
        try:
            key = hashlib.sha256(pickle.dumps((plot.__qualname__, args, kwargs), protocol=5)).digest()
        except Exception:  # noqa: BLE001 - arguments that cannot be pickled are drawn every time
            return plot(*args, **kwargs)
        if key not in _DRAWN:
            if len(_DRAWN) >= _DRAWN_KEPT:
                _DRAWN.pop(next(iter(_DRAWN)))
            _DRAWN[key] = plot(*args, **kwargs)
        return _DRAWN[key]

    return draw


def _figure(width_in: float, height_in: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "lensirt-report",  # stable element ids: same data, same file
            "font.family": "sans-serif",
            "font.size": 9.5,
            "axes.edgecolor": "#9aa5b1",
            "axes.labelcolor": INK,
            "axes.titlesize": 10.5,
            "axes.titleweight": "bold",
            "axes.titlecolor": INK,
            "xtick.color": MUTED,
            "ytick.color": MUTED,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
        }
    )
    return Figure(figsize=(width_in, height_in), dpi=96)


def to_svg(fig) -> Svg:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, dpi=144)  # dpi: rasterised parts only
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and doctype: it is inlined in HTML
    width = round(fig.get_figwidth() * 96)
    height = round(fig.get_figheight() * 96)
    # matplotlib sizes in pt; give the browser the same box in px, scalable through viewBox.
    text = re.sub(r'width="[0-9.]+pt" height="[0-9.]+pt"', f'width="{width}" height="{height}"', text, count=1)
    return Svg(text, width, height)


def _months_ticks(max_months: float) -> np.ndarray:
    """Ticks from 0 to the first tick at or beyond `max_months`, so the axis covers every time."""
    step = 3 if max_months <= 24 else 6 if max_months <= 60 else 12
    last = max(math.ceil(max_months / step - 1e-9), 1) * step  # 1e-9: a time exactly on a tick ends there
    return np.arange(0, last + step / 2, step)


# --- waterfall -------------------------------------------------------------------------------------


@drawn_once
def waterfall(best: pd.DataFrame, arms: Sequence[str], arm_colours: dict[str, str]) -> Svg:
    """Best % change of the target sum per patient, one panel per arm, bars coloured by confirmed BOR.

    `best`: TRT01P, PCHG, CBOR.
    """
    from matplotlib.patches import Patch

    panels = [arm for arm in arms if (best.TRT01P == arm).any()]
    fig = _figure(11.5, 4.2)
    axes = fig.subplots(1, max(len(panels), 1), sharey=True, squeeze=False)[0]
    clipped = best.PCHG.clip(-100, 100)
    top = max(40.0, float(clipped.max()) + 10 if len(best) else 40.0)
    seen: dict[str, object] = {}
    for ax, arm in zip(axes, panels):
        rows = best.assign(PCHG=clipped).loc[best.TRT01P == arm].sort_values("PCHG", ascending=False, kind="stable")
        patients = len(rows)
        if patients > WATERFALL_MAX_BARS:
            rows = rows.iloc[np.unique(np.linspace(0, patients - 1, WATERFALL_MAX_BARS).round().astype(int))]
        x = np.arange(len(rows))
        colours = [RESPONSE_COLOURS.get(value, RESPONSE_COLOURS["NE"]) for value in rows.CBOR.fillna("MISSING")]
        if len(rows) > RASTERISE_ABOVE:
            # Thousands of Rectangle patches take seconds each; one rasterised line collection does not.
            panel_points = fig.get_figwidth() * 72 * 0.85 / len(panels)
            ax.vlines(
                x,
                0,
                rows.PCHG,
                colors=colours,
                linewidth=max(panel_points / len(rows), 0.05),
                rasterized=True,
                antialiased=False,
            )
        else:
            ax.bar(x, rows.PCHG, width=0.85, color=colours, linewidth=0)
        for value in rows.CBOR.fillna("MISSING").unique():
            seen.setdefault(value, Patch(color=RESPONSE_COLOURS.get(value, RESPONSE_COLOURS["NE"])))
        ax.axhline(20, color=RESPONSE_COLOURS["PD"], linestyle=(0, (4, 3)), linewidth=1)
        ax.axhline(-30, color=RESPONSE_COLOURS["CR"], linestyle=(0, (4, 3)), linewidth=1)
        ax.axhline(0, color=INK, linewidth=0.8)
        ax.set_xticks([])
        ax.set_xlim(-0.8, max(len(rows), 1) - 0.2)
        ax.set_ylim(-105, top)
        ax.spines["bottom"].set_visible(False)
        shown = "" if len(rows) == patients else f"; {len(rows):,} evenly spaced ranks drawn"
        ax.set_title(f"{arm} (n = {patients:,}{shown})", color=arm_colours.get(arm, INK), loc="left")
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
    axes[0].set_ylabel("Best change of target sum from baseline (%)")
    axes[-1].text(
        1.0,
        20,
        " +20 %",
        transform=axes[-1].get_yaxis_transform(),
        va="center",
        ha="left",
        color=RESPONSE_COLOURS["PD"],
        fontsize=8.5,
    )
    axes[-1].text(
        1.0,
        -30,
        " -30 %",
        transform=axes[-1].get_yaxis_transform(),
        va="center",
        ha="left",
        color=RESPONSE_COLOURS["CR"],
        fontsize=8.5,
    )
    order = [code for code in RESPONSE_COLOURS if code in seen]
    fig.legend(
        [seen[code] for code in order],
        order,
        loc="lower center",
        ncol=len(order),
        title="Confirmed best overall response",
        title_fontsize=9,
        bbox_to_anchor=(0.5, -0.01),
    )
    fig.subplots_adjust(left=0.07, right=0.95, top=0.92, bottom=0.16, wspace=0.06)
    return to_svg(fig)


# --- swimmer ---------------------------------------------------------------------------------------


@drawn_once
def swimmer(lanes: pd.DataFrame, events: pd.DataFrame, arm_colours: dict[str, str]) -> Svg:
    """One lane per patient: treatment bar, follow-up line, response, progression and death markers.

    `lanes`: SUBJID, TRT01P, TREATED_MONTHS, FOLLOWUP_MONTHS, ONGOING (bool), in plotting order.
    `events`: SUBJID, MONTHS, EVENT (CR, PR, PD, DEATH).
    """
    n = len(lanes)
    fig = _figure(11.5, max(3.0, 0.9 + 0.16 * n))
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    position = dict(zip(lanes.SUBJID, y))
    colours = [arm_colours.get(arm, MUTED) for arm in lanes.TRT01P]
    rasterise = n > RASTERISE_ABOVE
    ax.hlines(y, lanes.TREATED_MONTHS, lanes.FOLLOWUP_MONTHS, color="#aab4bf", linewidth=1.2, rasterized=rasterise)
    ax.barh(y, lanes.TREATED_MONTHS, height=0.62, color=colours, linewidth=0, rasterized=rasterise)
    ongoing = lanes[lanes.ONGOING.astype(bool)]
    ax.scatter(
        ongoing.TREATED_MONTHS + 0.25,
        [position[s] for s in ongoing.SUBJID],
        marker=">",
        s=26,
        color=INK,
        zorder=4,
        label="Treatment ongoing",
    )
    styles = {
        "CR": dict(marker="*", s=95, color=RESPONSE_COLOURS["CR"], edgecolors="white", linewidths=0.4, label="CR"),
        "PR": dict(marker="o", s=34, color=RESPONSE_COLOURS["PR"], edgecolors="white", linewidths=0.4, label="PR"),
        "PD": dict(
            marker="D", s=30, color=RESPONSE_COLOURS["PD"], edgecolors="white", linewidths=0.4, label="Progression (PD)"
        ),
        "DEATH": dict(marker="X", s=36, color=INK, edgecolors="white", linewidths=0.4, label="Death"),
    }
    for event, style in styles.items():
        rows = events[(events.EVENT == event) & events.SUBJID.isin(position)]
        if len(rows):
            ax.scatter(rows.MONTHS, rows.SUBJID.map(position), zorder=5, **style)
    ax.set_yticks(y)
    ax.set_yticklabels(lanes.SUBJID, fontsize=7 if n <= 90 else 5)
    ax.set_ylim(-0.8, n - 0.2)
    longest = float(
        np.nanmax(np.r_[lanes.FOLLOWUP_MONTHS.to_numpy(dtype=float), lanes.TREATED_MONTHS.to_numpy(dtype=float), 1.0])
    )
    ax.set_xticks(_months_ticks(longest))
    ax.set_xlim(0, longest * 1.03 + 0.5)
    ax.set_xlabel("Months from start of treatment")
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    arm_handles = [
        Patch(color=colour, label=f"{arm}: on treatment")
        for arm, colour in arm_colours.items()
        if arm in set(lanes.TRT01P)
    ]
    arm_handles.append(Patch(color="#aab4bf", label="Follow-up"))
    ax.legend(
        arm_handles + handles,
        [h.get_label() for h in arm_handles] + labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.9 / fig.get_figheight()),
        ncol=4,
        fontsize=8.5,
    )
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.2 / fig.get_figheight(), bottom=1.45 / fig.get_figheight())
    return to_svg(fig)


# --- Kaplan-Meier ----------------------------------------------------------------------------------


KM_ANNOTATION_ID = "km-annotation"


@drawn_once
def kaplan_meier(
    curves: pd.DataFrame,
    arms: Sequence[str],
    arm_colours: dict[str, str],
    title: str,
    annotation: str,
) -> Svg:
    """Step curves with 95 % bands and censoring ticks, and the numbers at risk underneath.

    `curves`: TRT01P, TIME_MONTHS, N_AT_RISK, CENSORED, SURVIVAL, LCL, UCL (reporting.km_curves).
    """
    return to_svg(kaplan_meier_figure(curves, arms, arm_colours, title, annotation))


def kaplan_meier_figure(
    curves: pd.DataFrame,
    arms: Sequence[str],
    arm_colours: dict[str, str],
    title: str,
    annotation: str,
):
    """The matplotlib figure behind `kaplan_meier` (tests measure where its parts are drawn).

    The x-axis runs to the first tick at or after the last time, so the tail and the last censoring
    marks show; the legend and the annotation (medians, HR, p) sit in a column right of the axes,
    where they cannot hide a curve or a band.
    """
    arms = [arm for arm in arms if (curves.TRT01P == arm).any()]
    fig = _figure(9.8, 4.6 + 0.22 * len(arms))
    grid = fig.add_gridspec(2, 1, height_ratios=[4.2, 0.45 + 0.22 * len(arms)], hspace=0.32)
    ax = fig.add_subplot(grid[0])
    table = fig.add_subplot(grid[1], sharex=ax)
    longest = float(curves.TIME_MONTHS.max()) if len(curves) else 1.0
    ticks = _months_ticks(longest)
    for index, arm in enumerate(arms):
        rows = curves[curves.TRT01P == arm].sort_values("TIME_MONTHS", kind="stable")
        colour = arm_colours.get(arm, MUTED)
        ax.step(rows.TIME_MONTHS, rows.SURVIVAL, where="post", color=colour, linewidth=1.8, label=arm)
        if rows.LCL.notna().any():
            ax.fill_between(
                rows.TIME_MONTHS,
                rows.LCL.astype(float),
                rows.UCL.astype(float),
                step="post",
                color=colour,
                alpha=0.12,
                linewidth=0,
            )
        censored = rows[rows.CENSORED.fillna(0) > 0]
        ax.scatter(censored.TIME_MONTHS, censored.SURVIVAL, marker="|", s=36, color=colour, linewidths=1.1, zorder=3)
        times = rows.TIME_MONTHS.to_numpy(dtype=float)
        at_risk = rows.N_AT_RISK.to_numpy(dtype=float)
        for tick in ticks:
            # At risk at a tick: those at risk at the first curve time on or after it; none after the last.
            later = np.nonzero(times >= tick - 1e-9)[0]
            count = int(at_risk[later[0]]) if len(later) else 0
            table.text(
                tick,
                len(arms) - 1 - index,
                f"{count}",
                ha="center",
                va="center",
                color=colour,
                fontsize=8.5,
                gid=f"at-risk-{index}",
            )
    ax.set_ylim(-0.02, 1.03)
    ax.set_ylabel("Probability")
    ax.set_title(title, loc="left")
    ax.grid(color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelbottom=True)
    ax.set_xticks(ticks)
    ax.set_xlim(-0.02 * ticks[-1], ticks[-1] * 1.02)
    ax.set_xlabel("Months")
    ax.legend(loc="upper left", bbox_to_anchor=(1.03, 1.0), borderaxespad=0, fontsize=9)
    ax.text(
        1.03,
        0.8,
        annotation,
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=8.5,
        color=INK,
        linespacing=1.5,
        wrap=True,
        gid=KM_ANNOTATION_ID,
        bbox=dict(boxstyle="round,pad=0.5", facecolor="white", edgecolor=GRID),
    )
    table.set_ylim(-0.6, len(arms) - 0.4)
    table.set_yticks(range(len(arms)))
    table.set_yticklabels(list(reversed(arms)), fontsize=8.5)
    for label, arm in zip(table.get_yticklabels(), reversed(arms)):
        label.set_color(arm_colours.get(arm, MUTED))
    table.tick_params(axis="x", labelbottom=False, length=0)
    table.tick_params(axis="y", length=0)
    for side in ("left", "bottom", "top", "right"):
        table.spines[side].set_visible(False)
    table.set_title("Number at risk", loc="left", fontsize=8.5, fontweight="normal", color=MUTED)
    # The right third of the width holds the legend and the annotation.
    fig.subplots_adjust(left=0.1, right=0.67, top=0.94, bottom=0.04)
    return fig


# --- forest ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    label: str
    method: str
    estimate: float
    lower: float
    upper: float
    text: str


@drawn_once
def forest(
    hazard_ratios: Sequence[Effect], differences: Sequence[Effect], colours: dict[str, str], experimental: str
) -> Svg:
    """Hazard ratios on a log scale and rate differences in percentage points, unadjusted vs IPTW."""
    from matplotlib.transforms import blended_transform_factory

    panels = [(effects, kind) for effects, kind in ((hazard_ratios, "hr"), (differences, "diff")) if effects]
    heights = [len(effects) + 1.6 for effects, _ in panels]
    fig = _figure(11.5, 0.35 + 0.3 * sum(heights))
    grid = fig.add_gridspec(len(panels), 1, height_ratios=heights, hspace=0.9 / max(sum(heights) / 8, 1))
    for index, (effects, kind) in enumerate(panels):
        ax = fig.add_subplot(grid[index])
        y = np.arange(len(effects))[::-1]
        ax.set_ylim(-0.7, len(effects) - 0.3)
        text_at = blended_transform_factory(ax.transAxes, ax.transData)
        for position, effect in zip(y, effects):
            colour = colours.get(effect.method, INK)
            ax.text(1.03, position, effect.text, transform=text_at, va="center", ha="left", fontsize=9, color=colour)
            if not all(math.isfinite(v) for v in (effect.estimate, effect.lower, effect.upper)):
                continue
            ax.hlines(position, effect.lower, effect.upper, color=colour, linewidth=1.8)
            ax.scatter(
                [effect.estimate],
                [position],
                marker="s" if effect.method == "unadjusted" else "D",
                s=38,
                color=colour,
                zorder=3,
            )
        ax.axvline(1 if kind == "hr" else 0, color=INK, linewidth=0.9)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{e.label}, {'IPTW' if e.method == 'iptw' else e.method}" for e in effects])
        for label, effect in zip(ax.get_yticklabels(), effects):
            label.set_color(colours.get(effect.method, INK))
        ax.tick_params(axis="y", length=0)
        if kind == "hr":
            ax.set_xscale("log")
            finite = [v for e in effects for v in (e.lower, e.upper) if math.isfinite(v) and v > 0]
            low, high = min(finite + [0.5]), max(finite + [2.0])
            ax.set_xlim(low / 1.15, high * 1.15)
            ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if low / 1.15 <= t <= high * 1.15]
            if len(ticks) < 5:  # a narrow range: add the in-between ticks
                ticks = sorted(ticks + [t for t in (0.75, 1.5, 3) if low / 1.15 <= t <= high * 1.15])
            ax.set_xticks(ticks)
            ax.set_xticklabels([f"{t:g}" for t in ticks])
            ax.minorticks_off()
            ax.set_xlabel(f"Hazard ratio, log scale (< 1 favours {experimental})")
            ax.set_title("Time to event: hazard ratio (95 % CI)", loc="left")
            ax.text(
                1.03,
                len(effects) - 0.3,
                "HR (95 % CI), p",
                transform=text_at,
                va="bottom",
                ha="left",
                fontsize=9,
                color=MUTED,
            )
        else:
            finite = [v for e in effects for v in (e.lower, e.upper) if math.isfinite(v)]
            reach = max([abs(v) for v in finite] + [10.0]) * 1.08
            ax.set_xlim(-reach, reach)
            ax.set_xlabel(f"Rate difference, percentage points (> 0 favours {experimental})")
            ax.set_title("Response: rate difference (95 % CI)", loc="left")
            ax.text(
                1.03,
                len(effects) - 0.3,
                "difference (95 % CI), p",
                transform=text_at,
                va="bottom",
                ha="left",
                fontsize=9,
                color=MUTED,
            )
        ax.grid(axis="x", color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
    fig.subplots_adjust(left=0.16, right=0.74, top=1 - 0.35 / fig.get_figheight(), bottom=0.55 / fig.get_figheight())
    return to_svg(fig)


# --- balance ---------------------------------------------------------------------------------------


@drawn_once
def love_plot(balance: pd.DataFrame, threshold: float = 0.1) -> Svg:
    """Absolute SMD per covariate before and after weighting; `balance`: COVARIATE, SMD_UNADJUSTED, SMD_IPTW."""
    rows = balance.assign(
        before=balance.SMD_UNADJUSTED.astype(float).abs(), after=balance.SMD_IPTW.astype(float).abs()
    ).sort_values("before", kind="stable")
    fig = _figure(7.6, 0.9 + 0.3 * len(rows))
    ax = fig.subplots()
    y = np.arange(len(rows))
    ax.hlines(y, rows.after, rows.before, color="#c3cad3", linewidth=1)
    ax.scatter(rows.before, y, s=30, facecolors="white", edgecolors=MUTED, linewidths=1.2, label="Unadjusted", zorder=3)
    flagged = rows.after >= threshold
    ax.scatter(rows.after[~flagged], y[~flagged.to_numpy()], s=30, color="#1a7f4b", label="IPTW", zorder=4)
    ax.scatter(
        rows.after[flagged],
        y[flagged.to_numpy()],
        s=34,
        color=RESPONSE_COLOURS["PD"],
        marker="D",
        label=f"IPTW, |SMD| ≥ {threshold}",
        zorder=4,
    )
    ax.axvline(threshold, color=RESPONSE_COLOURS["PD"], linestyle=(0, (4, 3)), linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels(rows.COVARIATE)
    ax.set_xlim(0, max(0.3, float(np.nanmax(np.r_[rows.before.to_numpy(), rows.after.to_numpy(), 0.0])) * 1.1))
    ax.set_xlabel("Absolute standardised mean difference")
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", fontsize=8.5)
    fig.subplots_adjust(left=0.3, right=0.97, top=1 - 0.15 / fig.get_figheight(), bottom=0.6 / fig.get_figheight())
    return to_svg(fig)
