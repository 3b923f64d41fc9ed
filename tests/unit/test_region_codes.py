"""Kemendagri region codes: a province contains its regencies and cities."""

from __future__ import annotations

import pytest

from registry.domain.region_codes import contains, in_any, is_region_code


@pytest.mark.parametrize("code", ["12", "12.22", "36.73", "00"])
def test_a_province_or_a_regency_code_is_a_region_code(code):
    assert is_region_code(code)


@pytest.mark.parametrize("code", [
    "1", "123", "12.2", "12.222", "12.22.01", "12-22", " 12", "12.22\n", "ab", "", "١٢",
])
def test_anything_else_is_not(code):
    assert not is_region_code(code)


@pytest.mark.parametrize(("scope", "code", "inside"), [
    ("12", "12", True),
    ("12", "12.22", True),
    ("12.22", "12.22", True),
    ("12.22", "12", False),  # a regency does not contain its province
    ("12.22", "12.71", False),
    ("12", "13.01", False),
    ("1", "12.22", False),  # a prefix of the digits is not a province
    ("12.2", "12.22", False),
])
def test_a_scope_contains_itself_and_for_a_province_its_regencies(scope, code, inside):
    assert contains(scope, code) is inside


def test_a_code_is_in_any_of_several_scopes_when_one_contains_it():
    assert in_any(["36", "12.75"], "12.75")
    assert in_any(("36", "12"), "12.22")
    assert not in_any(["36", "12.75"], "12.71")
    assert not in_any([], "12.71")


def test_scopes_narrowed_to_a_region_keep_only_where_both_meet():
    from registry.domain.region_codes import narrowed

    assert narrowed(None, None) is None and narrowed(["12"], None) == ["12"]
    assert narrowed(None, "12.75") == ["12.75"]
    assert narrowed(["12"], "12.75") == ["12.75"]
    assert narrowed(["12.75", "12.71", "36"], "12") == ["12.71", "12.75"]
    assert narrowed(["36"], "12.75") == []
