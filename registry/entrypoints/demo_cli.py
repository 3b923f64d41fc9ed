"""`registry demo`: the seed scenarios (registry/entrypoints/demo.py) loaded into an
empty store, an admin token, and what to try next at the address `registry serve`
serves."""

from __future__ import annotations

import getpass
import secrets
import sys

import click

from registry.domain.context import Context
from registry.entrypoints.addresses import SERVE_HOST, SERVE_PORT
from registry.entrypoints.opening import opened


@click.command()
@click.option("--host", default=SERVE_HOST, show_default=True,
              help="Where you will run `registry serve`: the hints name this address.")
@click.option("--port", default=SERVE_PORT, show_default=True, type=click.IntRange(1, 65535))
def demo(host: str, port: int) -> None:
    """Load the seed scenarios with generated workers; print an admin token.

    All or nothing: on a store that holds any of the demo's agreements it writes
    nothing and names them.
    """
    from registry.domain.errors import DuplicateAgreementNumber
    from registry.entrypoints import demo as scenarios

    with opened() as registry:
        try:
            scenarios.refuse_if_taken(registry.app)  # before the progress bar shows
            with click.progressbar(length=scenarios.WORKERS, label="loading the seed scenarios",
                                   file=sys.stderr) as bar:
                scenarios.load(registry.app, lambda _step, n: bar.update(n))
        except DuplicateAgreementNumber as taken:
            raise click.ClickException(
                f"{taken.detail} (REGISTRY_DATABASE_URL=sqlite:///demo.db registry demo, "
                "for one)") from None
        registry.projections.catch_up()
        name = f"demo-admin-{secrets.token_hex(3)}"
        token = registry.tokens.create(name, "admin", [],
                                       ctx=Context(actor=f"cli:{getpass.getuser()}"))
    click.echo(demo_hints(host, port), err=True)
    click.echo(token)


def demo_hints(host: str, port: int) -> str:
    """What to run next, at the address `registry serve --host H --port P` serves."""
    # A server on every interface answers on this host's loopback too.
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    base = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"
    serve = "registry serve" + ("" if host == SERVE_HOST else f" --host {host}") + (
        "" if port == SERVE_PORT else f" --port {port}")
    return DEMO_HINTS.format(base=base, serve=serve)


DEMO_HINTS = """
Loaded: Kota Binjai MOU (5,000 workers), Kota Medan MOU with the PKS of its 16 agencies
(OPD), Kabupaten Labuhanbatu Selatan PKS (2,000 workers, Oct-Dec 2022, renewed for 2023),
Kota Serang PKS (honorary staff, election and mosque officers), with their invoices and
payments (one Medan agency 3 months unpaid: its workers' coverage has lapsed).
Start the API ({serve}); the auditors' pages are at {base}/ui/. Then:

  AUTH="Authorization: Bearer <the last line below>"
  curl -s -H "$AUTH" "{base}/api/v1/agreements?region_code=12"
  curl -s -H "$AUTH" "{base}/api/v1/regions/12.75/coverage?on=2026-01-15"
  # Labuhanbatu Selatan: what the regency owed for Oct-Dec 2022 (Rp 100,800,000)
  ID=$(curl -s -H "$AUTH" "{base}/api/v1/agreements?region_code=12.22" \\
       | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  curl -s -H "$AUTH" "{base}/api/v1/agreements/$ID/contributions?from=2022-10&to=2022-12"
  # ... and what it was invoiced and paid (SP2D), month by month
  curl -s -H "$AUTH" "{base}/api/v1/agreements/$ID/ledger?from=2022-10&to=2022-12"
  # Money billed or paid for workers after their death: the auditors' first question
  curl -s -H "$AUTH" "{base}/api/v1/audit/paid-after-death"
  # Kota Medan: the MOU's 16 PKS, and what they owe together in the first half of 2026
  MOU=$(curl -s -H "$AUTH" "{base}/api/v1/agreements?region_code=12.71&kind=MOU" \\
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  curl -s -H "$AUTH" "{base}/api/v1/agreements/$MOU"
  curl -s -H "$AUTH" "{base}/api/v1/agreements/$MOU/contributions?from=2026-01&to=2026-06"

Admin token (shown once):"""
