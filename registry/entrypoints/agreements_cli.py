"""`registry agreements list [--region CODE]`: the agreements, read from the read model
(projections/views.py), as `GET /api/v1/agreements` lists them for an admin."""

from __future__ import annotations

from typing import Any

import click

from registry.domain import region_codes
from registry.domain.dates import today
from registry.domain.term import standing_of
from registry.entrypoints.opening import opened

COLUMNS = ("number", "id", "kind", "status", "quota", "enrolled")
PAGE = 500


@click.group()
def agreements() -> None:
    """Agreements (MOUs and PKS) as the registry holds them."""


@agreements.command("list")
@click.option("--region", help="Only this region, a province taking in its regencies "
                               "(12 or 12.75).")
def list_agreements(region: str | None) -> None:
    """Every agreement in signing order: number, id, kind, status, quota, enrolled (today,
    in the current term)."""
    from projections import views

    if region is not None and not region_codes.is_region_code(region):
        raise click.BadParameter('a Kemendagri code such as "12" or "12.75"',
                                 param_hint="--region")
    on = today()
    rows: list[tuple[str, ...]] = [COLUMNS]
    with opened() as registry:
        after: int | None = 0
        while after is not None:
            docs, after = views.agreements(registry.projections, on=on, scopes=None,
                                           region_code=region, after=after, limit=PAGE)
            rows += [_row(doc, on) for doc in docs]
    if len(rows) == 1:
        click.echo("no agreements" + (f" in region {region}" if region else ""))
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                     strict=True)).rstrip())


def _row(doc: dict[str, Any], on: Any) -> tuple[str, ...]:
    standing = standing_of(doc, on)
    quota = doc["terms"][standing.current_term - 1]["quota"]
    return (doc["agreement_number"], doc["id"], doc["kind"], standing.status,
            "-" if quota is None else str(quota), str(standing.enrolled))
