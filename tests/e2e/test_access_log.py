"""The access log under `registry serve`: reads through two tokens, served by any of
its processes, are listed for the worker; an edited record fails `registry verify`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from registry.config import Database
from registry.store.db import SqlStore
from tests.builders import enrollment_body, labusel_pks, nik
from tests.e2e.servers import REGISTRY

pytestmark = pytest.mark.e2e


def shown(server: Any, headers: dict[str, str], number: str, wanted: int) -> list[Any]:
    """The worker's "shown" records once `wanted` are there: a process other than the
    one answering writes its records within a fraction of a second."""
    deadline = time.monotonic() + 10
    while True:
        answer = requests.get(server.url(f"/api/v1/workers/{number}/access-log"),
                              headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        found = [r for r in answer.json()["items"] if r["outcome"] == "shown"]
        if len(found) >= wanted or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def verify(server: Any, folder: Path) -> subprocess.CompletedProcess[str]:
    """`registry verify` where serve runs: the signing key (the chain's key) is there."""
    return subprocess.run([REGISTRY, "verify"], env=server.env, cwd=folder, capture_output=True,
                          text=True, timeout=120, check=False)


def test_reads_with_two_tokens_are_listed_and_an_edited_record_fails_verify(
        server, admin_headers, tmp_path):
    auditor = {"Authorization": f"Bearer {server.token('auditor', 'bpk-auditor')}"}
    created = requests.post(server.url("/api/v1/agreements"), headers=admin_headers,
                            json=labusel_pks(), timeout=30)
    assert created.status_code == 201, created.text
    enrolled = requests.post(server.url(f"/api/v1/agreements/{created.json()['id']}"
                                        "/enrollments"),
                             headers=admin_headers, json=enrollment_body(1), timeout=30)
    assert enrolled.status_code == 201, enrolled.text
    # Several reads each, so that both of serve's processes answer some.
    for _ in range(3):
        assert requests.get(server.url(f"/api/v1/workers/{nik(1)}"), timeout=30, headers={
            **admin_headers, "X-Purpose": "klaim JKK"}).status_code == 200
        assert requests.get(server.url(f"/api/v1/workers/{nik(1)}/coverage"), timeout=30,
                            headers={**auditor, "X-Purpose": "audit BPK"}).status_code == 200
    records = shown(server, admin_headers, nik(1), 6)
    assert sorted({(r["actor"], r["role"], r["route"], r["purpose"]) for r in records}) == [
        ("bpk-auditor", "auditor", "/api/v1/workers/<nik:nik>/coverage", "audit BPK"),
        ("e2e-admin", "admin", "/api/v1/workers/<nik:nik>", "klaim JKK")]
    assert len(records) == 6
    intact = verify(server, tmp_path)
    assert intact.returncode == 0 and "access records: intact, 6 checked" in intact.stdout
    # Someone with the database but not the key file rewrites who read the worker.
    store = SqlStore(Database.from_url(server.env["REGISTRY_DATABASE_URL"]))
    try:
        with store.transaction(write=True) as cur:
            cur.execute("UPDATE worker_access SET actor = 'someone-else' WHERE id = ?",
                        (records[1]["id"],))
    finally:
        store.close()
    tampered = verify(server, tmp_path)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert f"ACCESS RECORDS TAMPERED: first bad record {records[1]['id']}" in tampered.stderr
