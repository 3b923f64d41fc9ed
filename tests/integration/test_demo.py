"""`registry demo`'s scenarios answer what the seed articles say, on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from projections import coverage_queries, reveal
from registry.bootstrap import Registry
from registry.config import Settings
from registry.domain.contributions import contributions
from registry.entrypoints import demo
from tests.databases import postgres_schema_url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql",
                                                              marks=pytest.mark.postgres)])
def loaded(request: pytest.FixtureRequest, tmp_path_factory: Any
           ) -> Iterator[tuple[Registry, dict[str, Any]]]:
    """The demo loaded once per engine: it writes about 20,000 events."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db"])
    else:
        urls = postgres_schema_url()
    url = next(urls)
    registry = Registry.open(Settings.from_env({"REGISTRY_DATABASE_URL": url}))
    ids = demo.load(registry.app)
    registry.projections.catch_up()
    yield registry, ids
    registry.close()
    next(urls, None)  # drops the PostgreSQL schema


def test_the_demo_answers_the_labuhanbatu_selatan_questions(loaded):
    registry, ids = loaded
    labusel = registry.app.get_agreement(ids["labusel"])
    # The regency owed Rp 100,800,000 for October to December 2022.
    with registry.store.transaction() as cur:
        owed = contributions(labusel.terms, (2022, 10), (2022, 12),
                             lambda first, last: coverage_queries.billable_workers(
                                 cur, str(labusel.id), first, last))
        assert owed["total_idr"] == 100_800_000
        assert [m["workers"] for m in owed["months"]] == [2000, 2000, 2000]
        # After the 2023 renewal all 2,000 are covered on 1 March 2023.
        active = coverage_queries.agreement_enrollments(
            cur, str(labusel.id), on=date(2023, 3, 1), status="active", after=0, limit=5000)[0]
    assert len(active) == 2000
    assert labusel.status_on(date(2023, 3, 1)) == "active"
    assert labusel.terms[-1].enrolled == 2000


def test_the_demo_fills_binjai_and_sets_its_coverage_targets(loaded):
    registry, ids = loaded
    binjai = registry.app.get_agreement(ids["binjai"])
    assert binjai.terms[0].enrolled == 5000 == binjai.terms[0].quota
    with registry.store.transaction() as cur:
        region = coverage_queries.region_coverage(cur, "12", date(2026, 1, 15))
    # Binjai's 5,000 and the Medan OPD's 1,260, all in North Sumatra (12).
    assert region["covered_workers"] == 5000 + sum(opd[2] for opd in demo.MEDAN_OPD) == 6260
    assert demo.taken(registry.app) == list(demo.NUMBERS)
    # Seed 002: Binjai's UCJ targets, 32.48 % for 2024 and 37.10 % for 2025.
    assert registry.app.region_target("12.75", 2024) == {"workforce": 97_777,
                                                         "target_percent": 32.48}
    assert registry.app.region_target("12.75", 2025)["target_percent"] == 37.10


def test_medans_mou_lists_16_children_and_owes_the_sum_of_what_they_owe(loaded):
    from api import create_app

    registry, ids = loaded
    client = create_app(registry=registry).test_client()
    headers = {"Authorization": "Bearer " + registry.tokens.create(
        f"tree-{registry.store.engine}", "auditor", ["12.71"])}
    mou = client.get(f"/api/v1/agreements/{ids['medan']}?on=2026-01-15", headers=headers).json
    assert len(mou["children"]) == 16
    assert [c["id"] for c in mou["children"]] == [str(ids[f"medan-opd-{n}"])
                                                  for n in range(1, 17)]
    assert mou["enrolled_in_children"] == 1260
    assert mou["allocated_quota"] == sum(opd[1] for opd in demo.MEDAN_OPD) <= mou[
        "terms"][0]["quota"]
    owed = client.get(f"/api/v1/agreements/{ids['medan']}/contributions?from=2025-09&to=2026-09",
                      headers=headers).json
    children = {c["agreement_number"]: c["total_idr"] for c in owed["children"]}
    assert len(children) == 16
    assert owed["total_idr"] == sum(children.values()) > 0
    # Twelve months (September 2025 to August 2026) of 1,260 workers x Rp 16,800.
    assert owed["total_idr"] == 12 * 1260 * 16_800
    one = client.get(f"/api/v1/agreements/{ids['medan-opd-1']}/contributions"
                     "?from=2025-09&to=2026-09", headers=headers).json
    assert one["total_idr"] == children["PKS/MDN/2025/01"]
    region = client.get("/api/v1/regions/12.71/contributions?from=2025-09&to=2026-09",
                        headers=headers).json
    assert region["total_idr"] == owed["total_idr"]


def test_the_demos_workers_have_names_of_their_sex_and_serang_has_marbots(loaded):
    registry, ids = loaded
    with registry.store.transaction() as cur:
        # The read model holds names sealed: opened as an answer opens them.
        rows = [(w["name"], w["sex"]) for w in reveal.reveal(cur, registry.app.keyring, [
            {"nik": nik, "name": name, "sex": sex} for nik, name, sex in cur.execute(
                "SELECT nik, name, sex FROM rm_workers").fetchall()])]
        serang = {r[0] for r in cur.execute(
            "SELECT DISTINCT occupation FROM rm_enrollments WHERE agreement_id = ?",
            (str(ids["serang"]),)).fetchall()}
    for name, sex in rows:
        assert set(name.split()) <= set(demo.NAMES[sex]), (name, sex)
    assert "marbot" in serang


def test_a_replay_of_the_demo_gives_identical_answers_on_every_read_endpoint(loaded):
    from api import create_app
    from projections.rebuild import Rebuild

    registry, ids = loaded
    client = create_app(registry=registry).test_client()
    token = registry.tokens.create(f"replay-{registry.store.engine}", "auditor", [])
    headers = {"Authorization": f"Bearer {token}"}
    with registry.store.transaction() as cur:
        niks = [w["nik"] for w in reveal.reveal(cur, registry.app.keyring, [
            {"nik": r[0]} for r in cur.execute(
                "SELECT nik FROM rm_workers ORDER BY nik LIMIT 25").fetchall()])]
    paths = ["/api/v1/agreements?limit=500", "/api/v1/events?limit=500",
             "/api/v1/events?after=9000&limit=500", "/api/v1/audit/backdated?min_days=0",
             "/api/v1/audit/integrity?full=true"]
    paths += [f"/api/v1/regions/{code}/coverage?on={on}"
              for code in ("12", "12.75", "12.71", "12.22", "36.73")
              for on in ("2022-11-01", "2023-03-01", "2024-06-01", "2026-01-15")]
    for agreement in ids.values():
        paths += [f"/api/v1/agreements/{agreement}?on=2023-03-01",
                  f"/api/v1/agreements/{agreement}/enrollments?limit=500&on=2023-03-01",
                  f"/api/v1/agreements/{agreement}/history?limit=500",
                  f"/api/v1/agreements/{agreement}/contributions?from=2022-10&to=2026-12",
                  f"/api/v1/agreements/{agreement}/ledger"]
    paths += ["/api/v1/audit/paid-after-death", "/api/v1/regions/12/arrears?on=2026-08-20"]
    for nik in niks:
        paths += [f"/api/v1/workers/{nik}", f"/api/v1/workers/{nik}/coverage?on=2026-01-15",
                  f"/api/v1/workers/{nik}/history"]

    def answers() -> list:
        got = [(path, client.get(path, headers=headers)) for path in paths]
        assert all(r.status_code == 200 for _, r in got), [p for p, r in got
                                                           if r.status_code != 200]
        return [(path, r.get_json()) for path, r in got]

    before = answers()
    assert Rebuild(registry.projections).run()
    assert answers() == before


def test_the_demo_ledger_shows_labuhanbatu_selatan_paid_and_findings_to_audit(loaded):
    from projections import ledger_views

    registry, ids = loaded
    runner, today = registry.projections, date(2026, 12, 2)
    labusel = ledger_views.agreement_ledger(runner, ids["labusel"], first="2022-10",
                                            last="2022-12", on=today)
    # Invoiced at exactly Rp 100,800,000 and paid in full, each month by its SP2D.
    assert labusel["totals"] == {"owed_idr": 100_800_000, "invoiced_idr": 100_800_000,
                                 "paid_idr": 100_800_000, "balance_idr": 0}
    assert [m["status"] for m in labusel["months"]] == ["paid"] * 3
    binjai = ledger_views.agreement_ledger(runner, ids["binjai"], first=None, last=None,
                                           on=today)
    assert [m["month"] for m in binjai["months"] if m["status"] == "paid_late"] == ["2026-03"]
    # One Medan agency's workers: lapsed after three unpaid months.
    opd = ledger_views.agreement_ledger(runner, ids["medan-opd-1"], first=None, last=None,
                                        on=today)
    unpaid = [m for m in opd["months"] if m["status"] == "unpaid"]
    assert len(unpaid) == 3
    lapsed_on = date.fromisoformat(unpaid[-1]["due_on"]) + timedelta(days=1)
    arrears = ledger_views.arrears(runner, "12.71", on=lapsed_on)
    assert [(i["agreement_number"], len(i["unpaid_months"]), i["standing"])
            for i in arrears["items"]] == [("PKS/MDN/2025/01", 3, "lapsed")]
    found = ledger_views.paid_after_death(runner, None)
    assert [(f["agreement_number"], f["month"], f["died_on"]) for f in found] == [
        ("PKS/SRG/2024/02", "2024-06", "2024-05-10")]
