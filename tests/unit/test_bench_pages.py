"""The pages' benchmark: it logs in through the form, keeps the session, and counts a
page that is not built yet (404) or fails instead of timing it or stopping."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from registry.entrypoints import bench
from registry.entrypoints.bench import ui_measures
from registry.entrypoints.bench.harness import BenchError

FORM = b'<form><input type="hidden" name="csrf_token" value="csrf-1"></form>'


class _Site(BaseHTTPRequestHandler):
    """A login form, a page behind it, a page not built yet and one that breaks."""

    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: bytes = b"ok", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        signed_in = "session=yes" in (self.headers.get("Cookie") or "")
        if self.path == "/ui/login":
            self._answer(200, FORM, Set_Cookie="session=no; Path=/ui; HttpOnly")
        elif self.path == "/health":
            self._answer(200)
        elif not signed_in:
            self._answer(302, Location="/ui/login")
        elif self.path.startswith("/ui/workers/"):
            self._answer(200)
        elif self.path == "/ui/broken":
            self._answer(500)
        else:
            self._answer(404)

    def do_POST(self) -> None:  # noqa: N802
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        if form == {"token": ["rgt_x"], "csrf_token": ["csrf-1"]}:
            self._answer(303, Location="/ui/", Set_Cookie="session=yes; Path=/ui; HttpOnly")
        else:
            self._answer(401)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


PAGES = (("/ui/workers/<nik>", ["/ui/workers/1", "/ui/workers/2"]),
         ("/ui/regions/<code>", ["/ui/regions/12"]), ("/ui/broken", ["/ui/broken"]))


def test_pages_are_timed_in_the_session_and_missing_or_failing_ones_are_named(
        port: int) -> None:
    timed = ui_measures.time_pages(port, "rgt_x", PAGES, rounds=3)
    assert len(timed["load"].latencies) == 3 and len(timed["health"].latencies) == 9
    assert timed["missing"] == ["/ui/regions/<code>"]
    assert timed["failed"] == {"/ui/broken": 500}
    figures = ui_measures._figures("ui", timed)
    assert figures["ui_pages_missing"] == 1 and figures["ui_p95_ms"] > 0
    assert set(figures["ui_page_p95_ms"]) == {"/ui/workers/<nik>"}


def test_with_no_page_answering_there_is_no_figure_to_meet_a_target(port: int) -> None:
    timed = ui_measures.time_pages(port, "rgt_x", PAGES[1:], rounds=2)
    figures = ui_measures._figures("ui", timed)
    assert "ui_p95_ms" not in figures and figures["ui_pages_missing"] == 1


def test_a_login_the_form_refuses_stops_the_measure_with_a_reason(port: int) -> None:
    with pytest.raises(BenchError, match="answered 401, not 303"):
        ui_measures.time_pages(port, "rgt_wrong", PAGES, rounds=1)


def test_the_table_shows_the_pages_figures_and_their_targets() -> None:
    figures: dict[str, object] = {key: target for key, (_, target) in bench.TARGETS.items()}
    figures.update(engine="sqlite", quick=True, seconds=60.0, ui_pages_missing=0,
                   ui_large_events=100_000, ui_large_p95_ms=350.0,
                   machine={"cpus": 2, "python": "3.11", "platform": "linux"})
    lines = bench.table(figures).splitlines()
    assert any("pages under /ui/" in line and "met" in line for line in lines)
    assert any("worker and check pages" in line and "MISSED" in line for line in lines)
    assert any("events in that log" in line and "100,000" in line for line in lines)
    assert any("404" in line and line.split()[-1] == "0" for line in lines)
