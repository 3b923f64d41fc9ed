"""Charts drawn on the server as inline SVG: no script, no library, printable.

Each chart is an `<svg role="img">` named by its `<title>` and described in
words by its `<desc>` (what a screen reader says instead of the picture); the
page shows the same figures in a table beside it. The callers pass every word
already translated and every number already formatted: this module only
places shapes. Colours come from ui.css classes (`bar-covered`, `bar-target`,
`span-*`, `day-line`), so the print stylesheet can change them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH = 760
LABEL = 220  # room for the row labels at the left of a bar chart
ROW = 34


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart: a value against an optional target."""

    label: str
    value: int | None
    target: int | None
    text: str  # what is written after the bar, e.g. "5.000 of 36.275 (13.78 %)"


@dataclass(frozen=True)
class Column:
    """One column of a column chart (a month's workers, say)."""

    label: str
    value: int
    text: str


@dataclass(frozen=True)
class Span:
    """One bar of a time line, from `first` to `last` (both days included)."""

    label: str
    first: date
    last: date
    kind: str  # active, ended, pending or voided: the `span-*` class


@dataclass(frozen=True)
class Mark:
    """A day marked across a time line (today, a termination)."""

    day: date
    label: str


def _svg(chart_id: str, title: str, description: str, height: int, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" id="{escape(chart_id)}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>{body}</svg>')


def _text(x: float, y: float, words: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(words)}</text>'


def _rect(css: str, x: float, y: float, width: float, height: float) -> str:
    return (f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" '
            f'height="{height:.1f}"/>')


def horizontal_bars(chart_id: str, title: str, description: str, bars: Sequence[Bar],
                    text_room: int = 250) -> Markup:
    """A row per bar: the target as a light bar, the value as a dark bar over it."""
    scale_width = WIDTH - LABEL - text_room
    largest = max([1, *(b.value or 0 for b in bars), *(b.target or 0 for b in bars)])
    parts = []
    for i, bar in enumerate(bars):
        y = 8 + i * ROW
        parts.append(_text(LABEL - 8, y + 17, bar.label, "end"))
        if bar.target:
            parts.append(_rect("bar-target", LABEL, y + 2, scale_width * bar.target / largest,
                               22))
        if bar.value:
            parts.append(_rect("bar-covered", LABEL, y + 7, scale_width * bar.value / largest,
                               12))
        parts.append(_text(LABEL + scale_width + 8, y + 17, bar.text))
    return _svg(chart_id, title, description, 16 + ROW * max(len(bars), 1), "".join(parts))


def columns(chart_id: str, title: str, description: str, cols: Sequence[Column]) -> Markup:
    """A column per item, its height its value; the value written above it."""
    height, top, bottom = 220, 22, 40
    room = (WIDTH - 20) / max(len(cols), 1)
    largest = max([1, *(c.value for c in cols)])
    parts = [f'<line x1="10" y1="{height - bottom}" x2="{WIDTH - 10}" y2="{height - bottom}" '
             'stroke="#4a4a4a" stroke-width="1"/>']
    for i, col in enumerate(cols):
        x = 10 + i * room
        tall = (height - top - bottom) * col.value / largest
        parts.append(_rect("bar-covered", x + room * 0.15, height - bottom - tall, room * 0.7,
                           tall))
        parts.append(_text(x + room / 2, height - bottom - tall - 5, col.text, "middle"))
        parts.append(_text(x + room / 2, height - bottom + 16, col.label, "middle"))
    return _svg(chart_id, title, description, height, "".join(parts))


def time_line(chart_id: str, title: str, description: str, spans: Sequence[Span],
              marks: Sequence[Mark], ticks: Sequence[tuple[date, str]]) -> Markup:
    """A row per span on one axis of days, marked days as vertical lines across them."""
    days = [d for s in spans for d in (s.first, s.last)] + [m.day for m in marks]
    first, last = min(days), max(days)
    span_days = max((last - first).days, 1)
    left, right = LABEL, WIDTH - 20
    top = 32 if marks else 8  # room for the marks' labels

    def x(day: date) -> float:
        return left + (right - left) * (day - first).days / span_days

    height = top + ROW * len(spans) + 30
    parts = []
    for i, span in enumerate(spans):
        y = top + i * ROW
        parts.append(_text(LABEL - 8, y + 17, span.label, "end"))
        parts.append(_rect(f"span-{span.kind}", x(span.first), y + 4,
                           x(span.last) - x(span.first) + 1, 18))
    axis = top + ROW * len(spans) + 4
    parts.append(f'<line x1="{left}" y1="{axis}" x2="{right}" y2="{axis}" stroke="#4a4a4a" '
                 'stroke-width="1"/>')
    for day, label in ticks:
        if first <= day <= last:
            parts.append(f'<line x1="{x(day):.1f}" y1="{axis}" x2="{x(day):.1f}" '
                         f'y2="{axis + 5}" stroke="#4a4a4a" stroke-width="1"/>')
            parts.append(_text(x(day), axis + 18, label, "middle"))
    for i, mark in enumerate(marks):
        # Two marks' labels take turns on two lines, so that close days stay legible.
        line = 11 + 13 * (i % 2)
        parts.append(f'<line class="day-line" x1="{x(mark.day):.1f}" y1="{line + 3}" '
                     f'x2="{x(mark.day):.1f}" y2="{axis}"/>')
        anchor = "end" if x(mark.day) > WIDTH * 0.7 else "start"
        parts.append(_text(x(mark.day) + (-4 if anchor == "end" else 4), line, mark.label,
                           anchor))
    return _svg(chart_id, title, description, height, "".join(parts))
