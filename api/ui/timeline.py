"""Periods on a time line, as the geometry of an inline SVG (drawn by `_timeline.html`).

One row a period, the x axis in days from the earliest start to the latest end
(and the day asked about, so that its line is always on the chart).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH = 720  # the drawing's units; the SVG scales to the page
LABELS = 190  # room on the left for each row's label
ROW = 26


@dataclass(frozen=True)
class Span:
    label: str
    starts_on: date
    ends_on: date
    kind: str  # a CSS class suffix: active, ended, voided, pending
    note: str = ""  # said in words beside the bar, for readers who cannot see colours


@dataclass(frozen=True)
class Bar:
    span: Span
    x: float
    width: float
    y: float


@dataclass(frozen=True)
class Timeline:
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # x and the year it marks
    day_x: float | None
    height: float
    width: int = WIDTH
    labels: int = LABELS


def draw(spans: list[Span], day: date | None = None) -> Timeline | None:
    if not spans:
        return None
    first = min([s.starts_on for s in spans] + ([day] if day else []))
    last = max([s.ends_on for s in spans] + ([day] if day else []))
    days = max((last - first).days, 1)
    scale = (WIDTH - LABELS - 10) / days

    def x(on: date) -> float:
        return round(LABELS + (on - first).days * scale, 1)

    bars = [Bar(s, x(s.starts_on), max(round((s.ends_on - s.starts_on).days * scale, 1), 2.0),
                20 + i * ROW) for i, s in enumerate(spans)]
    ticks = [(x(date(year, 1, 1)), str(year)) for year in range(first.year + 1, last.year + 1)]
    return Timeline(bars, ticks, x(day) if day else None, 30 + len(spans) * ROW)
