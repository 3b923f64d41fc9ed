"""The pages' access matrix: a token scoped to Kota Binjai (12.75) sees nothing of
Labuhanbatu Selatan (12.22) or Medan (12.71) on any page, as in the API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import CTX, NOV15, enroll_worker, labusel_pks_fields, medan_nik
from tests.ui.conftest import text_of


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The pages' sessions and scopes, not the engines: the reads they call are held to
    both engines by tests/integration and the other page tests."""
    return sqlite_url


@pytest.fixture
def world(registry: Any) -> dict[str, Any]:
    labusel = registry.app.sign_agreement(CTX, **labusel_pks_fields()).agreement
    medan = registry.app.sign_agreement(CTX, **labusel_pks_fields(
        agreement_number="PKS-MEDAN-2025", region_code="12.71", region_name="Kota Medan",
        starts_on=NOV15)).agreement
    return {
        "labusel": labusel.id, "medan": medan.id,
        "nik": enroll_worker(registry, labusel.id, 1),
        "medan_nik": enroll_worker(registry, medan.id, 2, nik=medan_nik(2), starts_on=NOV15,
                                   name="Siti Medan"),
        "secrets": ("PKS/LBS/2022/10", labusel_pks_fields()["agreement_number"],
                    "PKS-MEDAN-2025", "Pekerja 1", "Siti Medan", "Kota Medan",
                    "Labuhanbatu"),
    }


def pages(w: dict[str, Any]) -> dict[str, str]:
    """Every page, by its route, with the other regions' ids in it."""
    day = "2022-11-20"
    return {
        "/ui/": "/ui/",
        "/ui/agreements": "/ui/agreements?agreement_number=PKS",
        "/ui/agreements/<uuid:agreement_id>": f"/ui/agreements/{w['labusel']}",
        "/ui/regions/<code>": "/ui/regions/12.22",
        "/ui/workers/<nik>": f"/ui/workers/{w['medan_nik']}",
        "/ui/workers/<nik>/certificate": f"/ui/workers/{w['nik']}/certificate?on={day}",
        "/ui/check": f"/ui/check?nik={w['medan_nik']}&on={day}",
        "/ui/audit/backdated": "/ui/audit/backdated",
        "/ui/integrity": "/ui/integrity",
        "/ui/login": "/ui/login",
    }


def test_every_page_is_in_the_matrix(app: Any, world: dict[str, Any]) -> None:
    served = {rule.rule for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/ui") and "GET" in rule.methods
              and rule.endpoint != "ui.static"}
    assert served == set(pages(world))


def test_a_binjai_auditor_sees_nothing_of_other_regions_on_any_page(
        browser_as: Any, world: dict[str, Any]) -> None:
    binjai = browser_as("auditor", "12.75")
    for route, url in [*pages(world).items(),
                       ("csv", "/ui/audit/backdated?format=csv&min_days=0")]:
        answer = binjai.get(url)
        assert answer.status_code in (200, 404), (route, answer.status_code)
        page = text_of(answer)
        assert not [s for s in world["secrets"] if s in page], (route, page[:400])
        assert world["nik"] not in page and world["medan_nik"] not in page.replace(
            "NIK " + world["medan_nik"], ""), route


def test_the_same_pages_show_the_other_regions_to_an_unscoped_auditor(
        browser_as: Any, world: dict[str, Any]) -> None:
    everywhere = browser_as("auditor")
    shown = {route: everywhere.get(url) for route, url in pages(world).items()}
    assert shown["/ui/agreements/<uuid:agreement_id>"].status_code == 200
    assert "Siti Medan" in text_of(shown["/ui/workers/<nik>"])
    assert "PKS-MEDAN-2025" in text_of(shown["/ui/check"])
    assert shown["/ui/regions/<code>"].status_code == 200
    assert shown["/ui/workers/<nik>/certificate"].status_code == 200


def test_pages_are_refused_to_a_stranger(client: Any, world: dict[str, Any]) -> None:
    for route, url in pages(world).items():
        if route != "/ui/login":
            assert client.get(url).status_code == 302, route
