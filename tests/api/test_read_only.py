"""A read-only registry (`registry serve --read-only`, REGISTRY_READ_ONLY=1, or a copy made
for an investigation) refuses every write under /api/v1 with `405 read_only` and writes
nothing; reads and the pages work."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from api.app import bind
from registry.bootstrap import Registry
from registry.config import ConfigurationError, Settings
from registry.service.readonly import ReadOnly
from tests.builders import CTX, enrollment_body, labusel_pks
from tests.callers import Caller, assert_problem
from tests.time_travel import everything
from tests.ui.conftest import log_in

READS = {"GET", "HEAD", "OPTIONS"}


@pytest.fixture
def world(admin: Caller) -> dict[str, str]:
    agreement = admin.post("/api/v1/agreements", json=labusel_pks()).json["id"]
    batch = {"workers": [enrollment_body(1), enrollment_body(2)]}
    assert admin.post(f"/api/v1/agreements/{agreement}/enrollments/batch",
                      json=batch).status_code == 201
    return {"agreement": agreement, "nik": enrollment_body(1)["nik"]}


@pytest.fixture
def read_only(settings: Settings, registry: Registry, app: Any, world: Any,
              ) -> Iterator[Registry]:
    """The same database opened read-only, served by the app."""
    opened = Registry.open(dataclasses.replace(settings, read_only=True))
    bind(app, opened)
    yield opened
    bind(app, registry)
    opened.close()


def write_routes(app: Any, world: dict[str, str]) -> list[tuple[str, str]]:
    """(method, path) of every route under /api/v1 that takes a write, placeholders filled."""
    values = {"uuid": world["agreement"], "string": world["nik"], "nik": world["nik"],
              "int": "2022", "target_year": "2022",
              "path": "x"}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:(\w+):)?(\w+)>",
                      lambda m: values.get(m.group(1) or "string", "x"), rule.rule)
        path = path.replace(f"/regions/{world['nik']}", "/regions/12.22")
        found += [(method, path) for method in sorted(rule.methods - READS)]
    return found


def test_every_write_route_answers_405_read_only_and_writes_nothing(
        read_only: Registry, app: Any, world: Any) -> None:
    caller = Caller(app.test_client(), _token(read_only, "admin"))
    before = everything(read_only)
    routes = write_routes(app, world)
    assert len(routes) >= 10, routes  # every kind of write is there

    for method, path in routes:
        answer = caller.client.open(path, method=method, json={"reason": "x"},
                                    headers={**caller.headers,
                                             "Idempotency-Key": uuid.uuid4().hex})
        body = assert_problem(answer, 405, "read_only")
        assert "read-only" in body["detail"], body
        allowed = {m.strip() for m in answer.headers["Allow"].split(",") if m.strip()}
        assert allowed <= READS, (method, path, allowed)

    assert everything(read_only) == before


def test_the_allow_header_names_the_reads_a_route_still_takes(
        read_only: Registry, app: Any, world: Any) -> None:
    caller = Caller(app.test_client(), _token(read_only, "admin"))
    listing = caller.post("/api/v1/agreements", json=labusel_pks(agreement_number="PKS-2"))
    only_writes = caller.post(f"/api/v1/agreements/{world['agreement']}/termination",
                              json={"ends_on": "2022-11-30", "reason": "x"})
    assert {m.strip() for m in listing.headers["Allow"].split(",")} == READS
    assert_problem(only_writes, 405, "read_only")
    assert only_writes.headers["Allow"] == "OPTIONS"  # every route answers OPTIONS


def test_reads_answer_as_before(registry: Registry, admin: Caller, read_only: Registry,
                                app: Any, world: Any) -> None:
    paths = ["/api/v1/agreements", f"/api/v1/agreements/{world['agreement']}",
             f"/api/v1/agreements/{world['agreement']}/enrollments",
             f"/api/v1/workers/{world['nik']}/coverage?on=2022-11-01", "/api/v1/events",
             f"/api/v1/agreements/{world['agreement']}/contributions?from=2022-10&to=2022-12"]
    bind(app, registry)
    before = [admin.get(path).json for path in paths]
    bind(app, read_only)
    assert [admin.get(path).json for path in paths] == before
    health = admin.get("/health").json
    assert health["read_only"] is True and "copy" not in health


def test_unauthenticated_writes_are_still_401(read_only: Registry, app: Any) -> None:
    assert_problem(app.test_client().post("/api/v1/agreements", json={}), 401, "unauthorized")


def test_an_unknown_route_is_still_404(read_only: Registry, app: Any) -> None:
    caller = Caller(app.test_client(), _token(read_only, "admin"))
    assert caller.post("/api/v1/nowhere", json={}).status_code == 404


def test_the_pages_log_in_and_show_on_a_read_only_registry(
        read_only: Registry, app: Any, world: Any) -> None:
    browser = app.test_client()
    assert log_in(browser, _token(read_only, "auditor")).status_code == 303
    page = browser.get(f"/ui/workers/{world['nik']}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    assert "Registri dilayani hanya-baca" in page.get_data(as_text=True)


def test_the_application_refuses_every_save(read_only: Registry) -> None:
    head = read_only.app.head_position()
    with pytest.raises(ReadOnly, match="REGISTRY_READ_ONLY"):
        read_only.tokens.create("someone", "admin", [], ctx=CTX)
    assert read_only.app.head_position() == head


@pytest.mark.parametrize(("raw", "read_only"), [
    ("1", True), ("true", True), ("0", False), ("", False), ("no", False)])
def test_registry_read_only_is_read_from_the_environment(raw: str, read_only: bool) -> None:
    assert Settings.from_env({"REGISTRY_READ_ONLY": raw}).read_only is read_only


def test_a_bad_registry_read_only_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="REGISTRY_READ_ONLY must be 1 or 0"):
        Settings.from_env({"REGISTRY_READ_ONLY": "maybe"})


def _token(read_only: Registry, role: str) -> str:
    """A token made on the same database while it was writable (read-only, none can be)."""
    writable = Registry.open(dataclasses.replace(read_only.settings, read_only=False))
    try:
        return writable.tokens.create(f"{role}-{uuid.uuid4().hex[:8]}", role, [])
    finally:
        writable.close()
