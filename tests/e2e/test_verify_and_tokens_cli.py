"""`registry verify` beyond the chain, and tokens that expire, run as a user would."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from registry.bootstrap import Registry
from registry.config import Settings
from registry.domain.token import digest
from tests.builders import sign_and_enroll_three
from tests.e2e.servers import REGISTRY, start_server, stop_server

pytestmark = pytest.mark.e2e


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    return subprocess.run([REGISTRY, *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)


def test_a_token_expires_after_the_days_given_and_the_list_says_when(tmp_path):
    created = run(tmp_path, "tokens", "create", "--role", "auditor", "--name", "bpk",
                  "--expires-in", "30")
    assert created.returncode == 0 and "expiring in 30 days" in created.stderr
    assert run(tmp_path, "tokens", "create", "--role", "admin", "--name", "ops").returncode == 0
    header, *rows = run(tmp_path, "tokens", "list").stdout.splitlines()
    assert header == "name\trole\tregions\tcreated_at\texpires_at\tstate"
    lifetimes = {}
    for row in rows:
        name, _, _, created_at, expires_at, state = row.split("\t")
        lifetimes[name] = datetime.fromisoformat(expires_at) - datetime.fromisoformat(created_at)
        assert state == "active"
    assert lifetimes == {"bpk": timedelta(days=30), "ops": timedelta(days=365)}
    refused = run(tmp_path, "tokens", "create", "--role", "admin", "--name", "x",
                  "--expires-in", "0")
    assert refused.returncode == 2 and "--expires-in" in refused.stderr


def test_verify_names_a_hand_inserted_token_and_with_read_models_an_edited_row(tmp_path):
    assert run(tmp_path, "tokens", "create", "--role", "admin", "--name", "ops").returncode == 0
    registry = Registry.open(Settings.from_env(
        {"REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}))
    sign_and_enroll_three(registry)
    registry.projections.catch_up()
    registry.close()
    assert run(tmp_path, "verify", "--read-models").returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute("INSERT INTO api_tokens (name, role, regions, token_hash, created_at) "
                   "VALUES ('intruder', 'admin', '[]', ?, '2026-01-01')", (digest("rgt_x"),))
        db.execute("UPDATE rm_enrollments SET covered_until = '2099-12-31'")
    plain = run(tmp_path, "verify")
    assert plain.returncode == 1 and plain.stdout.startswith("intact: 9 events checked")
    assert "TOKEN 'intruder': no TokenIssued event in the log" in plain.stderr
    assert "rm_enrollments" not in plain.stderr + plain.stdout
    full = run(tmp_path, "verify", "--read-models")
    assert full.returncode == 1
    assert "READ MODELS DIFFER from the log: 3 rows in all" in full.stderr
    named = [line for line in full.stderr.splitlines() if "rm_enrollments (enrollment_id=" in line]
    assert len(named) == 3
    assert all("covered_until is '2099-12-31' live, '2022-12-31' from the log" in line
               for line in named)
    with sqlite3.connect(tmp_path / "cli.db") as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'rmcheck%'"
                          ).fetchall() == []


def test_a_running_server_refuses_a_hand_inserted_token_and_verifies_beside_it(
        database_url, tmp_path):
    server = start_server(database_url, tmp_path)
    try:
        admin = {"Authorization": f"Bearer {server.token()}"}
        registry = Registry.open(Settings.from_env({"REGISTRY_DATABASE_URL": database_url}),
                                 create_tables=False)
        try:
            sign_and_enroll_three(registry)
            with registry.store.transaction(write=True) as cur:
                cur.execute("INSERT INTO api_tokens (name, role, regions, token_hash, "
                            "created_at) VALUES ('intruder', 'admin', '[]', ?, '2026-01-01')",
                            (digest("rgt_forged"),))
        finally:
            registry.close()
        forged = requests.get(server.url("/api/v1/agreements"), timeout=30,
                              headers={"Authorization": "Bearer rgt_forged"})
        assert forged.status_code == 401 and forged.json()["code"] == "unauthorized"
        answer = requests.get(server.url("/api/v1/audit/integrity?read_models=true"),
                              headers=admin, timeout=120).json()
        assert answer["chain_ok"] and answer["read_models"]["ok"]
        assert not answer["ok"] and answer["token_problems"][0]["name"] == "intruder"
        done = subprocess.run([REGISTRY, "verify", "--read-models"], env=server.env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 1 and "read models: as the log gives them" in done.stdout
        assert "TOKEN 'intruder'" in done.stderr
        assert requests.get(server.url("/api/v1/agreements"), headers=admin,
                            timeout=30).status_code == 200
    finally:
        stop_server(server)
