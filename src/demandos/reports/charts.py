"""Charts for packs: Vega-Lite specs built with Altair, rendered to SVG offline by vl-convert.

The SVG is inlined into the HTML pack (and so into the PDF): no script, no web font, no network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

WIDTH = 620
HEIGHT = 170
FONT = "Helvetica, Arial, sans-serif"


def trend_spec(
    title: str,
    points: Sequence[tuple[str, float | None]],
    *,
    unit_label: str,
    target: float | None = None,
    amber: float | None = None,
    red: float | None = None,
    percent: bool = False,
) -> dict[str, Any]:
    """A line over periods (None: a gap), with the target (and amber, red) as horizontal rules."""
    rows = [{"period": label, "value": value} for label, value in points]
    order = [label for label, _ in points]
    axis_format = ".0%" if percent else "~s"
    x = alt.X("period:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40, labelFontSize=10))
    y = alt.Y("value:Q", title=unit_label, axis=alt.Axis(format=axis_format, labelFontSize=10))
    base = alt.Chart(alt.InlineData(values=rows))
    line = base.mark_line(color="#1f4e79", strokeWidth=2).encode(x=x, y=y)
    dots = base.mark_point(color="#1f4e79", filled=True, size=36).encode(x=x, y=y)
    layers: list[Any] = [line, dots]
    levels = [(target, "target", "#2e7d32"), (amber, "amber", "#b26a00"), (red, "red", "#c62828")]
    shown = [(name, value, color) for value, name, color in levels if value is not None]
    rules = [{"level": name, "y": value} for name, value, _ in shown]
    if rules:
        names = [name for name, _, _ in shown]
        colors = [color for _, _, color in shown]
        layers.append(
            alt.Chart(alt.InlineData(values=rules))
            .mark_rule(strokeDash=[5, 3], strokeWidth=1.2)
            .encode(
                y="y:Q",
                color=alt.Color(
                    "level:N",
                    scale=alt.Scale(domain=names, range=colors),
                    legend=alt.Legend(
                        title=None, orient="top", direction="horizontal", labelFontSize=10
                    ),
                ),
            )
        )
    chart = (
        alt.layer(*layers)
        .properties(width=WIDTH, height=HEIGHT, title=alt.TitleParams(title, anchor="start"))
        .configure(font=FONT)
        .configure_view(strokeWidth=0)
        .configure_title(fontSize=12)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def to_svg(spec: dict[str, Any]) -> str:
    """The chart as an SVG document (no XML prolog), rendered offline."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg.split("?>", 1)[-1].strip() if svg.startswith("<?xml") else svg.strip()
