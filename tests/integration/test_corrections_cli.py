"""`registry corrections preview|apply FILE` on both engines: the same preview as the API,
as tables a person reads, and a write only once confirmed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from registry.entrypoints.cli import main
from tests.builders import enroll_worker, nik, sign_labusel_pks

LABUSEL = "PKS-LABUSEL-2022"


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {"REGISTRY_DATABASE_URL": database_url}


@pytest.fixture
def deaths(registry: Any, tmp_path: Path) -> Path:
    """Workers 1 to 3 of the Labuhanbatu Selatan PKS; a file saying two of them died."""
    labusel = sign_labusel_pks(registry)
    for i in range(1, 4):
        enroll_worker(registry, labusel, i)
    path = tmp_path / "deaths.csv"
    path.write_text("action,agreement_number,nik,ends_on,reason_code\n"
                    f"disenroll,{LABUSEL},{nik(1)},2022-11-10,DECEASED\n"
                    f"disenroll,{LABUSEL},{nik(2)},2022-11-10,DECEASED\n")
    return path


def invoke(env: dict[str, str], *args: str, answer: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), env=env, input=answer)


def test_preview_prints_the_workers_the_rupiah_with_their_total_and_the_quota(
        registry, env, deaths):
    before = registry.app.head_position()
    result = invoke(env, "corrections", "preview", str(deaths), "--reason", "Dukcapil")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 rows ok, 0 rejected" in out
    assert f"{nik(1)}  {LABUSEL} 2022-10-01..2022-12-31  {LABUSEL} 2022-10-01..2022-11-10" in out
    assert f"{LABUSEL}  2022-12  3 -> 1   Rp 50,400  Rp 16,800  -Rp 33,600" in out
    assert "total difference: -Rp 33,600" in out
    assert f"{LABUSEL}  1     2000   3       1" in out
    assert registry.app.head_position() == before


def test_preview_as_json_is_the_apis_answer(env, deaths):
    result = invoke(env, "corrections", "preview", str(deaths), "--reason", "x", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert {"preview_id", "based_on_position", "rows", "changes", "ok", "rejected"} <= set(answer)
    assert [c["month"] for c in answer["changes"]["contributions"]] == ["2022-12"]


def test_apply_asks_first_and_writes_nothing_when_told_no(registry, env, deaths):
    before = registry.app.head_position()
    refused = invoke(env, "corrections", "apply", str(deaths), "--reason", "x", answer="n\n")
    assert refused.exit_code == 1
    assert "Apply these corrections?" in refused.output
    assert registry.app.head_position() == before
    applied = invoke(env, "corrections", "apply", str(deaths), "--reason", "x", answer="y\n")
    assert applied.exit_code == 0, applied.output
    assert "applied: 2 disenroll" in applied.output
    assert registry.app.get_worker(nik(1)).deceased_on.isoformat() == "2022-11-10"


def test_apply_with_yes_does_not_ask_and_a_rejected_row_writes_nothing(registry, env, deaths,
                                                                        tmp_path):
    assert invoke(env, "corrections", "apply", str(deaths), "--reason", "x",
                  "--yes").exit_code == 0
    written = registry.app.head_position()
    again = invoke(env, "corrections", "apply", str(deaths), "--reason", "x", "--yes")
    assert again.exit_code == 1
    assert "REJECTED ROWS" in again.output and "invalid_transition" in again.output
    assert registry.app.head_position() == written
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"corrections": [{"action": "void", "nik": nik(3)}]}))
    result = invoke(env, "corrections", "preview", str(bad))
    assert result.exit_code == 1
    assert "validation_failed" in result.output
