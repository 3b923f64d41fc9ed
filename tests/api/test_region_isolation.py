"""A registrar of one region can neither find nor read another region's workers.

Kota Medan (12.71) has enrolled its workers; a registrar of Kabupaten
Labuhanbatu Selatan (12.22) tries to learn about them through its own
agreement's writes: refusals say only their code, every such refusal is kept
in the probed worker's access records, and a token that collects too many in
an hour is stopped with 429.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from registry.bootstrap import Registry
from registry.config import Settings
from registry.domain import nik as niks
from tests.builders import labusel_pks, medan_nik, medan_pks, nik
from tests.callers import Caller

V1 = "/api/v1"
PROBE_LIMIT = 5
MEDAN_SECRETS = ("PKS-MEDAN-2025", "12.71", "Kota Medan", "2025-02-01", "2025-12-31",
                 "2025-06-30", "Butet", "Siregar", "pedagang", "Jl. Gatot Subroto")


@pytest.fixture
def registry(settings: Settings) -> Iterator[Registry]:
    opened = Registry.open(dataclasses.replace(settings, probe_limit=PROBE_LIMIT))
    yield opened
    opened.close()


@pytest.fixture
def world(registry: Registry, client: Any, admin: Caller) -> dict[str, Any]:
    """Medan's PKS with three workers (the third died on 30 June 2025), and
    Labuhanbatu Selatan's PKS for 2026 with a registrar of its own."""
    medan = admin.post(V1 + "/agreements", json=medan_pks()).json["id"]
    for i in (1, 2, 3):
        answer = admin.post(f"{V1}/agreements/{medan}/enrollments", json={
            "nik": medan_nik(i), "name": f"Butet Siregar {i}", "occupation": "pedagang",
            "address": "Jl. Gatot Subroto 7, Medan", "starts_on": "2025-02-01"})
        assert answer.status_code == 201, answer.get_data(as_text=True)
    died = admin.post(f"{V1}/agreements/{medan}/enrollments/{medan_nik(3)}/disenrollment",
                      json={"ends_on": "2025-06-30", "reason_code": "DECEASED"})
    assert died.status_code == 200, died.get_data(as_text=True)
    labusel = admin.post(V1 + "/agreements", json=labusel_pks(
        signed_on="2025-01-02", starts_on="2025-01-01", ends_on="2026-12-31")).json["id"]
    registrar = Caller(client, registry.tokens.create("registrar-labusel", "registrar",
                                                      ["12.22"]))
    return {"medan": medan, "labusel": labusel, "registrar": registrar, "admin": admin}


def candidate(number: str, name: str = "Tebakan", **extra: Any) -> dict[str, Any]:
    return {"nik": number, "name": name, "occupation": "petani", "starts_on": "2025-03-01",
            **extra}


def assert_reveals_nothing_of_medan(text: str) -> None:
    for secret in MEDAN_SECRETS:
        assert secret not in text, f"{secret!r} leaked: {text}"


def refusals(admin: Caller, number: str) -> list[dict[str, Any]]:
    """The worker's access records of refusals (not the answers that showed it to admin)."""
    answer = admin.get(f"{V1}/workers/{number}/access-log")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [r for r in answer.json["items"] if r["outcome"] != "shown"]


def test_a_dry_run_probe_learns_only_codes_and_each_probe_is_in_the_workers_access_records(
        world: dict[str, Any]) -> None:
    # Probe: two planted Medan NIKs among unknown ones, and one bad row (a dry run).
    rows = [candidate(nik(i)) for i in range(1, 30)]
    rows[3] = candidate(medan_nik(1))
    rows[17] = candidate(medan_nik(3), name="Butet Siregar 3", starts_on="2025-07-01")
    rows.append({"nik": "12345", "name": "rusak", "occupation": "petani"})
    answer = world["registrar"].post(f"{V1}/agreements/{world['labusel']}/enrollments/batch",
                                     json={"workers": rows})
    # Refused, nothing written, and only codes for the Medan workers.
    assert answer.status_code == 422, answer.get_data(as_text=True)
    codes = {r["row"]: r.get("code") for r in answer.json["rows"]}
    assert (codes[3], codes[17]) == ("identity_mismatch", "worker_deceased")
    assert_reveals_nothing_of_medan(answer.get_data(as_text=True))
    # Each probed worker's access records name the registrar's token.
    for probed, code in ((medan_nik(1), "identity_mismatch"), (medan_nik(3), "worker_deceased")):
        records = refusals(world["admin"], probed)
        assert [(r["actor"], r["outcome"]) for r in records] == [
            ("registrar-labusel", f"refused: {code}")]
        assert records[0]["route"].endswith("/enrollments/batch")
    assert refusals(world["admin"], medan_nik(2)) == []


def test_a_token_past_the_probe_limit_is_cut_off_with_429(world: dict[str, Any]) -> None:
    # A batch that runs into more Medan workers than the limit allows is cut off.
    rows = [candidate(medan_nik(i)) for i in (1, 2)] * (PROBE_LIMIT // 2 + 1)
    rows = [dict(r, starts_on="2025-03-01") for r in rows]
    answer = world["registrar"].post(f"{V1}/agreements/{world['labusel']}/enrollments/batch",
                                     json={"workers": rows, "atomic": False})
    assert answer.status_code == 429, answer.get_data(as_text=True)
    assert answer.json["code"] == "too_many_requests"
    assert answer.headers["Retry-After"] == "3600"
    assert_reveals_nothing_of_medan(answer.get_data(as_text=True))
    # Every refusal was kept, and the next write about workers is refused at once.
    assert len(refusals(world["admin"], medan_nik(1))) == PROBE_LIMIT // 2 + 1
    again = world["registrar"].post(f"{V1}/agreements/{world['labusel']}/enrollments",
                                    json=candidate(nik(1)))
    assert again.status_code == 429
    # Another token of the same region is not punished for it.
    admin_writes = world["admin"].post(f"{V1}/agreements/{world['labusel']}/enrollments",
                                       json=candidate(nik(1)))
    assert admin_writes.status_code == 201, admin_writes.get_data(as_text=True)


def test_enrolling_an_out_of_region_nik_with_another_name_is_identity_mismatch(
        world: dict[str, Any]) -> None:
    answer = world["registrar"].post(f"{V1}/agreements/{world['labusel']}/enrollments",
                                     json=candidate(medan_nik(1), name="Siti Aminah"))
    assert answer.status_code == 409, answer.get_data(as_text=True)
    assert answer.json["code"] == "identity_mismatch"
    assert_reveals_nothing_of_medan(answer.get_data(as_text=True))


@pytest.mark.parametrize(("i", "starts_on", "code"), [
    (1, "2025-03-01", "already_covered"),     # Medan covers JKK and JKM all year
    (3, "2025-08-01", "worker_deceased"),     # after the recorded death
])
def test_a_refusal_about_an_out_of_region_worker_says_only_its_code(
        world: dict[str, Any], i: int, starts_on: str, code: str) -> None:
    answer = world["registrar"].post(
        f"{V1}/agreements/{world['labusel']}/enrollments",
        json=candidate(medan_nik(i), name=f"BUTET  siregar {i}.", starts_on=starts_on))
    assert answer.status_code == 409, answer.get_data(as_text=True)
    assert answer.json["code"] == code
    assert_reveals_nothing_of_medan(answer.get_data(as_text=True))


def test_the_same_refusal_inside_ones_regions_still_says_why(world: dict[str, Any]) -> None:
    answer = world["admin"].post(
        f"{V1}/agreements/{world['labusel']}/enrollments",
        json=candidate(medan_nik(1), name="Butet Siregar 1"))
    assert answer.status_code == 409
    assert "PKS-MEDAN-2025" in answer.json["detail"]


def test_an_enrollment_echoes_what_was_sent_and_gives_no_read_access_once_voided(
        world: dict[str, Any]) -> None:
    registrar, admin = world["registrar"], world["admin"]
    medan_worker = medan_nik(2)
    # End Medan's coverage, so that 2026 is free: a legitimate second enrollment.
    ended = admin.post(f"{V1}/agreements/{world['medan']}/enrollments/{medan_worker}"
                       "/disenrollment", json={"ends_on": "2025-12-31",
                                               "reason_code": "MOVED_AWAY"})
    assert ended.status_code == 200
    enrolled = registrar.post(f"{V1}/agreements/{world['labusel']}/enrollments", json=candidate(
        medan_worker, name="BUTET SIREGAR 2", occupation="buruh tani", starts_on="2026-01-01"))
    assert enrolled.status_code == 201, enrolled.get_data(as_text=True)
    assert (enrolled.json["name"], enrolled.json["occupation"]) == (
        "BUTET SIREGAR 2", "buruh tani")
    assert "pedagang" not in enrolled.get_data(as_text=True)
    # While enrolled in 12.22, the worker is readable there.
    assert registrar.get(f"{V1}/workers/{medan_worker}").status_code == 200
    # Voided: neither readable nor correctable from 12.22 any more.
    voided = registrar.post(f"{V1}/agreements/{world['labusel']}/enrollments/{medan_worker}"
                            "/void", json={"reason": "salah input"})
    assert voided.status_code == 200, voided.get_data(as_text=True)
    seen = registrar.get(f"{V1}/workers/{medan_worker}")
    assert seen.status_code == 404
    assert_reveals_nothing_of_medan(seen.get_data(as_text=True))
    corrected = registrar.post(f"{V1}/workers/{medan_worker}/corrections",
                               json={"reason": "pindah", "address": "Kotapinang"})
    assert corrected.status_code == 404
    assert registrar.get(f"{V1}/workers/{medan_worker}/history").status_code == 404


@pytest.mark.parametrize("action", ["void", "disenrollment"])
def test_a_nik_known_only_elsewhere_looks_unknown_to_writes_on_ones_own_agreement(
        world: dict[str, Any], action: str) -> None:
    body = ({"reason": "salah input"} if action == "void"
            else {"ends_on": "2025-05-01", "reason_code": "OTHER"})
    base = f"{V1}/agreements/{world['labusel']}/enrollments"
    known = world["registrar"].post(f"{base}/{medan_nik(1)}/{action}", json=body)
    unknown = world["registrar"].post(f"{base}/{medan_nik(9)}/{action}", json=body)
    assert (known.status_code, unknown.status_code) == (404, 404)
    def strip(r: Any) -> dict[str, Any]:
        return json.loads(r.get_data(as_text=True).replace(medan_nik(1), "N")
                          .replace(medan_nik(9), "N"))

    assert (strip(known)["detail"].replace(niks.mask(medan_nik(1)), "*")
            == strip(unknown)["detail"].replace(niks.mask(medan_nik(9)), "*"))


def test_a_scoped_admin_is_held_to_its_regions_on_writes(
        registry: Registry, client: Any, world: dict[str, Any]) -> None:
    scoped = Caller(client, registry.tokens.create("admin-labusel", "admin", ["12.22"]))
    binjai = scoped.post(V1 + "/agreements", json=labusel_pks(
        agreement_number="PKS-BINJAI-2025", region_code="12.75", region_name="Kota Binjai"))
    assert binjai.status_code == 403, binjai.get_data(as_text=True)
    medan_write = scoped.post(f"{V1}/agreements/{world['medan']}/amendments",
                              json={"effective_on": "2025-03-01", "reason": "x", "quota": 9})
    assert medan_write.status_code == 404
    own = scoped.post(f"{V1}/agreements/{world['labusel']}/amendments",
                      json={"effective_on": "2025-03-01", "reason": "kuota", "quota": 2100})
    assert own.status_code == 200, own.get_data(as_text=True)


def test_the_probe_limit_comes_from_the_environment() -> None:
    assert Settings.from_env({"REGISTRY_PROBE_LIMIT": "7"}).probe_limit == 7
    assert Settings.from_env({}).probe_limit == 200
    with pytest.raises(ValueError, match="REGISTRY_PROBE_LIMIT"):
        Settings.from_env({"REGISTRY_PROBE_LIMIT": "banyak"})
