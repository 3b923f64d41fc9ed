"""`registry keys rotate` refuses while `registry serve` runs on the store, and a server
does not start while a rotation runs (registry/store/serving.py): a server keeps the
master key in memory, and the keys it wrapped after a rotation would open with none."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from registry.bootstrap import Registry
from registry.config import Settings
from registry.domain import nik as niks
from registry.entrypoints.bench.harness import BenchError
from registry.store import serving
from tests.builders import sign_and_enroll_three
from tests.e2e.servers import REGISTRY, start_server, stop_server

pytestmark = pytest.mark.e2e


def rotate(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REGISTRY, "keys", "rotate"], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


def test_a_rotation_is_refused_while_a_server_runs_and_done_once_it_has_stopped(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    master = tmp_path / "master.key"
    monkeypatch.setenv("REGISTRY_MASTER_KEY_FILE", str(master))
    registry = Registry.open(Settings.from_env({"REGISTRY_DATABASE_URL": database_url,
                                                "REGISTRY_MASTER_KEY_FILE": str(master)}))
    try:
        sign_and_enroll_three(registry)
    finally:
        registry.close()
    before = master.read_bytes()

    server = start_server(database_url, tmp_path)
    try:
        refused = rotate(server.env, tmp_path)
        assert refused.returncode == 1, refused.stderr
        assert ("`registry serve`, or another registry command, is running on this store: "
                "stop it first") in refused.stderr
        assert "Traceback" not in refused.stderr
        # Nothing was begun: the key in place, no new or retired one beside it.
        assert master.read_bytes() == before
        assert sorted(p.name for p in tmp_path.glob("master.key*")) == ["master.key"]
    finally:
        stop_server(server)

    rotated = rotate(server.env, tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    assert "rotated: 3 data keys" in rotated.stdout
    assert master.read_bytes() != before

    again = start_server(database_url, tmp_path)  # on the new key
    try:
        worker = niks.make("12.22", 1, date(1970, 1, 1), "M", 0)
        answer = again.session.get(again.url(f"/api/v1/workers/{worker}"), timeout=30,
                                   headers={"Authorization": f"Bearer {again.token()}"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["name"] == "W0"
    finally:
        stop_server(again)


def test_a_server_does_not_start_while_a_rotation_runs(
        database_url: str, tmp_path: Path) -> None:
    store = Settings.from_env({"REGISTRY_DATABASE_URL": database_url}).database
    with serving.alone(store), pytest.raises(BenchError) as refused:
        start_server(database_url, tmp_path)
    assert "`registry keys rotate` is running on this store" in str(refused.value)
    assert "Traceback" not in str(refused.value)


def test_a_rotation_is_refused_while_another_command_has_the_store_open(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from registry.entrypoints.cli import main
    from registry.entrypoints.opening import opened

    monkeypatch.setenv("REGISTRY_DATABASE_URL", database_url)
    monkeypatch.setenv("REGISTRY_MASTER_KEY_FILE", str(tmp_path / "master.key"))
    with opened():  # as `registry enroll` or `payments import` holds it while they run
        refused = CliRunner().invoke(main, ["keys", "rotate"])
    assert refused.exit_code == 1
    assert "another registry command, is running on this store" in refused.output
    assert CliRunner().invoke(main, ["keys", "rotate"]).exit_code == 0
