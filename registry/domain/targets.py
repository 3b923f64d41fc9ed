"""Universal Coverage Jamsostek (UCJ): a region's coverage against its yearly target.

A target is a share of the region's workforce (`target_percent`); how far it
is realised is the share of that workforce covered on a day.
"""

from __future__ import annotations


def target_workers(workforce: int, target_percent: float) -> int:
    """The workers the target asks to cover, rounded to a whole worker."""
    return round(workforce * target_percent / 100)


def realised_percent(covered_workers: int, workforce: int) -> float:
    """The share of the workforce covered, in percent, to two decimals."""
    return round(100 * covered_workers / workforce, 2)
