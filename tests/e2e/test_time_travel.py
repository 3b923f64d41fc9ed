"""Time travel end to end, as an investigator runs it: `registry replay --until N --into URL`
from a registry that is being served, a token on the copy, `registry serve --read-only` on
it; and `registry serve --read-only` on a registry of its own. Both engines."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.builders import enrollment_body, labusel_pks
from tests.e2e.servers import REGISTRY, Server, cli, start_server, stop_server
from tests.time_travel import copy_url

pytestmark = pytest.mark.e2e
__all__ = ["copy_url"]  # a fixture

READS = [
    "/api/v1/agreements",
    "/api/v1/agreements/{a}",
    "/api/v1/agreements/{a}/enrollments?on=2022-11-01",
    "/api/v1/agreements/{a}/contributions?from=2022-10&to=2022-12",
    "/api/v1/agreements/{a}/history",
    "/api/v1/workers/{w}",
    "/api/v1/workers/{w}/coverage?on=2022-11-01",
    "/api/v1/workers/{w}/history",
    "/api/v1/regions/12.22/coverage?on=2022-11-01",
    "/api/v1/events",
    "/api/v1/log/checkpoint",
]


def answers(server: Server, token: str, world: dict[str, str]) -> list[tuple[str, Any]]:
    found = []
    for path in READS:
        url = server.url(path.format(a=world["a"], w=world["w"]))
        got = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert got.status_code == 200, (path, got.text)
        # The checkpoint's signature is the copy's key's: compare what it signs.
        body = got.json() if "json" in got.headers["Content-Type"] else got.text.split("\n\n")[0]
        found.append((path, body))
    return found


def post(server: Server, token: str, path: str, body: Any) -> requests.Response:
    return requests.post(server.url(path), json=body, timeout=60,
                         headers={"Authorization": f"Bearer {token}"})


def test_an_investigator_serves_a_copy_as_of_a_position_and_it_answers_as_then(
        database_url: str, copy_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    source = start_server(database_url, tmp_path)
    try:
        admin = source.token()
        a = post(source, admin, "/api/v1/agreements", labusel_pks()).json()["id"]
        batch = post(source, admin, f"/api/v1/agreements/{a}/enrollments/batch",
                     {"workers": [enrollment_body(i) for i in range(1, 6)]}).json()
        world = {"a": a, "w": enrollment_body(1)["nik"]}
        position = batch["position"]
        then = answers(source, admin, world)
        # The registry goes on: a death, a termination, more workers.
        assert post(source, admin, f"/api/v1/agreements/{a}/enrollments/{world['w']}/"
                    "disenrollment", {"ends_on": "2022-11-10",
                                      "reason_code": "DECEASED"}).status_code == 200
        assert post(source, admin, f"/api/v1/agreements/{a}/enrollments/batch",
                    {"workers": [enrollment_body(i) for i in range(6, 9)]}).status_code == 201
        assert answers(source, admin, world) != then

        # Built from the registry while it is being served: it only reads it.
        built = subprocess.run(
            [REGISTRY, "replay", "--until", str(position), "--into", copy_url],
            env={**source.env}, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert built.returncode == 0, built.stderr
        assert "registry serve --read-only" in built.stderr  # the next steps, printed
        head = requests.get(source.url("/api/v1/log/checkpoint"), timeout=30,
                            headers={"Authorization": f"Bearer {admin}"}).text
    finally:
        stop_server(source)

    # The copy has a master key of its own; the command says where.
    copy_key = re.search(r"REGISTRY_MASTER_KEY_FILE='([^']+)'", built.stderr).group(1)
    monkeypatch.setenv("REGISTRY_MASTER_KEY_FILE", copy_key)
    copy_env = {**os.environ, "REGISTRY_DATABASE_URL": copy_url}
    investigator = cli(copy_env, "tokens", "create", "--role", "auditor",
                       "--name", "investigator")
    folder = tmp_path / "investigation"
    folder.mkdir()
    copy = start_server(copy_url, folder, serve_args=("--read-only",))
    try:
        assert answers(copy, investigator, world) == then
        refused = post(copy, investigator, f"/api/v1/agreements/{a}/termination",
                       {"ends_on": "2022-11-30", "reason": "x"})
        assert refused.status_code == 405 and refused.json()["code"] == "read_only"
        health = requests.get(copy.url("/health"), timeout=30).json()
        assert health["read_only"] is True
        assert health["copy"]["position"] == position
        login = requests.get(copy.url("/ui/login"), timeout=30)
        assert login.status_code == 200
        assert f"sebagaimana keadaannya pada posisi {position:,}".replace(",", ".") in login.text
        time.sleep(1.5)  # what a projection process would have done by now
        again = requests.get(copy.url("/health"), timeout=30).json()
        assert again["status"] == "ok" and set(again["projections"].values()) == {0}
    finally:
        stop_server(copy)
    # The source's token does not open the copy; the copy's never reached the source.
    assert "investigator" not in head
    listed = subprocess.run([REGISTRY, "tokens", "list"], env={**source.env},
                            capture_output=True, text=True, timeout=60)
    assert "investigator" not in listed.stdout


def test_serve_read_only_refuses_writes_on_a_registry_of_its_own_and_keeps_reading(
        sqlite_url: str, tmp_path: Path) -> None:
    # The refusal is the app's, before any engine is reached: one engine is enough here.
    writable = start_server(sqlite_url, tmp_path)
    try:
        admin = writable.token()
        a = post(writable, admin, "/api/v1/agreements", labusel_pks()).json()["id"]
        world = {"a": a, "w": enrollment_body(1)["nik"]}
        assert post(writable, admin, f"/api/v1/agreements/{a}/enrollments",
                    enrollment_body(1)).status_code == 201
        before = answers(writable, admin, world)
    finally:
        stop_server(writable)

    server = start_server(sqlite_url, tmp_path, serve_args=("--read-only",))
    try:
        for path, body in [(f"/api/v1/agreements/{a}/enrollments", enrollment_body(2)),
                           ("/api/v1/agreements", labusel_pks(agreement_number="PKS-2"))]:
            refused = post(server, admin, path, body)
            assert refused.status_code == 405, refused.text
            assert refused.json()["code"] == "read_only"
        assert answers(server, admin, world) == before
        assert requests.get(server.url("/health"), timeout=30).json()["read_only"] is True
        tokens = subprocess.run([REGISTRY, "tokens", "create", "--role", "admin", "--name",
                                 "x"], env={**server.env, "REGISTRY_READ_ONLY": "1"},
                                capture_output=True, text=True, timeout=60)
        assert tokens.returncode == 1 and "read-only" in tokens.stderr
    finally:
        stop_server(server)
