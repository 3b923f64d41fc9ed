"""Coverage certificates (bukti kepesertaan): "was NIK covered on D", with the events
the answer rests on, each with its inclusion proof, under one signed checkpoint.

The events are the worker's whole stream, the lifecycle events (signed,
amended, renewed, terminated) of every agreement it was ever enrolled under,
and each such agreement's contribution ledger, whole (a lapse uncovers).
The answer is computed from them by replaying the registry's own aggregates,
here and again by the offline verifier (`registry/audit/offline.py`), so
that both give it the same way. The quota-slot events of an agreement never
change who is covered and are left out: a PKS of 50,000 workers would
otherwise put every enrollment's slot event in every certificate.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent

from registry.audit.log import VerifiableLog, b64
from registry.audit.transfer import exported
from registry.domain import coverage_rules, ledger
from registry.domain import nik as niks
from registry.domain.agreement import Agreement
from registry.domain.contribution_ledger import ContributionLedger
from registry.domain.errors import NotFound
from registry.domain.programs import PROGRAMS
from registry.domain.worker import Worker
from registry.service.application import RegistryApplication
from registry.store import sealing
from registry.store.chain import CHAIN_TABLE
from registry.store.db import log_position

LIFECYCLE = ("AgreementSigned", "AgreementAmended", "AgreementRenewed", "AgreementTerminated")
# An agreement's contribution ledger, whole: whether its coverage had lapsed that day.
LEDGER = ("ContributionLedgerOpened", "ContributionInvoiced", "ContributionPaid",
          "PaymentReversed")


def event_mapper() -> Mapper[UUID]:
    """The registry application's own mapper, with no database behind it.

    The application registers its transcodings on an instance; one made
    without `__init__` has nothing else, and opens nothing.
    """
    transcoder = JSONTranscoder()
    RegistryApplication.__new__(RegistryApplication).register_transcodings(transcoder)
    return Mapper(transcoder=transcoder)


def decoded(events: Iterable[dict[str, Any]], mapper: Mapper[UUID] | None = None) -> list[Any]:
    """Exported events (as `registry export` writes them) as the domain's event objects."""
    mapper = mapper or event_mapper()
    return [mapper.to_domain_event(StoredEvent(
        originator_id=UUID(e["stream"]), originator_version=int(e["version"]), topic=e["type"],
        state=base64.b64decode(e["state"], validate=True))) for e in events]


def replay_worker(events: Sequence[Any]) -> Worker:
    """The worker from its events, in version order (the library refuses a gap)."""
    worker = None
    for event in sorted(events, key=lambda e: e.originator_version):
        worker = event.mutate(worker)
    if not isinstance(worker, Worker):
        raise TypeError("the worker's events do not make a worker")
    return worker


def replay_agreement(events: Sequence[Any]) -> Agreement:
    """The agreement's terms and termination from its lifecycle events alone.

    Its quota-slot events are not among them, so versions skip: each event
    is applied with the aggregate's own handler, past the library's check
    that versions follow one another (the caller checks they increase).
    """
    ordered = sorted(events, key=lambda e: e.originator_version)
    agreement = ordered[0].mutate(None) if ordered else None
    if not isinstance(agreement, Agreement):
        raise TypeError("the agreement's events do not begin with its signing")
    for event in ordered[1:]:
        event.apply(agreement)
    return agreement


def answer(worker: Worker, agreements: dict[str, Agreement], on: date,
           ledgers: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """Whether the worker was covered on `on`, for which programs, under which coverages.

    The rule is the domain's (`coverage_rules`), which the coverage read model
    mirrors in SQL (tests/integration/test_certificates.py runs both on the
    same cases); a coverage whose agreement's contributions had lapsed that day
    (`ledger.standing`, by the published rule: `Policy()`) stays listed and
    covers nothing. `ledgers`: each agreement's ledger events, in order.
    """
    coverages: list[dict[str, Any]] = []
    for enrollment in worker.live_enrollments():
        agreement_id = str(enrollment.agreement_id)
        until = coverage_rules.covered_until(enrollment.ends_on,
                                             agreements[agreement_id].terminated_on)
        if coverage_rules.covered_on(enrollment.status, enrollment.starts_on, until, on):
            facts = ledger.month_facts(ledger.entries_of((ledgers or {}).get(agreement_id, [])))
            coverages.append({
                "agreement_id": agreement_id,
                "agreement_number": enrollment.agreement_number,
                "enrollment_id": enrollment.enrollment_id,
                "programs": list(enrollment.programs),
                "starts_on": enrollment.starts_on.isoformat(), "ends_on": until.isoformat(),
                "standing": ledger.standing(facts, on),
                "paid_through": ledger.paid_through(facts, on)})
    covering = [c for c in coverages if c["standing"] != ledger.LAPSED]
    programs = {p for c in covering for p in c["programs"]}
    return {"covered": bool(covering), "programs": [p for p in PROGRAMS if p in programs],
            "coverages": coverages}


def answer_from(events: Sequence[dict[str, Any]], worker_id: UUID, on: date) -> dict[str, Any]:
    """The answer the exported events give, replayed with the registry's own aggregates."""
    objects = decoded(events)
    worker = replay_worker([e for e in objects if e.originator_id == worker_id])
    by_stream: dict[str, list[Any]] = {}
    for event in objects:
        if event.originator_id != worker_id:
            by_stream.setdefault(str(event.originator_id), []).append(event)
    ledgers = {str(found[0].agreement_id): sorted(found, key=lambda e: e.originator_version)
               for found in by_stream.values() if found[0].type in LEDGER}
    agreements = {stream: replay_agreement(found) for stream, found in by_stream.items()
                  if found[0].type not in LEDGER}
    missing = {str(e.agreement_id) for e in worker.live_enrollments()} - set(agreements)
    if missing:
        raise ValueError(f"the lifecycle events of agreement {min(missing)} are missing")
    return answer(worker, agreements, on, ledgers)


def _rows(log: VerifiableLog, cur: Any, where: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    column = log_position(log.store.engine)
    events = log.app.recorder.events_table_name
    rows = cur.execute(
        f"SELECT e.{column}, e.originator_id, e.originator_version, e.topic, e.state, "  # noqa: S608
        f"c.digest, c.hash FROM {events} e JOIN {CHAIN_TABLE} c ON c.position = e.{column} "
        f"WHERE {where} ORDER BY e.{column}", params).fetchall()
    return [exported(*row) for row in rows]


def _stream_param(log: VerifiableLog, stream: UUID) -> str:
    return stream.hex if log.store.engine == "sqlite" else str(stream)


def build(log: VerifiableLog, nik: str, on: date) -> dict[str, Any]:
    """The certificate for `nik` on `on`, under the newest cosigned checkpoint that holds
    every event it rests on, else under a checkpoint of the tree as stored now."""
    worker_id = log.app.worker_id(nik)
    keyring = log.app.keyring
    key = keyring.key(worker_id) if keyring is not None else None
    erased = keyring is not None and keyring.is_erased(worker_id)
    with log.store.snapshot() as cur:
        own = _rows(log, cur, "e.originator_id = ?", (_stream_param(log, worker_id),))
        if not own or erased:
            raise NotFound(f"no worker with NIK {niks.mask(nik)}")
        enrolled_under = sorted({str(e.agreement_id) for e in decoded(own)
                                 if hasattr(e, "agreement_id")})
        lifecycle = ", ".join("?" for _ in LIFECYCLE)
        theirs = [row for agreement in enrolled_under for row in _rows(
            log, cur, f"e.originator_id = ? AND e.topic IN ({lifecycle})",
            (_stream_param(log, UUID(agreement)), *LIFECYCLE))]
        theirs += [row for agreement in enrolled_under for row in _rows(
            log, cur, "e.originator_id = ?",
            (_stream_param(log, ContributionLedger.create_id(UUID(agreement))),))]
        reader = log.reader(cur)
        events = sorted(own + theirs, key=lambda e: e["position"])
        found = [reader.leaf_index(e["position"]) for e in events]
        current = reader.size
    if None in found:
        raise NotFound("the worker's events are not all in the Merkle tree yet")
    indexes = [i for i in found if i is not None]
    # Nodes never change once complete: the proofs may be read in a later transaction.
    size = log.kept.newest_cosigned(max(indexes) + 1) or current
    with log.store.snapshot() as cur:
        reader = log.reader(cur)
        proofs = [[b64(h) for h in reader.inclusion(i, size)] for i in indexes]
    return {
        "question": {"nik": nik, "on": on.isoformat()},
        # The worker's stream and data key: whoever holds the certificate can open the
        # NIK sealed in the worker's first event and see it is this one. The key
        # opens this worker's fields and nothing else.
        "worker": {"id": str(worker_id), "key": sealing.encoded(key) if key else None},
        "answer": answer_from(events, worker_id, on),
        "checkpoint": log.served(size),
        # Each event without its chain link (`hash`), which binds every event before it
        # and so cannot be checked offline: a certificate holds nothing unchecked.
        "events": [{"event": {k: v for k, v in e.items() if k != "hash"}, "leaf_index": i,
                    "inclusion": p} for e, i, p in zip(events, indexes, proofs, strict=True)],
    }
