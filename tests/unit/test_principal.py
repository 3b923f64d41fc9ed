"""Who a request acts as: what it may read and where it may write."""

from __future__ import annotations

import hashlib

import pytest

from registry.domain.token import Principal, digest


def test_an_unscoped_principal_sees_every_region_and_filters_nothing():
    auditor = Principal("bpk", "auditor")
    assert auditor.scopes is None
    assert auditor.can_see("12.22") and auditor.can_see("36.73")


def test_a_scoped_principal_sees_only_inside_its_regions():
    binjai = Principal("binjai-ops", "registrar", ("12.75", "36"))
    assert binjai.scopes == ["12.75", "36"]
    assert binjai.can_see("12.75") and binjai.can_see("36.73")
    assert not binjai.can_see("12.71")
    assert not binjai.can_see("12")


@pytest.mark.parametrize(("role", "regions", "region", "writes"), [
    ("admin", (), "12.22", True),
    ("registrar", (), "12.22", True),
    ("registrar", ("12",), "12.22", True),
    ("registrar", ("12.75",), "12.22", False),
    ("admin", ("36",), "12.22", False),
    ("auditor", (), "12.22", False),
    ("auditor", ("12",), "12.22", False),
])
def test_admins_and_registrars_write_only_inside_their_regions_and_auditors_never(
        role, regions, region, writes):
    assert Principal("x", role, regions).can_write(region) is writes


def test_a_token_is_known_only_by_its_sha256():
    assert digest("s3cret") == hashlib.sha256(b"s3cret").hexdigest()
    assert len(digest("")) == 64
