"""Aggregate ids derive from natural keys; stored streams are named by them: they never change."""

from __future__ import annotations

from uuid import UUID

from registry.domain.agreement import Agreement
from registry.domain.ids import derived_id
from registry.domain.region import Region
from registry.domain.token import ApiToken


def test_ids_are_the_same_today_as_when_the_first_streams_were_written():
    assert derived_id("agreement", "pks-labusel-2022") == UUID(
        "1311d4ad-e2ea-593f-b058-056553e3dd60")
    assert Region.create_id("12.22") == UUID("b86fe19d-e4c0-5674-93bb-feb814873bf2")
    assert ApiToken.create_id("ab" * 32) == UUID("229ca9c7-c3ba-5369-adad-4f752a124488")


def test_an_agreement_number_names_one_stream_whatever_its_case_and_spaces():
    expected = UUID("1311d4ad-e2ea-593f-b058-056553e3dd60")
    assert Agreement.create_id("PKS-LABUSEL-2022") == expected
    assert Agreement.create_id("  pks-labusel-2022 ") == expected


def test_one_key_names_different_streams_for_different_kinds():
    assert len({derived_id(kind, "12.22") for kind in ("agreement", "region", "worker")}) == 3
