"""Figures measured in rounds: each ratio's two sides taken in turn, three times.

A shared machine stalls now and then for a second or two. A ratio whose two
sides were measured in one go each, minutes apart, moves with whichever side
the stall fell on. Here each round measures both sides back to back, and the
figure is the median of the rounds; the JSON keeps every round
(`<key>_rounds`) and the table shows the spread (min-max).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

ROUNDS = 3


def in_rounds(measure: Callable[[int], dict[str, float]],
              rounds: int = ROUNDS) -> dict[str, Any]:
    """`measure(r)` for r = 0 .. rounds-1; each key's median, and its rounds."""
    taken = [measure(r) for r in range(rounds)]
    figures: dict[str, Any] = {}
    for key in taken[0]:
        values = [t[key] for t in taken]
        figures[key] = statistics.median(values)
        figures[f"{key}_rounds"] = values
    return figures


def spread(figures: dict[str, Any], key: str) -> tuple[float, float] | None:
    """(min, max) of the key's rounds, if it was measured in rounds."""
    values = figures.get(f"{key}_rounds")
    if not values or len(values) < 2:
        return None
    return min(values), max(values)
