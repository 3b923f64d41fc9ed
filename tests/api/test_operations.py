"""/livez, /readyz and /metrics in one process; under gunicorn: tests/e2e/test_metrics.py."""

from __future__ import annotations

import pytest

from tests.builders import enrollment_body, labusel_pks, nik

PROBES = ("/livez", "/readyz", "/metrics")


@pytest.mark.parametrize("prefix", ["", "/api/v1"])
def test_the_probes_answer_without_a_token(client, registry, prefix):
    for probe in PROBES:
        assert client.get(prefix + probe).status_code == 200, probe
    assert client.get(prefix + "/livez").json == {"status": "ok"}
    ready = client.get(prefix + "/readyz").json
    assert ready["status"] == "ok" and set(ready["projections"]) == {
        p.name for p in registry.projections.projections}


def test_livez_touches_no_database(client, registry, monkeypatch):
    monkeypatch.setattr(registry.store, "transaction", lambda *a, **k: pytest.fail("queried"))
    assert client.get("/livez").status_code == 200


def test_readyz_is_503_while_the_database_is_unreachable(client, registry, monkeypatch):
    monkeypatch.setattr(registry.store, "ping", lambda: False)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json["reason"] == "database_unreachable"
    assert client.get("/livez").status_code == 200
    assert "registry_database_up 0.0" in client.get("/metrics").get_data(as_text=True)


def test_a_database_lost_after_the_ping_reads_as_unreachable(client, registry, monkeypatch):
    def lost(*_args):
        raise OSError("connection reset")

    monkeypatch.setattr(registry.projections, "lag", lost)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json["reason"] == "database_unreachable"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "registry_database_up 0.0" in metrics.get_data(as_text=True)


def test_readyz_is_503_while_read_models_are_built_for_this_version(client, registry):
    # As projections/runner.py marks a read model being built again after an upgrade.
    with registry.store.transaction(write=True) as cur:
        cur.execute("UPDATE projection_versions SET version = -version WHERE name = 'coverage'")
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json["reason"] == "read_models_building"
    assert "coverage" in answer.json["detail"]
    assert "registry_read_models_ready 0.0" in client.get("/metrics").get_data(as_text=True)


def requests_counted(text: str, route: str, status: str) -> float:
    """The count of GETs of `route` answered `status` (the counters are the process's:
    other tests in it count too)."""
    line = f'registry_http_requests_total{{method="GET",route="{route}",status="{status}"}} '
    found = [row for row in text.splitlines() if row.startswith(line)]
    return float(found[0][len(line):]) if found else 0.0


def test_metrics_count_requests_by_route_pattern_and_carry_no_personal_data(client, admin):
    token = admin.headers["Authorization"].split()[1]
    agreement = admin.post("/api/v1/agreements", json=labusel_pks()).json["id"]
    body = enrollment_body(7, name="Siti Kenanga")
    assert admin.post(f"/api/v1/agreements/{agreement}/enrollments", json=body).status_code == 201
    worker = "/api/v1/workers/<nik:nik>"
    before = client.get("/metrics").get_data(as_text=True)
    admin.get(f"/api/v1/workers/{nik(7)}")
    admin.get(f"/api/v1/workers/{nik(8)}")  # 404
    client.get(f"/no/such/{nik(9)}", headers={"Authorization": f"Bearer {token}"})
    answer = client.get("/metrics")
    assert answer.content_type.startswith("text/plain")
    text = answer.get_data(as_text=True)
    for route, status in ((worker, "200"), (worker, "404"), ("unmatched", "404")):
        assert requests_counted(text, route, status) == requests_counted(before, route,
                                                                         status) + 1
    assert f'registry_http_request_duration_seconds_count{{method="GET",route="{worker}"}}' in text
    assert "registry_events_written_total" in text and "registry_projection_lag_events{" in text
    for secret in (nik(7), nik(8), nik(9), nik(7)[-6:], "Siti", "Kenanga", token, agreement):
        assert secret not in text


def test_integrity_checks_on_from_the_last_check_unless_full(admin):
    admin.post("/api/v1/agreements", json=labusel_pks())
    first = admin.get("/api/v1/audit/integrity").json
    assert first["ok"] and first["from_position"] == 0
    admin.post("/api/v1/agreements", json=labusel_pks(agreement_number="PKS-2"))
    second = admin.get("/api/v1/audit/integrity").json
    assert second["from_position"] == first["head"]["position"] and second["checked"] == 1
    full = admin.get("/api/v1/audit/integrity?full=true").json
    assert full["from_position"] == 0 and full["checked"] == second["head"]["position"]
