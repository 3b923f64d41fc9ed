"""Field rules the aggregates share; a broken one is a 422 naming the field."""

from __future__ import annotations

from datetime import date

from registry.domain import programs as vocab
from registry.domain.errors import ValidationFailed


def require(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise ValidationFailed(f"{field}: {message}", {field: message})


def check_period(starts_on: date, ends_on: date) -> None:
    require(ends_on >= starts_on, "ends_on", "must not be before starts_on")


def check_quota(quota: int | None) -> None:
    if quota is not None:
        require(quota >= 1, "quota", "must be at least 1")


def check_contribution(amount: int | None) -> None:
    if amount is not None:
        require(amount >= 0, "monthly_contribution_idr", "must not be negative")


def check_programs(programs: list[str]) -> None:
    require(bool(programs), "programs", "must name at least one program")
    refused = [p for p in programs if p in vocab.WAGE_EARNER_ONLY_PROGRAMS]
    require(not refused, "programs", f"{', '.join(refused)} exist only for wage earners")
    unknown = [p for p in programs if p not in vocab.PROGRAMS]
    require(not unknown, "programs", f"unknown program {', '.join(unknown)}; "
            f"choose from {', '.join(vocab.PROGRAMS)}")
