"""A chunked upload over the body limit, through gunicorn as `registry serve` runs it.

gunicorn ends a chunked body itself (`wsgi.input_terminated`) and passes no
Content-Length: the limit can only be held by counting what is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from registry.domain import nik as niks
from tests.builders import labusel_pks
from tests.e2e.servers import Server, start_server, stop_server

pytestmark = pytest.mark.e2e

LIMIT = 2**20  # 1 MiB keeps the upload quick; the default is 32 MiB
HEADER = "nik,name,birth_date,sex,occupation,address,starts_on\n"


def csv_rows(count: int) -> Iterator[bytes]:
    for i in range(count):
        nik = niks.make("12.22", i // 9999, date(1981, 2, 3), "M", i % 9999)
        yield f"{nik},Pekerja {i:05d},,M,petani,Desa Kotapinang,2022-10-01\n".encode()


def chunks(rows: Iterator[bytes], size: int = 16 * 1024) -> Iterator[bytes]:
    """The CSV in pieces, so that requests sends it with Transfer-Encoding: chunked."""
    yield HEADER.encode()
    piece = b""
    for row in rows:
        piece += row
        if len(piece) >= size:
            yield piece
            piece = b""
    if piece:
        yield piece


@pytest.fixture
def small_limit_server(database_url: str, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setenv("REGISTRY_MAX_BODY_BYTES", str(LIMIT))
    started = start_server(database_url, tmp_path)
    yield started
    stop_server(started)


@pytest.fixture
def admin(small_limit_server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {small_limit_server.token()}"}


def events(server: Server, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = requests.get(server.url("/api/v1/events"), headers=headers,
                          params={"limit": 500}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["events"]


def post_chunked(server: Server, headers: dict[str, str], path: str, body: Iterator[bytes],
                 content_type: str) -> requests.Response:
    response = requests.post(server.url(path), data=body, timeout=120,
                             headers={**headers, "Content-Type": content_type})
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    return response


@pytest.mark.parametrize("query", ["", "?atomic=false"])
def test_a_chunked_csv_over_the_limit_is_413_and_nothing_is_written(
        small_limit_server, admin, query):
    server = small_limit_server
    signed = requests.post(server.url("/api/v1/agreements"), headers=admin,
                           json=labusel_pks(quota=50_000), timeout=30)
    assert signed.status_code == 201, signed.text
    agreement = signed.json()["id"]
    before = events(server, admin)
    # 25,000 good rows, 1.6 MiB: the first MiB alone is a CSV of about 16,000
    # rows, the last one cut mid-field.
    response = post_chunked(server, admin, f"/api/v1/agreements/{agreement}/enrollments/batch"
                            f"{query}", chunks(csv_rows(25_000)), "text/csv")
    assert response.status_code == 413, response.text[:500]
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"
    assert str(LIMIT) in response.json()["detail"]
    # Nothing was written: not one event, not one enrollment.
    assert events(server, admin) == before
    read = requests.get(server.url(f"/api/v1/agreements/{agreement}"), headers=admin,
                        params={"on": "2022-11-01"}, timeout=30)
    assert read.json()["enrolled"] == 0
    listed = requests.get(server.url(f"/api/v1/agreements/{agreement}/enrollments"),
                          headers=admin, params={"on": "2022-11-01"}, timeout=30)
    assert listed.json()["items"] == []


def test_a_chunked_json_batch_over_the_limit_is_413_and_a_small_one_is_enrolled(
        small_limit_server, admin):
    server = small_limit_server
    signed = requests.post(server.url("/api/v1/agreements"), headers=admin,
                           json=labusel_pks(quota=50_000), timeout=30)
    agreement = signed.json()["id"]
    path = f"/api/v1/agreements/{agreement}/enrollments/batch"
    before = events(server, admin)

    def workers(count: int) -> Iterator[bytes]:
        yield b'{"workers": ['
        for i, row in enumerate(csv_rows(count)):
            nik, name = row.decode().split(",")[:2]
            yield ((b", " if i else b"")
                   + f'{{"nik": "{nik}", "name": "{name}", "occupation": "petani"}}'.encode())
        yield b"]}"

    refused = post_chunked(server, admin, path, workers(20_000), "application/json")
    assert refused.status_code == 413, refused.text[:500]
    assert refused.json()["code"] == "payload_too_large"
    assert events(server, admin) == before
    # A chunked body within the limit is read whole, on the same kind of connection.
    accepted = post_chunked(server, admin, path, chunks(csv_rows(300)), "text/csv")
    assert accepted.status_code == 201, accepted.text[:500]
    assert accepted.json()["enrolled"] == 300
