"""What the commands share: who acts, how an agreement is named, money and tables."""

from __future__ import annotations

import getpass
from uuid import UUID

from registry.domain.agreement import Agreement
from registry.domain.context import Context


def cli_context() -> Context:
    """The person running the command, as the actor recorded on its events."""
    return Context(actor=f"cli:{getpass.getuser()}")


def agreement_id(given: str) -> UUID:
    """An agreement's id, or the id its number gives: ids are derived from numbers
    (`Agreement.create_id`), so a number names exactly one agreement, signed or not."""
    try:
        return UUID(given)
    except ValueError:
        return Agreement.create_id(given)


def rupiah(amount: int) -> str:
    return f"{'-' if amount < 0 else ''}Rp {abs(amount):,}"


def grid(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """A plain-text table: each column as wide as its widest cell."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    return ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in (header, *rows)]
