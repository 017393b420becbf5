"""Results as Plotly figures: plain ``{"data": [...], "layout": {...}}``
documents that plotly.js draws (``static/js/charts.js``).

Pure functions of the dashboard's views (:mod:`survey.services.dashboard`):
no database, no request. A figure only ever receives figures the viewer may
see (small cells are hidden before they get here), and every chart has the
same numbers as a table on its page, so pages work without JavaScript.

Band colours are never the only signal: the band's name is in the hover
text and in the table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: Colours for bands from the lowest to the highest (contrast ≥ 3:1 on white).
BAND_COLOURS = ("#b3261e", "#9a5b00", "#1e7b34")
#: Light tints of the same, behind dark text in heat map cells.
BAND_TINTS = ("#f9dedc", "#fbe9c6", "#d7eedb")
GROUP_COLOURS = ("#0a58a8", "#7a3e9d", "#4a4a4a", "#00695c")
TARGET_COLOUR = "#1b1b1b"
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Arial, sans-serif",
        "size": 13, "color": "#1b1b1b"}

Figure = dict[str, Any]


def band_colour(band: str | None, bands: Sequence[str], *, tint: bool = False) -> str:
    """The colour of a band, by its position from the lowest band."""
    palette = BAND_TINTS if tint else BAND_COLOURS
    if band not in bands:
        return "#ffffff" if tint else "#6b6b6b"
    position = bands.index(band)
    if len(bands) == 1:
        return palette[-1]
    return palette[round(position * (len(palette) - 1) / (len(bands) - 1))]


def _two(value: float) -> str:
    return f"{value:.2f}"


def _layout(height: int, *, x_title: str, x_range: tuple[float, float] | None = (0, 100),
            **extra: Any) -> dict[str, Any]:
    layout = {
        "height": height, "font": FONT, "margin": {"l": 10, "r": 16, "t": 28, "b": 48},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "showlegend": False,
        "xaxis": {"title": {"text": x_title}, "gridcolor": "#e3e6ea", "zeroline": False,
                  "fixedrange": True},
        "yaxis": {"automargin": True, "fixedrange": True, "autorange": "reversed"},
        "hoverlabel": {"bgcolor": "#ffffff", "font": FONT},
    }
    if x_range is not None:
        layout["xaxis"]["range"] = list(x_range)
    layout.update(extra)
    return layout


def _target_line(target: float, label: str, *, axis: str = "x") -> tuple[dict, dict]:
    """A dashed line at the target across the plot, and its label."""
    if axis == "x":
        shape = {"type": "line", "x0": target, "x1": target, "yref": "paper", "y0": 0, "y1": 1,
                 "line": {"color": TARGET_COLOUR, "width": 2, "dash": "dash"}}
        note = {"x": target, "yref": "paper", "y": 1, "yanchor": "bottom", "showarrow": False,
                "text": label, "font": {"size": 12}}
    else:
        shape = {"type": "line", "y0": target, "y1": target, "xref": "paper", "x0": 0, "x1": 1,
                 "line": {"color": TARGET_COLOUR, "width": 2, "dash": "dash"}}
        note = {"y": target, "xref": "paper", "x": 1, "xanchor": "right", "yanchor": "bottom",
                "showarrow": False, "text": label, "font": {"size": 12}}
    return shape, note


def _error(values: list[float], lows: list[float], highs: list[float]) -> dict[str, Any]:
    return {"type": "data", "symmetric": False, "color": "#1b1b1b", "thickness": 1.5,
            "width": 4,
            "array": [round(h - v, 4) for v, h in zip(values, highs, strict=True)],
            "arrayminus": [round(v - lo, 4) for v, lo in zip(values, lows, strict=True)]}


def office_bars(rows: Sequence[Any], *, target: float, bands: Sequence[str],
                band_label: Callable[[str | None], str], verdict_label: Callable[[str], str],
                target_label: str, axis_title: str,
                fmt: Callable[[float], str] = _two) -> Figure | None:
    """Offices as horizontal bars sorted as given, each with its 95% interval
    as an error bar, coloured by band, with the target as a dashed line.
    Offices whose index is not shown (none, or a small cell) are left out."""
    shown = [r for r in rows if r.index.shown and r.index.low is not None]
    if not shown:
        return None
    values = [r.index.value for r in shown]
    lows = [r.index.low for r in shown]
    highs = [r.index.high for r in shown]
    hover = [f"{r.name}<br>{fmt(r.index.value)} ({fmt(r.index.low)}–{fmt(r.index.high)})"
             f"<br>{band_label(r.band)} · {verdict_label(r.verdict)}" for r in shown]
    trace = {
        "type": "bar", "orientation": "h", "x": [round(v, 4) for v in values],
        "y": [_short(r.name) for r in shown],
        "marker": {"color": [band_colour(r.band, bands) for r in shown]},
        "error_x": _error(values, lows, highs), "hovertext": hover, "hoverinfo": "text",
        "texttemplate": "%{x:.2f}", "textposition": "inside", "insidetextanchor": "start",
        "textfont": {"color": "#ffffff"},
    }
    shape, note = _target_line(target, target_label)
    return {"data": [trace],
            "layout": _layout(80 + 38 * len(shown), x_title=axis_title, shapes=[shape],
                              annotations=[note], bargap=0.25)}


def group_dimensions(by_group: Mapping[str, Mapping[str, Any]], *, groups: Sequence[str],
                     group_label: Callable[[str], str], dimension_label: Callable[[str], str],
                     target: float, target_label: str, axis_title: str,
                     fmt: Callable[[float], str] = _two) -> Figure | None:
    """Each dimension as seen by each respondent group, side by side
    (grouped horizontal bars with intervals)."""
    dims = list(by_group)
    traces = []
    for position, group in enumerate(groups):
        points = [(d, by_group[d].get(group)) for d in dims]
        points = [(d, e) for d, e in points if e is not None and e.shown]
        if not points:
            continue
        values = [e.value for _, e in points]
        lows = [e.low if e.low is not None else e.value for _, e in points]
        highs = [e.high if e.high is not None else e.value for _, e in points]
        traces.append({
            "type": "bar", "orientation": "h", "name": group_label(group),
            "x": [round(v, 4) for v in values],
            "y": [_short(dimension_label(d)) for d, _ in points],
            "marker": {"color": GROUP_COLOURS[position % len(GROUP_COLOURS)]},
            "error_x": _error(values, lows, highs), "hoverinfo": "text",
            "hovertext": [f"{group_label(group)}: {fmt(v)} (n = {e.n})"
                          for v, (_, e) in zip(values, points, strict=True)],
        })
    if not traces:
        return None
    shape, note = _target_line(target, target_label)
    layout = _layout(120 + len(dims) * (16 * len(traces) + 24), x_title=axis_title,
                     shapes=[shape], annotations=[note], barmode="group", showlegend=True,
                     legend={"orientation": "h", "yref": "container", "y": 0,
                             "yanchor": "bottom", "x": 0, "traceorder": "normal"})
    layout["margin"]["b"] = 110
    return {"data": traces, "layout": layout}


def trend(points: Sequence[Any], *, target_label: str, axis_title: str,
          fmt: Callable[[float], str] = _two) -> Figure | None:
    """The office's index over campaigns with intervals, and each campaign's
    target."""
    shown = [p for p in points if p.index.shown]
    if not shown:
        return None
    values = [p.index.value for p in shown]
    lows = [p.index.low if p.index.low is not None else p.index.value for p in shown]
    highs = [p.index.high if p.index.high is not None else p.index.value for p in shown]
    index_trace = {
        "type": "scatter", "mode": "lines+markers", "x": [p.period for p in shown],
        "y": [round(v, 4) for v in values], "line": {"color": "#0a58a8", "width": 2},
        "marker": {"size": 9, "color": "#0a58a8"}, "hoverinfo": "text",
        "hovertext": [f"{p.name}: {fmt(p.index.value)}" for p in shown],
        "error_y": {**_error(values, lows, highs), "width": 6},
    }
    target_trace = {
        "type": "scatter", "mode": "lines", "x": [p.period for p in shown],
        "y": [p.target for p in shown], "name": target_label, "hoverinfo": "skip",
        "line": {"color": TARGET_COLOUR, "width": 2, "dash": "dash"},
    }
    layout = _layout(300, x_title="", x_range=None)
    layout["xaxis"] = {"type": "category", "fixedrange": True}
    layout["yaxis"] = {"title": {"text": axis_title}, "range": [0, 100], "fixedrange": True,
                       "gridcolor": "#e3e6ea", "automargin": True}
    return {"data": [index_trace, target_trace], "layout": layout}


def _short(name: str, limit: int = 38, line: int = 20) -> str:
    """A category label that fits a phone: at most ``limit`` characters, on
    lines of about ``line`` characters (plotly breaks lines at <br>)."""
    if len(name) > limit:
        name = name[: limit - 1].rstrip() + "…"
    lines, current = [], ""
    for word in name.split():
        if current and len(current) + 1 + len(word) > line:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return "<br>".join(lines)


def responses_per_day(days: Sequence[Any], *, axis_title: str) -> Figure | None:
    """Stored responses per day as bars; days hidden from the viewer (fewer
    than 5 responses) are left out (the table says "n < 5")."""
    shown = [d for d in days if not d.responses.hidden]
    if not shown:
        return None
    trace = {"type": "bar", "x": [d.day.isoformat() for d in shown],
             "y": [d.responses.value for d in shown], "marker": {"color": "#0a58a8"},
             "hovertemplate": "%{x}: %{y}<extra></extra>"}
    layout = _layout(260, x_title="", x_range=None)
    layout["xaxis"] = {"type": "date", "fixedrange": True, "tickformat": "%d %b"}
    layout["yaxis"] = {"title": {"text": axis_title}, "fixedrange": True, "automargin": True,
                       "gridcolor": "#e3e6ea", "rangemode": "tozero"}
    return {"data": [trace], "layout": layout}
