"""Field rules the aggregates share: a broken one is a 422 naming the field and why."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain import programs as vocab
from registry.domain.errors import ValidationFailed
from registry.domain.rules import (
    check_contribution,
    check_period,
    check_programs,
    check_quota,
    require,
)


def refusal(rule, *args) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as raised:
        rule(*args)
    return raised.value


def test_a_broken_requirement_names_its_field_in_the_errors_and_the_detail():
    error = refusal(require, False, "quota", "must be at least 1")
    assert error.errors == {"quota": "must be at least 1"}
    assert error.detail == "quota: must be at least 1"
    assert error.code == "validation_failed"


def test_a_kept_requirement_says_nothing():
    assert require(True, "quota", "must be at least 1") is None


def test_a_period_may_be_one_day_but_may_not_end_before_it_starts():
    check_period(date(2022, 10, 1), date(2022, 10, 1))
    error = refusal(check_period, date(2022, 10, 2), date(2022, 10, 1))
    assert error.errors == {"ends_on": "must not be before starts_on"}


def test_a_quota_is_at_least_one_worker_or_none_at_all():
    check_quota(1)
    check_quota(None)
    for quota in (0, -1):
        assert refusal(check_quota, quota).errors == {"quota": "must be at least 1"}


def test_a_contribution_may_be_zero_but_not_negative():
    check_contribution(0)
    check_contribution(None)
    error = refusal(check_contribution, -1)
    assert error.errors == {"monthly_contribution_idr": "must not be negative"}


def test_every_program_the_registry_knows_may_be_chosen():
    check_programs(list(vocab.PROGRAMS))
    check_programs(["JKM"])


def test_no_programs_at_all_is_refused():
    assert refusal(check_programs, []).errors == {"programs": "must name at least one program"}


def test_wage_earner_programs_are_refused_by_name():
    error = refusal(check_programs, ["JKK", "JP", "JKP"])
    assert error.errors == {"programs": "JP, JKP exist only for wage earners"}


def test_unknown_programs_are_refused_with_the_list_to_choose_from():
    error = refusal(check_programs, ["JKK", "BPJS", "jkm"])
    assert error.errors == {"programs": "unknown program BPJS, jkm; choose from JKK, JKM, JHT"}
