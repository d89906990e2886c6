"""The Kaplan-Meier plot: its axis covers every time, the numbers at risk sit on its ticks, and the
annotation (medians, HR, p) is drawn where it hides no curve or band."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.plots import KM_ANNOTATION_ID, _months_ticks, kaplan_meier, kaplan_meier_figure

ARMS = ["LEN+SIRT", "LEN"]
COLOURS = {"LEN+SIRT": "#2f6db5", "LEN": "#e08a2e"}
ANNOTATION = (
    "LEN+SIRT: median 9.7 mo (7.1–16.5)\nLEN: median 5.5 mo (2.8–10.9)\nHR 0.57 (0.34–0.95), log-rank p = 0.030"
)


@pytest.mark.parametrize(
    ("longest", "last_tick", "step"),
    [
        (0.0, 3, 3),  # nothing yet: one interval
        (23.9, 24, 3),  # just below a tick: the tick after it
        (24.0, 24, 3),  # exactly on a tick: that tick, not one more
        (24.1, 30, 6),  # past 24 months the step is 6 and the axis goes to the next tick
        (30.6, 36, 6),
        (35.8, 36, 6),  # PFS LEN+SIRT in the demo: used to stop at 30
        (36.0, 36, 6),
        (36.01, 42, 6),
        (61.0, 72, 12),
    ],
)
def test_month_ticks_run_to_the_first_tick_at_or_after_the_last_time(longest, last_tick, step):
    ticks = _months_ticks(longest)
    assert ticks[0] == 0 and ticks[-1] == pytest.approx(last_tick)
    assert list(ticks) == pytest.approx([step * i for i in range(len(ticks))])
    assert ticks[-1] >= longest
    if longest > 0:
        assert ticks[-2] < longest


def _curves(longest: float = 35.8) -> pd.DataFrame:
    rows = []
    for arm, times, at_risk, censored, survival in (
        (
            "LEN+SIRT",
            [0.0, 5.0, 12.0, 20.0, 30.5, longest],
            [10, 10, 7, 4, 2, 1],
            [0, 0, 1, 0, 0, 1],
            [1.0, 0.9, 0.75, 0.5, 0.3, 0.3],
        ),
        ("LEN", [0.0, 2.0, 7.5, 13.0], [10, 10, 6, 2], [0, 0, 0, 1], [1.0, 0.8, 0.4, 0.4]),
    ):
        for time, n, cens, surv in zip(times, at_risk, censored, survival):
            rows.append(
                dict(
                    TRT01P=arm,
                    TIME_MONTHS=time,
                    N_AT_RISK=n,
                    EVENTS=1 - cens if time else 0,
                    CENSORED=cens,
                    SURVIVAL=surv,
                    LCL=max(surv - 0.3, 0.0),
                    UCL=min(surv + 0.2, 1.0),
                )
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def drawn():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = kaplan_meier_figure(_curves(), ARMS, COLOURS, "Progression-free survival", ANNOTATION)
    FigureCanvasAgg(fig).draw()  # lays the text out, so extents are final
    return fig


def _axes(fig):
    curves_axes, table_axes = fig.axes
    return curves_axes, table_axes


def test_the_x_axis_covers_the_last_time_and_its_censoring_mark(drawn):
    ax, _ = _axes(drawn)
    assert list(ax.get_xticks()) == [0, 6, 12, 18, 24, 30, 36]
    assert ax.get_xlim()[1] >= 36
    censoring = [collection for collection in ax.collections if collection.get_offsets().shape[0]]
    last_marks = max(float(offsets[:, 0].max()) for offsets in (c.get_offsets() for c in censoring))
    assert last_marks == pytest.approx(35.8) and last_marks <= ax.get_xlim()[1]


def test_numbers_at_risk_are_given_at_every_tick_and_zero_after_the_last_time(drawn):
    _, table = _axes(drawn)
    for index, expected in enumerate(
        (
            [10, 7, 7, 4, 2, 2, 0],  # LEN+SIRT: at 6 months those at risk at 12.0 (no time in between)
            [10, 6, 2, 0, 0, 0, 0],  # LEN: last time 13.0, nobody at risk at 18 months and later
        )
    ):
        texts = [t for t in table.texts if t.get_gid() == f"at-risk-{index}"]
        assert [t.get_position()[0] for t in texts] == [0, 6, 12, 18, 24, 30, 36]
        assert [int(t.get_text()) for t in texts] == expected


def test_the_annotation_is_outside_the_plotting_area_and_inside_the_figure(drawn):
    ax, table = _axes(drawn)
    (annotation,) = [t for t in ax.texts if t.get_gid() == KM_ANNOTATION_ID]
    assert annotation.get_text() == ANNOTATION
    renderer = drawn.canvas.get_renderer()
    box = annotation.get_bbox_patch().get_window_extent(renderer)
    for area in (ax.get_window_extent(renderer), table.get_window_extent(renderer)):
        assert not box.overlaps(area), (box, area)
    figure = drawn.bbox
    assert figure.x0 <= box.x0 and box.x1 <= figure.x1 and figure.y0 <= box.y0 and box.y1 <= figure.y1
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer)) and not legend.overlaps(box)


def test_the_svg_carries_the_annotation_and_the_last_tick():
    svg = kaplan_meier(_curves(41.0), ARMS, COLOURS, "Overall survival", ANNOTATION).markup
    assert KM_ANNOTATION_ID in svg and "log-rank p = 0.030" in svg
    assert ">42<" in svg  # data to 41 months: the axis reaches 42


def test_a_plot_is_drawn_once_per_process_for_equal_data_and_again_for_other_data(monkeypatch):
    """The report and the TLF files draw the same figures: the second asks for a drawing that exists."""
    from analysis import plots

    drawn = []
    monkeypatch.setattr(plots, "_DRAWN", {})

    @plots.drawn_once
    def plot(frame: pd.DataFrame, title: str) -> plots.Svg:
        drawn.append(title)
        return plots.Svg(f"<svg>{title}{len(frame)}</svg>", 1, 1)

    frame = pd.DataFrame({"TIME": [1.0, 2.0], "SURVIVAL": [1.0, 0.5]})
    first = plot(frame, "PFS")
    assert plot(frame.copy(), "PFS") is first  # an equal frame read again: the same drawing
    assert plot(frame.assign(SURVIVAL=[1.0, 0.4]), "PFS") is not first  # other data: drawn again
    assert plot(frame, "OS") is not first  # another argument: drawn again
    assert drawn == ["PFS", "PFS", "OS"]


def test_the_kaplan_meier_drawing_is_the_same_svg_drawn_again():
    from analysis import plots

    curves = pd.DataFrame(
        {
            "TRT01P": ["LEN+SIRT"] * 2 + ["LEN"] * 2,
            "TIME_MONTHS": [0.0, 5.0, 0.0, 3.0],
            "N_AT_RISK": [10, 4, 10, 5],
            "CENSORED": [0, 1, 0, 0],
            "SURVIVAL": [1.0, 0.6, 1.0, 0.5],
            "LCL": [1.0, 0.3, 1.0, 0.2],
            "UCL": [1.0, 0.8, 1.0, 0.7],
        }
    )
    cached = kaplan_meier(curves, ARMS, COLOURS, "PFS", ANNOTATION)
    fresh = plots.to_svg(kaplan_meier_figure(curves, ARMS, COLOURS, "PFS", ANNOTATION))
    assert cached == fresh
