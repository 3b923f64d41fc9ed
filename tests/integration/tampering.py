"""What the tamper and integrity tests share: a small log, and SQL straight at the store."""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.domain import nik as niks
from registry.store.chain import CHAIN_TABLE
from registry.domain.context import Context
from registry.service.enrollments import EnrollmentRequest
from registry.domain.enrollment import Details
from tests.conftest import labusel_pks

CTX = Context("tester")


def sign_and_enroll_three(registry: Any) -> Any:
    """A signing and a batch of three workers (8 events); the agreement."""
    fields = dict(labusel_pks())
    for key in ("signed_on", "starts_on", "ends_on"):
        fields[key] = date.fromisoformat(fields[key])
    agreement = registry.app.sign_agreement(CTX, **fields).agreement
    registry.app.enroll_workers(CTX, agreement.id, [
        EnrollmentRequest(nik=niks.make("12.22", 1, date(1970, 1, 1), "M", i),
                          details=Details(name=f"W{i}", occupation="petani"),
                          starts_on=date(2022, 10, 1), row=i) for i in range(3)])
    return agreement


def sql(registry: Any, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Run `statement` with {events}, {snapshots}, {chain} and {pos} filled in, as an
    intruder with database access would; its rows, if it has any."""
    events = registry.app.recorder.events_table_name
    snapshots = registry.app.snapshots.recorder.events_table_name
    position = "rowid" if registry.store.engine == "sqlite" else "notification_id"
    with registry.store.transaction(write=True) as cur:
        cur.execute(statement.format(events=events, snapshots=snapshots, pos=position,
                                     chain=CHAIN_TABLE), params)
        try:
            return cur.fetchall()
        except Exception:  # noqa: BLE001 - statements without rows
            return []
