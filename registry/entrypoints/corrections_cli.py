"""`registry corrections preview|apply FILE`: a corrections file, shown, then written.

The same preview and the same rules as `POST /api/v1/corrections/preview`
(registry/service/corrections.py), run on the registry directly as an
administrator named `cli:$USER`.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

import click

from registry.domain.context import Context
from registry.domain.token import Principal
from registry.entrypoints.console import cli_context, grid, rupiah
from registry.entrypoints.opening import opened

SHOWN_WORKERS = 20


def _desk(registry: Any) -> Any:
    from projections import views
    from registry.service.corrections import CorrectionDesk
    from registry.store.previews import PreviewStore

    owed = functools.partial(views.contributions, registry.projections)
    return CorrectionDesk(registry.app, PreviewStore(registry.store), owed,
                          registry.settings.preview_ttl)


def _read(path: Path, reason: str | None) -> Any:
    from api.correction_rows import BadFile, read
    from registry.service.intake import looks_like_workbook

    data = path.read_bytes()
    workbook = looks_like_workbook(data, path.name)
    as_csv = path.suffix.lower() != ".json" and not data.lstrip().startswith(b"{")
    try:
        found = read(data, as_csv and not workbook, reason, workbook=workbook)
    except BadFile as e:
        raise click.ClickException(f"{path}: {e.detail}") from None
    return found


def _preview(registry: Any, ctx: Context, path: Path, reason: str | None) -> dict[str, Any]:
    from api.correction_rows import preview_json

    found = _read(path, reason)
    answer = _desk(registry).preview(ctx, Principal(ctx.actor, "admin"), found.file)
    return preview_json(answer, found.lines)


FILE = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
REASON = click.option("--reason", help="The file's reason, for rows without their own "
                                       "(a JSON file may carry its own \"reason\").")


@click.group()
def corrections() -> None:
    """Corrections files (void, disenroll, correct, enroll): previewed, then applied."""


@corrections.command("preview")
@FILE
@REASON
@click.option("--json", "as_json", is_flag=True, help="Print the preview as JSON.")
def preview(file: Path, reason: str | None, as_json: bool) -> None:
    """Show what FILE (CSV or JSON) would change; write nothing. Exit 1 if a row is rejected."""
    with opened() as registry:
        answer = _preview(registry, cli_context(), file, reason)
    if as_json:
        click.echo(json.dumps(answer, indent=2))
    else:
        click.echo(tables(answer))
    if answer["rejected"]:
        sys.exit(1)


@corrections.command("apply")
@FILE
@REASON
@click.option("--yes", is_flag=True, help="Apply without asking.")
def apply(file: Path, reason: str | None, yes: bool) -> None:
    """Preview FILE, show the changes, and write them in one transaction once confirmed."""
    ctx = cli_context()
    with opened() as registry:
        answer = _preview(registry, ctx, file, reason)
        click.echo(tables(answer))
        if answer["rejected"]:
            raise click.ClickException("rows were rejected: fix them, then run this again; "
                                       "nothing was written")
        if not yes and not click.confirm("Apply these corrections?", err=True):
            click.echo("nothing was written", err=True)
            sys.exit(1)
        applied = _desk(registry).apply(ctx, Principal(ctx.actor, "admin"),
                                        answer["preview_id"])
    counts = ", ".join(f"{n} {action}" for action, n in applied["applied"].items())
    click.echo(f"applied: {counts}; last event at position {applied['position']}")


# The tables.

def _periods(periods: list[dict[str, Any]]) -> str:
    return "; ".join(f"{p['agreement_number']} {p['starts_on']}..{p['ends_on']}"
                     for p in periods) or "not covered"


def tables(answer: dict[str, Any]) -> str:
    """The preview as a person reads it: rows, workers, rupiah, quota."""
    changes = answer["changes"]
    lines = [f"preview {answer['preview_id']} at log position {answer['based_on_position']}: "
             f"{answer['ok']} rows ok, {answer['rejected']} rejected "
             f"(kept {answer['expires_in_minutes']} minutes)"]
    rejected = [r for r in answer["rows"] if r["status"] == "rejected"]
    if rejected:
        lines += ["", "REJECTED ROWS (nothing can be applied until they are fixed)"]
        lines += grid(("row", "line", "action", "nik", "code", "error"),
                       [(str(r["row"]), str(r.get("line", "")), r["action"] or "",
                         r["nik"] or "", r["code"], r["error"]) for r in rejected])
    workers = changes["workers"]
    lines += ["", f"WORKERS WHOSE COVERAGE OR DETAILS CHANGE: {len(workers)}"]
    lines += grid(("nik", "before", "after"),
                   [(w["nik"], _periods(w["before"]),
                     _periods(w["after"]) + (" (details corrected)" if "details" in w else ""))
                    for w in workers[:SHOWN_WORKERS]])
    if len(workers) > SHOWN_WORKERS:
        lines.append(f"... and {len(workers) - SHOWN_WORKERS:,} more (--json shows every one)")
    lines += ["", "CONTRIBUTIONS (months whose amount changes)"]
    money = changes["contributions"]
    lines += grid(("agreement", "month", "workers", "before", "after", "difference"),
                   [(c["agreement_number"], c["month"],
                     f"{c['before_workers']:,} -> {c['after_workers']:,}",
                     rupiah(c["before_idr"]), rupiah(c["after_idr"]),
                     rupiah(c["after_idr"] - c["before_idr"])) for c in money])
    total = sum(c["after_idr"] - c["before_idr"] for c in money)
    lines.append(f"total difference: {rupiah(total)}")
    lines += ["", "QUOTA (slots held per term)"]
    lines += grid(("agreement", "term", "quota", "before", "after"),
                   [(q["agreement_number"], str(q["term_number"]), str(q["quota"]),
                     f"{q['before']:,}", f"{q['after']:,}") for q in changes["quota"]])
    return "\n".join(lines)
