"""A term: one period of an agreement, with its quota and contribution.

Also the agreement's status on a date, which its terms and its termination
decide. projections/rules_sql.py mirrors `status_on` in SQL, for lists
filtered by status; tests/integration/test_rules_in_sql.py keeps the two
in agreement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding

# What `status_on` answers, in the order an agreement can pass through them.
AGREEMENT_STATUSES = ("pending", "active", "lapsed", "expired", "terminated")


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

    def document(self) -> dict[str, Any]:
        """The term as plain data, as an agreement's document holds it."""
        return {
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "quota": self.quota,
            "monthly_contribution_idr": self.monthly_contribution_idr,
            "enrolled": self.enrolled,
        }

    @classmethod
    def from_document(cls, data: Mapping[str, Any]) -> Term:
        """The term `document()` gave (extra keys, such as a term number, are ignored)."""
        return cls(date.fromisoformat(data["starts_on"]), date.fromisoformat(data["ends_on"]),
                   data["quota"], data["monthly_contribution_idr"], data["enrolled"])


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


@dataclass(frozen=True)
class Standing:
    """Where an agreement stands on a date: its status, and its current term
    (numbered from 1) with the quota slots held in it."""

    status: str
    current_term: int
    enrolled: int


def standing_on(terms: list[Term], terminated_on: date | None, on: date) -> Standing:
    """The agreement's status and current term on `on`."""
    current = current_term_index(terms, on)
    return Standing(status_on(terms, terminated_on, on), current + 1, terms[current].enrolled)


def standing_of(document: Mapping[str, Any], on: date) -> Standing:
    """`standing_on` for an agreement given as its document (`Agreement.document()`,
    which is also what the agreements read model stores)."""
    terminated_on = document["terminated_on"]
    return standing_on([Term.from_document(t) for t in document["terms"]],
                       date.fromisoformat(terminated_on) if terminated_on else None, on)


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
