"""Who may call what: every endpoint against every kind of caller (DESIGN.md section 7).

Each case calls one endpoint as one caller, against data in region 12.22 (a
PKS, two enrolled workers, a coverage target) and a worker of Kota Medan, and
checks the answer against a small rule table: public endpoints answer
everyone; a missing, malformed, unknown or revoked token is 401; auditors never
write; what lies outside a token's regions is 404, as if it did not exist,
except that signing a new agreement outside them is 403; lists answer 200
without 12.22 data. Reads share one world per module, and each checks that it
wrote no event; every write gets a fresh world of its own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from api import create_app
from registry.bootstrap import Registry
from registry.config import Settings
from tests.builders import enrollment_body, labusel_pks, medan_nik, medan_pks, nik
from tests.callers import Caller, assert_problem

V1 = "/api/v1"
NO_PREVIEW = "0" * 32  # a preview id no token made


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str          # {a} is the 12.22 agreement, {w} the enrolled worker, {w2} the second one,
                       # {m} a worker enrolled only in Kota Medan (12.71)
    kind: str          # public | list | read | write | sign | integrity | lookup | accesslog
                       # | log (any token) | cosign (admins and witnesses) | corrections
                       # | admin (admins who can see the worker)
    body: Any = None
    region: str = "12.22"   # where the data the endpoint touches lies

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/health", "public"),
    Endpoint("GET", "/openapi.json", "public"),
    Endpoint("GET", "/docs", "public"),
    Endpoint("GET", V1 + "/health", "public"),
    Endpoint("GET", V1 + "/openapi.json", "public"),
    Endpoint("GET", V1 + "/docs", "public"),
    Endpoint("GET", "/docs-static/swagger-ui.css", "public"),
    *(Endpoint("GET", prefix + probe, "public") for prefix in ("", V1)
      for probe in ("/livez", "/readyz", "/metrics")),
    Endpoint("GET", V1 + "/agreements", "list"),
    Endpoint("POST", V1 + "/agreements", "sign",
             labusel_pks(agreement_number="PKS-LABUSEL-2023", signed_on="2023-01-02",
                         starts_on="2023-01-01", ends_on="2023-12-31")),
    Endpoint("GET", V1 + "/agreements/{a}", "read"),
    Endpoint("POST", V1 + "/agreements/{a}/amendments", "write",
             {"effective_on": "2022-11-01", "reason": "kuota ditambah", "quota": 2500}),
    Endpoint("POST", V1 + "/agreements/{a}/renewals", "write",
             {"ends_on": "2023-12-31", "reason": "diperpanjang"}),
    Endpoint("POST", V1 + "/agreements/{a}/termination", "write",
             {"ends_on": "2022-11-30", "reason": "anggaran habis"}),
    Endpoint("GET", V1 + "/agreements/{a}/enrollments", "read"),
    Endpoint("POST", V1 + "/agreements/{a}/enrollments", "write", enrollment_body(3)),
    Endpoint("POST", V1 + "/agreements/{a}/enrollments/batch", "write",
             {"workers": [enrollment_body(4), enrollment_body(5)]}),
    Endpoint("GET", V1 + "/agreements/{a}/enrollments/{w}", "read"),
    Endpoint("POST", V1 + "/agreements/{a}/enrollments/{w2}/disenrollment", "write",
             {"ends_on": "2022-11-30", "reason_code": "MOVED_AWAY"}),
    Endpoint("POST", V1 + "/agreements/{a}/enrollments/{w2}/void", "write",
             {"reason": "salah input"}),
    Endpoint("GET", V1 + "/agreements/{a}/contributions?from=2022-10&to=2022-12", "read"),
    Endpoint("GET", V1 + "/agreements/{a}/history", "read"),
    Endpoint("GET", V1 + "/workers/{w}", "read"),
    # Coverage of an unknown NIK is 200 `covered: false`; an invisible worker must look alike.
    Endpoint("GET", V1 + "/workers/{w}/coverage?on=2022-11-01", "lookup"),
    Endpoint("GET", V1 + "/workers/{w}/history", "read"),
    Endpoint("POST", V1 + "/workers/{w}/corrections", "write",
             {"reason": "salah ketik", "name": "Pekerja Satu"}),
    Endpoint("GET", V1 + "/workers/{w}/access-log", "accesslog"),
    Endpoint("PUT", V1 + "/workers/{w}/legal-hold", "admin",
             {"held": True, "reason": "perkara kecelakaan kerja"}),
    Endpoint("POST", V1 + "/workers/{w}/erasure", "admin",
             {"reason": "permintaan pekerja", "legal_basis": "UU 27/2022 Pasal 8"}),
    # A worker of another region: out of sight of 12.22's tokens on every route.
    Endpoint("GET", V1 + "/workers/{m}", "read", region="12.71"),
    Endpoint("GET", V1 + "/workers/{m}/coverage?on=2025-03-01", "lookup", region="12.71"),
    Endpoint("GET", V1 + "/workers/{m}/history", "read", region="12.71"),
    Endpoint("POST", V1 + "/workers/{m}/corrections", "write",
             {"reason": "alamat baru", "address": "Jl. Sisingamangaraja 1"}, region="12.71"),
    Endpoint("GET", V1 + "/workers/{m}/access-log", "accesslog", region="12.71"),
    Endpoint("PUT", V1 + "/regions/12.22/targets/2022", "write",
             {"workforce": 60000, "target_percent": 40}),
    Endpoint("GET", V1 + "/regions/12.22/coverage?on=2022-11-01", "read"),
    Endpoint("GET", V1 + "/regions/12.22/contributions?from=2022-10&to=2022-12", "read"),
    Endpoint("GET", V1 + "/events", "list"),
    Endpoint("GET", V1 + "/audit/backdated", "list"),
    Endpoint("GET", V1 + "/audit/integrity", "integrity"),
    Endpoint("GET", V1 + "/log/checkpoint", "log"),
    # Position 2 is the 12.22 PKS's signing (1 is the admin token's issue).
    Endpoint("GET", V1 + "/log/proof?position=2", "read"),
    Endpoint("GET", V1 + "/log/consistency?from=1&to=2", "log"),
    Endpoint("POST", V1 + "/log/cosignatures", "cosign",
             {"checkpoint": "localhost/registry\n1\nAA==\n", "cosignature": "\u2014 w AAAA"}),
    Endpoint("GET", V1 + "/workers/{w}/coverage/certificate?on=2022-11-01", "read"),
    Endpoint("GET", V1 + "/workers/{m}/coverage/certificate?on=2025-03-01", "read",
             region="12.71"),
    # Corrections files: each row is checked against the token's regions (a row outside
    # them is rejected as an unknown agreement), so a preview answers 200 to any writer.
    Endpoint("POST", V1 + "/corrections/preview", "corrections",
             {"reason": "salah input", "corrections": [
                 {"action": "void", "agreement_number": "PKS-LABUSEL-2022", "nik": nik(2)}]}),
    Endpoint("POST", V1 + f"/corrections/{NO_PREVIEW}/apply", "corrections", {}),
    # Contributions: the world has October billed and paid by PAID_REFERENCE.
    Endpoint("POST", V1 + "/agreements/{a}/invoices", "write", {"month": "2022-11"}),
    Endpoint("POST", V1 + "/agreements/{a}/payments", "write",
             {"amount_idr": 1000, "paid_on": "2022-11-10", "reference": "VA-2"}),
    Endpoint("POST", V1 + "/agreements/{a}/payments/SP2D-W-1/reversal", "write",
             {"reason": "salah rekening"}),
    Endpoint("GET", V1 + "/agreements/{a}/ledger", "read"),
    Endpoint("GET", V1 + "/regions/12.22/arrears", "read"),
    # Findings for auditors and admins, as the integrity check is.
    Endpoint("GET", V1 + "/audit/paid-after-death", "integrity"),
]

# Callers: (role, regions) for real tokens, or how the header goes wrong.
CALLERS = {
    "no token": None,
    "a Basic header": "Basic x",
    "a bare Bearer": "Bearer",
    "an unknown token": "unknown",
    "a revoked token": "revoked",
    "admin": ("admin",),
    "an auditor": ("auditor",),
    "a registrar of 12.22": ("registrar", "12.22"),
    "a registrar of 12": ("registrar", "12"),
    "a registrar of 36.73": ("registrar", "36.73"),
    "an auditor of 36.73": ("auditor", "36.73"),
    "an admin of 12.22": ("admin", "12.22"),
    "an admin of 36.73": ("admin", "36.73"),
}
UNAUTHENTICATED = {"no token", "a Basic header", "a bare Bearer", "an unknown token",
                   "a revoked token"}
BLIND = {"a registrar of 36.73", "an auditor of 36.73", "an admin of 36.73"}  # cannot see 12.22


def sees(who: str, region: str) -> bool:
    """Whether the caller's token reaches the region."""
    scopes = CALLERS[who][1:]
    return not scopes or any(region == s or region.startswith(s + ".") for s in scopes)


def expected(endpoint: Endpoint, who: str) -> tuple[int, str | None]:
    """The rule table: (status, problem code or None for a success)."""
    if endpoint.kind == "public":
        return 200, None
    if who in UNAUTHENTICATED:
        return 401, "unauthorized"
    role = CALLERS[who][0]
    if endpoint.kind == "integrity":
        return (403, "forbidden") if role == "registrar" else (200, None)
    if endpoint.kind in ("list", "lookup", "log"):
        return 200, None
    if endpoint.kind == "cosign":  # an admin's body is no verifiable cosignature
        return (422, "validation_failed") if role == "admin" else (403, "forbidden")
    if endpoint.kind == "corrections":  # writes, whose rows are checked region by region
        if role == "auditor":
            return 403, "forbidden"
        return (404, "not_found") if NO_PREVIEW in endpoint.path else (200, None)
    blind = not sees(who, endpoint.region)
    if endpoint.kind == "sign":   # scoped admins are held to their regions too
        return (403, "forbidden") if role == "auditor" or blind else (201, None)
    if blind:             # invisible comes first: an auditor of 36.73 writing is 404 too
        return 404, "not_found"
    if endpoint.kind == "accesslog" and role == "registrar":
        return 403, "forbidden"
    if endpoint.kind == "admin" and role != "admin":
        return 403, "forbidden"
    if endpoint.kind == "write" and role == "auditor":
        return 403, "forbidden"
    return 200, None      # any 2xx


# Known product bugs, keyed by (endpoint, caller): reason.
BUGS: dict[tuple[str, str], str] = {}


def cases(reads: bool) -> list[Any]:
    """Every (endpoint, caller) pair of the reads (GET) or of the writes."""
    out = []
    for endpoint in ENDPOINTS:
        if (endpoint.method == "GET") != reads:
            continue
        for who in CALLERS:
            status, code = expected(endpoint, who)
            verdict = f"{code or 'ok'} {status}"
            marks = ([pytest.mark.xfail(strict=True, reason="BUG: " + BUGS[str(endpoint), who])]
                     if (str(endpoint), who) in BUGS else [])
            out.append(pytest.param(endpoint, who, id=f"{endpoint} as {who} is {verdict}",
                                    marks=marks))
    return out


def build_world(registry: Registry, client: Any) -> dict[str, str]:
    """Region 12.22: a PKS with two enrolled workers, and a coverage target for 2022;
    Kota Medan: a PKS with one worker."""
    admin = Caller(client, registry.tokens.create(f"world-{uuid.uuid4().hex[:8]}", "admin", []))
    signed = admin.post(V1 + "/agreements", json=labusel_pks())
    assert signed.status_code == 201, signed.get_data(as_text=True)
    agreement_id = signed.json["id"]
    for i in (1, 2):
        enrolled = admin.post(f"{V1}/agreements/{agreement_id}/enrollments",
                              json=enrollment_body(i))
        assert enrolled.status_code == 201, enrolled.get_data(as_text=True)
    target = admin.put(V1 + "/regions/12.22/targets/2022",
                       json={"workforce": 50000, "target_percent": 30})
    assert target.status_code == 200, target.get_data(as_text=True)
    invoiced = admin.post(f"{V1}/agreements/{agreement_id}/invoices", json={"month": "2022-10"})
    assert invoiced.status_code == 201, invoiced.get_data(as_text=True)
    paid = admin.post(f"{V1}/agreements/{agreement_id}/payments", json={
        "amount_idr": 33_600, "paid_on": "2022-10-10", "reference": "SP2D-W-1"})
    assert paid.status_code == 201, paid.get_data(as_text=True)
    medan = admin.post(V1 + "/agreements", json=medan_pks())
    assert medan.status_code == 201, medan.get_data(as_text=True)
    enrolled = admin.post(f"{V1}/agreements/{medan.json['id']}/enrollments", json={
        "nik": medan_nik(1), "name": "Butet Siregar", "occupation": "pedagang",
        "starts_on": "2025-02-01"})
    assert enrolled.status_code == 201, enrolled.get_data(as_text=True)
    return {"a": agreement_id, "w": nik(1), "w2": nik(2), "m": medan_nik(1)}


@dataclass(frozen=True)
class World:
    """The data `build_world` made (ids by placeholder), and what serves it."""

    registry: Registry
    client: Any
    data: dict[str, str]


@pytest.fixture
def world(registry: Registry, client: Any) -> World:
    """A world of its own, for a case that may write."""
    return World(registry, client, build_world(registry, client))


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for every case that only reads: each checks that it wrote no event."""
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix')}/registry.db"
    registry = Registry.open(Settings.from_env({"REGISTRY_DATABASE_URL": url}))
    client = create_app(registry=registry).test_client()
    yield World(registry, client, build_world(registry, client))
    registry.close()


def headers_of(registry: Any, who: str) -> dict[str, str]:
    spec = CALLERS[who]
    if spec is None:
        return {}
    if spec in ("Basic x", "Bearer"):
        return {"Authorization": spec}
    name = f"t-{uuid.uuid4().hex[:8]}"
    if spec == "unknown":
        return {"Authorization": "Bearer rgt_" + uuid.uuid4().hex}
    token = registry.tokens.create(name, *(("registrar", []) if spec == "revoked"
                                           else (spec[0], list(spec[1:]))))
    if spec == "revoked":
        assert registry.tokens.revoke(name)
    return {"Authorization": f"Bearer {token}"}


def call(client: Any, endpoint: Endpoint, world: dict[str, str], headers: dict[str, str]) -> Any:
    path = endpoint.path.format(**world)
    response = client.open(path, method=endpoint.method, headers=headers,
                           json=endpoint.body if endpoint.method != "GET" else None)
    response.get_data()   # read it all, then close: static files are streamed
    response.close()
    return response


def mentions_12_22(text: str, world: dict[str, str]) -> bool:
    """Whether an answer carries anything of the 12.22 data set up by `world`."""
    return any(s in text for s in (world["a"], world["w"], world["w2"], '"12.22"'))


def answers_as_the_rule_table_says(world: World, endpoint: Endpoint, who: str) -> None:
    registry, client, data = world.registry, world.client, world.data
    headers = headers_of(registry, who)
    head_before = registry.app.head_position()
    response = call(client, endpoint, data, headers)
    status, code = expected(endpoint, who)
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text
    if code is None and status != 201:
        assert 200 <= response.status_code < 300, text
    else:
        assert response.status_code == status, text
    if response.status_code >= 400:
        assert_problem(response, response.status_code, code or "")
        assert registry.app.head_position() == head_before, "a refused request wrote events"
    if endpoint.method == "GET":   # so the reads may share a world
        assert registry.app.head_position() == head_before, "a read wrote events"
    if status == 401:
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), text
    if endpoint.kind in ("list", "integrity") and code is None:
        # Scoped lists show 12.22 to those who see it, and nothing of it to others.
        assert mentions_12_22(text, data) == (
            who not in BLIND and endpoint.kind != "integrity"), text
    if endpoint.kind == "lookup" and code is None:   # the NIK asked is echoed, nothing else
        seen = sees(who, endpoint.region)
        assert (response.json["covered"], f'"{endpoint.region}"' in text) == (seen, seen), text
        if endpoint.region == "12.22":
            assert (data["a"] in text) == seen, text
    if endpoint.region == "12.71" and (who in UNAUTHENTICATED or not sees(who, "12.71")):
        assert "Butet" not in text and "Siregar" not in text, text


@pytest.mark.parametrize(("endpoint", "who"), cases(reads=True))
def test_a_read_answers_the_caller_as_the_rule_table_says(
        shared_world: World, endpoint: Endpoint, who: str) -> None:
    answers_as_the_rule_table_says(shared_world, endpoint, who)


@pytest.mark.parametrize(("endpoint", "who"), cases(reads=False))
def test_a_write_answers_the_caller_as_the_rule_table_says(
        world: World, endpoint: Endpoint, who: str) -> None:
    answers_as_the_rule_table_says(world, endpoint, who)


def test_the_matrix_covers_every_route_the_app_serves(app: Any) -> None:
    served = {(method, rule.rule) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}
              if rule.endpoint != "static"
              # The pages have their own matrix: tests/ui/test_page_scopes.py.
              and not rule.rule.startswith("/ui") and rule.rule != "/"}
    normalise = {"{a}": "<uuid:agreement_id>", "{w}": "<nik:nik>", "{w2}": "<nik:nik>",
                 "{m}": "<nik:nik>",
                 "12.22": "<string:code>", "2022": "<target_year:year>",
                 "swagger-ui.css": "<path:filename>", NO_PREVIEW: "<string:preview_id>",
                 "SP2D-W-1": "<path:reference>"}
    listed = set()
    for endpoint in ENDPOINTS:
        path = endpoint.path.split("?")[0]
        for placeholder, converter in normalise.items():
            path = path.replace(placeholder, converter)
        listed.add((endpoint.method, path))
    assert served == listed


@pytest.mark.parametrize("who", sorted(BLIND))
def test_a_token_outside_12_22_cannot_learn_12_22_exists_by_asking_for_unknown_ids(
        shared_world: World, who: str) -> None:
    """404 for a real 12.22 agreement and for a made-up one must be indistinguishable."""
    registry, client, world = shared_world.registry, shared_world.client, shared_world.data
    headers = headers_of(registry, who)
    real = client.get(f"{V1}/agreements/{world['a']}", headers=headers)
    fake = client.get(f"{V1}/agreements/{uuid.uuid4()}", headers=headers)
    assert (real.status_code, fake.status_code) == (404, 404)
    assert_problem(real, 404, "not_found")
    def strip(r: Any) -> dict[str, Any]:
        return {k: v for k, v in r.get_json(force=True).items()
                if k not in ("detail", "instance", "request_id")}

    assert strip(real) == strip(fake)
    assert world["a"] not in json.dumps({k: v for k, v in real.get_json(force=True).items()
                                         if k != "detail"})


@pytest.mark.parametrize("path", [
    V1 + "/agreements?region_code=12.22", V1 + "/agreements?region_code=12",
    V1 + "/agreements?kind=PKS&status=active&on=2022-11-01", V1 + "/events?after=0&limit=500",
    V1 + "/audit/backdated?min_days=0",
])
@pytest.mark.parametrize("who", sorted(BLIND))
def test_filters_on_scoped_lists_never_reach_into_12_22_from_outside(
        shared_world: World, who: str, path: str) -> None:
    registry, client, world = shared_world.registry, shared_world.client, shared_world.data
    response = client.get(path, headers=headers_of(registry, who))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert not mentions_12_22(response.get_data(as_text=True), world)
    admin_view = client.get(path, headers=headers_of(registry, "admin"))
    assert mentions_12_22(admin_view.get_data(as_text=True), world)   # the filter does match


@pytest.mark.parametrize(("who", "status"), [
    ("a registrar of 12", 200), ("a registrar of 12.22", 404), ("a registrar of 36.73", 404),
    ("an auditor of 36.73", 404), ("an auditor", 200)])
def test_province_coverage_counts_12_22_only_for_tokens_that_see_the_whole_province(
        shared_world: World, who: str, status: int) -> None:
    registry, client = shared_world.registry, shared_world.client
    response = client.get(V1 + "/regions/12/coverage?on=2022-11-01",
                          headers=headers_of(registry, who))
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 404:
        assert_problem(response, 404, "not_found")
    else:
        assert response.json["covered_workers"] == 2
