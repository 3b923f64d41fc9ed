"""The pages' figures (issue 15): the server time of every page under /ui/ on the
`registry demo` log, and of the worker and check pages on the benchmark's large log.

A page's time is its round trip from one client on a keep-alive connection to
`registry serve` on the same machine, one request at a time: nothing queues
behind it, so it is the server's time plus a loopback round trip. Beside it,
`GET /health` is timed the same way, in the same rounds: the floor of any
request through that client. The client logs in through the form, as a browser
does (the CSRF token from `GET /ui/login`, then the session cookie).

A page that answers 404 (not built yet) is counted and named, never timed;
a page that answers anything else but 200 is named as failing, not timed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import date
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from projections import views
from registry.entrypoints import demo
from registry.entrypoints.bench import workload
from registry.entrypoints.bench.harness import BenchError, Client, Load, Server, Store

Say = Callable[[str], None]
Pages = Sequence[tuple[str, Sequence[str]]]  # (what the page is, the paths it is timed at)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageClient(Client):
    """One keep-alive connection that keeps the session cookie, as a browser does."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, answer = self._request(method, path, body, headers)
        for header in self.last_headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return status, answer

    def log_in(self, token: str) -> None:
        status, form = self.request("GET", "/ui/login")
        found = CSRF.search(form.decode(errors="replace"))
        if status != 200 or found is None:
            raise BenchError(f"GET /ui/login answered {status} without a login form")
        status, _ = self.request("POST", "/ui/login",
                                 {"token": token, "csrf_token": found.group(1)})
        if status != 303:
            raise BenchError(f"logging in through the form answered {status}, not 303")

    def close(self) -> None:
        self.conn.close()


def time_pages(port: int, token: str, pages: Pages, rounds: int) -> dict[str, Any]:
    """Every page at each of its paths, `rounds` times, and /health as often as a page.

    Returns the latencies of the pages that answered 200 (`load`), /health's
    (`health`), each page's own (`by_page`), and the pages that were missing
    (404) or failed (any other status), each named once.
    """
    client = PageClient(port)
    load, health = Load(), Load()
    by_page: dict[str, Load] = {}
    missing: dict[str, int] = {}
    failed: dict[str, int] = {}
    try:
        client.log_in(token)
        for _label, paths in pages:  # warm up: templates compiled, catalogues read
            client.request("GET", paths[0])
        for n in range(rounds):
            for label, paths in pages:
                began = time.perf_counter()
                status, _ = client.request("GET", paths[n % len(paths)])
                spent = time.perf_counter() - began
                if status == 200:
                    load.latencies.append(spent)
                    by_page.setdefault(label, Load()).latencies.append(spent)
                elif status == 404:
                    missing[label] = status
                else:
                    failed[label] = status
                began = time.perf_counter()
                status, _ = client.request("GET", "/health")
                health.latencies.append(time.perf_counter() - began)
    finally:
        client.close()
    return {"load": load, "health": health, "by_page": by_page,
            "missing": sorted(missing), "failed": {k: failed[k] for k in sorted(failed)}}


def _figures(prefix: str, timed: dict[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {
        f"{prefix}_health_p95_ms": timed["health"].percentile_ms(95),
        f"{prefix}_pages_missing": len(timed["missing"]),
        f"{prefix}_missing_pages": timed["missing"],
        f"{prefix}_failed_pages": timed["failed"],
        f"{prefix}_page_p95_ms": {label: load.percentile_ms(95)
                                  for label, load in timed["by_page"].items()},
    }
    if timed["load"].latencies:  # no figure at all rather than one of nothing
        figures[f"{prefix}_p95_ms"] = timed["load"].percentile_ms(95)
    return figures


def _report(say: Say, prefix: str, timed: dict[str, Any]) -> None:
    if timed["missing"]:
        say(f"{prefix}: {len(timed['missing'])} pages answered 404 (not timed): "
            + ", ".join(timed["missing"]))
    if timed["failed"]:
        raise BenchError(f"{prefix}: pages that failed: "
                         + ", ".join(f"{k} ({v})" for k, v in timed["failed"].items()))


def _demo_pages(registry: Any, ids: dict[str, Any]) -> Pages:
    """Every page, at a few of the demo's agreements, workers and regions."""
    on = {"binjai": date(2026, 1, 15), "labusel": date(2022, 11, 1),
          "medan-opd-1": date(2025, 10, 1), "serang": date(2024, 6, 1)}
    checks, workers = [], []
    for key, day in on.items():
        found, _ = views.enrollments(registry.projections, ids[key], on=day, status=None,
                                     after=0, limit=2)
        for enrollment in found:
            workers.append(f"/ui/workers/{enrollment['nik']}")
            checks.append(f"/ui/check?nik={enrollment['nik']}&on={day.isoformat()}")
    return (
        ("/ui/", ["/ui/"]),
        ("/ui/agreements", ["/ui/agreements", "/ui/agreements?number=MOU"]),
        ("/ui/agreements/<id>", [f"/ui/agreements/{ids[k]}" for k in on] + [
            f"/ui/agreements/{ids['medan']}"]),
        ("/ui/workers/<nik>", workers),
        ("/ui/check?nik=&on=", checks),
        ("/ui/audit/backdated", ["/ui/audit/backdated", "/ui/audit/backdated?min_days=400"]),
        ("/ui/integrity", ["/ui/integrity"]),
        ("/ui/regions/<code>", ["/ui/regions/12.75", "/ui/regions/12"]),
        ("/ui/login", ["/ui/login"]),
    )


def demo_pages(store: Store, quick: bool, say: Say) -> dict[str, Any]:
    """`ui_p95_ms`: every page on the `registry demo` log, beside /health."""
    say("pages: loading the registry demo")
    registry = store.open()
    try:
        ids = demo.load(registry.app)
        registry.projections.catch_up()
        token = registry.tokens.create("bench-pages", "admin", [])
        pages = _demo_pages(registry, ids)
        events = registry.app.head_position()
    finally:
        registry.close()
    rounds = 5 if quick else 20
    say(f"pages: every page {rounds} times on the demo log ({events:,} events), one client")
    with Server(store.url, workers=2, key_file=store.key_file) as server:
        timed = time_pages(server.port, token, pages, rounds)
    _report(say, "pages", timed)
    return {"ui_events": events, **_figures("ui", timed)}


def large_pages(port: int, token: str, niks: Sequence[str], events: int, quick: bool,
                say: Say) -> dict[str, Any]:
    """`ui_large_p95_ms`: the worker page and the check page on the large log."""
    rounds = 20 if quick else 50
    say(f"pages: the worker and check pages {rounds} times each with {events:,} events")
    pages = (("/ui/workers/<nik>", [f"/ui/workers/{nik}" for nik in niks[:rounds]]),
             ("/ui/check?nik=&on=", [f"/ui/check?nik={nik}&on={workload.read_day()}"
                                     for nik in niks[rounds:2 * rounds]]))
    timed = time_pages(port, token, pages, rounds)
    _report(say, "pages, large log", timed)
    return {"ui_large_events": events, **_figures("ui_large", timed)}
