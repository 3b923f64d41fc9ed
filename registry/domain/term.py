"""A term: one period of an agreement, with its quota and contribution."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding


@dataclass(frozen=True)
class Term:
    starts_on: date
    ends_on: date
    quota: int | None
    monthly_contribution_idr: int
    # Quota slots held: workers enrolled in this term and not yet
    # disenrolled or voided.
    enrolled: int = 0

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def with_changes(self, **changes: Any) -> Term:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def free_slots(self) -> int | None:
        return None if self.quota is None else self.quota - self.enrolled


def current_term_index(terms: list[Term], on: date) -> int:
    """The term containing `on`, else the last started before it, else the first."""
    for i, term in enumerate(terms):
        if term.contains(on):
            return i
    started = [i for i, term in enumerate(terms) if term.starts_on <= on]
    return started[-1] if started else 0


def status_on(terms: list[Term], terminated_on: date | None, on: date) -> str:
    """`pending`, `active`, `lapsed`, `expired` or `terminated` on a date."""
    if terminated_on is not None and on > terminated_on:
        return "terminated"
    if on < terms[0].starts_on:
        return "pending"
    if any(term.contains(on) for term in terms):
        return "active"
    if on > terms[-1].ends_on:
        return "expired"
    return "lapsed"


class DateAsISO(Transcoding):
    type = date
    name = "date"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class TermAsDict(Transcoding):
    """Lets snapshots of agreements carry their terms."""

    type = Term
    name = "term"

    def encode(self, obj: Term) -> dict[str, Any]:
        return asdict(obj)

    def decode(self, data: dict[str, Any]) -> Term:
        return Term(**data)
