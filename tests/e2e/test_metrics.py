"""/metrics under `registry serve --workers 2`: every worker's requests, counted once."""

from __future__ import annotations

import requests

from tests.builders import labusel_pks, nik
from tests.e2e.servers import start_server, stop_server


def test_metrics_add_up_the_workers_by_route_pattern_without_personal_data(
        sqlite_url, tmp_path, monkeypatch):
    counts = tmp_path / "metrics"
    counts.mkdir()
    (counts / "counter_999.db").write_bytes(b"left by an earlier run")  # emptied at start
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(counts))
    server = start_server(sqlite_url, tmp_path, workers=2)
    try:
        token = server.token()
        auth = {"Authorization": f"Bearer {token}"}
        assert requests.post(server.url("/api/v1/agreements"), json=labusel_pks(),
                             headers=auth, timeout=10).status_code == 201
        for i in range(20):  # a connection each, so that both workers take some
            assert requests.get(server.url(f"/api/v1/workers/{nik(i)}"), headers=auth,
                                timeout=10).status_code == 404
        assert requests.get(server.url("/readyz"), timeout=10).json()["status"] == "ok"
        answer = requests.get(server.url("/metrics"), timeout=10)
        assert answer.status_code == 200
        text = answer.text
        assert ('registry_http_requests_total{method="GET",route="/api/v1/workers/<nik:nik>",'
                'status="404"} 20.0') in text
        assert ('registry_http_requests_total{method="POST",route="/api/v1/agreements",'
                'status="201"} 1.0') in text
        assert "registry_events_written_total 2.0" in text  # the token's issuance, the signing
        assert 'registry_projection_lag_events{read_model="coverage"}' in text
        for secret in [nik(i) for i in range(20)] + [token, "Labuhanbatu"]:
            assert secret not in text
        assert not (counts / "counter_999.db").exists()
    finally:
        stop_server(server)
    assert counts.exists()  # an operator's directory is emptied, never removed
