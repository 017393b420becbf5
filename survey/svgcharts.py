"""Charts as SVG made on the server, for the print view and the PDF reports.

The pages draw Plotly figures in the browser (:mod:`survey.charts`); a PDF
has no browser, so the reports draw the same numbers as vector graphics
here: plain SVG text, which WeasyPrint keeps as vectors in the PDF. Pure
functions of the dashboard's views; every label is escaped, and every
chart has a table with the same numbers beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from .charts import TARGET_COLOUR

FONT = "DejaVu Sans, Noto Sans, Arial, sans-serif"


@dataclass(frozen=True)
class Bar:
    """One bar: a label, its value and interval (None: nothing to draw), colour."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    colour: str = "#0a58a8"
    note: str = ""  # written instead of a value (e.g. "n < 5")


def bars(items: Sequence[Bar], *, target: float | None, target_label: str,
         fmt: Callable[[float], str], title: str, width: int = 680) -> Markup:
    """Horizontal bars on a 0-100 axis with their 95% intervals as black
    whiskers and the target as a dashed line; the value is written at the
    end of each bar."""
    label_width, value_width, row, top = 230, 56, 18, 26
    plot = width - label_width - value_width
    height = top + row * len(items) + 28

    def x(value: float) -> float:
        return label_width + plot * max(0.0, min(100.0, value)) / 100

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'font-family="{FONT}" font-size="10">',
             f"<title>{escape(title)}</title>"]
    for tick in range(0, 101, 20):
        parts.append(f'<line x1="{x(tick):.1f}" y1="{top - 4}" x2="{x(tick):.1f}" '
                     f'y2="{height - 22}" stroke="#e3e6ea" stroke-width="0.6"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{height - 10}" text-anchor="middle" '
                     f'fill="#4a4a4a">{tick}</text>')
    for i, item in enumerate(items):
        y = top + i * row
        label = item.label if len(item.label) <= 38 else item.label[:37] + "…"
        parts.append(f'<text x="{label_width - 6}" y="{y + 12}" text-anchor="end" '
                     f'fill="#1b1b1b">{escape(label)}</text>')
        if item.value is None:
            parts.append(f'<text x="{label_width + 4}" y="{y + 12}" fill="#4a4a4a">'
                         f'{escape(item.note or "–")}</text>')
            continue
        length = x(item.value) - label_width
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" '
                     f'height="{row - 6}" fill="{item.colour}"/>')
        if item.low is not None and item.high is not None:
            middle = y + row / 2
            parts.append(f'<line x1="{x(item.low):.1f}" y1="{middle:.1f}" x2="{x(item.high):.1f}" '
                         f'y2="{middle:.1f}" stroke="#000" stroke-width="1.2"/>')
            for end in (item.low, item.high):
                parts.append(f'<line x1="{x(end):.1f}" y1="{middle - 4:.1f}" x2="{x(end):.1f}" '
                             f'y2="{middle + 4:.1f}" stroke="#000" stroke-width="1.2"/>')
        parts.append(f'<text x="{width - value_width + 6}" y="{y + 12}" fill="#1b1b1b">'
                     f'{escape(fmt(item.value))}</text>')
    if target is not None:
        parts.append(f'<line x1="{x(target):.1f}" y1="{top - 8}" x2="{x(target):.1f}" '
                     f'y2="{height - 22}" stroke="{TARGET_COLOUR}" stroke-width="1.2" '
                     f'stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x(target):.1f}" y="{top - 12}" text-anchor="middle" '
                     f'fill="{TARGET_COLOUR}">{escape(target_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)
