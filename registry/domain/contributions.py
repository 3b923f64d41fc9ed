"""What a regional government owes for an agreement, month by month.

The billable workers of a month are those whose coverage (not voided) under
the agreement overlaps it; each costs the monthly contribution of the term in
force that month (the term holding most of its days).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from typing import Any

from registry.domain.term import Term


def months(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[date, date]]:
    """(first day, last day) of every month from `first` to `last`, inclusive."""
    out = []
    year, month = first
    while (year, month) <= last:
        out.append((date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def rate_in(terms: list[Term], first: date, last: date) -> int:
    """The monthly contribution of the term holding most days of the month (0: none)."""
    best, best_days = 0, 0
    for term in terms:
        days = (min(last, term.ends_on) - max(first, term.starts_on)).days + 1
        if days > 0 and days >= best_days:
            best, best_days = term.monthly_contribution_idr, days
    return best


def contributions(terms: list[Term], first: tuple[int, int], last: tuple[int, int],
                  billable: Callable[[date, date], int]) -> dict[str, object]:
    rows, total = [], 0
    for start, end in months(first, last):
        workers = billable(start, end)
        rate = rate_in(terms, start, end)
        rows.append({"month": f"{start.year:04d}-{start.month:02d}", "workers": workers,
                     "monthly_contribution_idr": rate, "amount_idr": workers * rate})
        total += workers * rate
    return {"months": rows, "total_idr": total}


def combined(parts: list[dict[str, Any]], first: tuple[int, int],
             last: tuple[int, int]) -> dict[str, Any]:
    """Several agreements' `contributions` from `first` to `last`, added up month by month
    (every month listed, with none).

    A month's row keeps no rate: the agreements it adds may bill at different ones.
    """
    rows = {f"{start.year:04d}-{start.month:02d}": {"workers": 0, "amount_idr": 0}
            for start, _ in months(first, last)}
    for part in parts:
        for row in part["months"]:
            month = rows[row["month"]]
            month["workers"] += row["workers"]
            month["amount_idr"] += row["amount_idr"]
    return {"months": [{"month": m, **row} for m, row in rows.items()],
            "total_idr": sum(p["total_idr"] for p in parts)}
