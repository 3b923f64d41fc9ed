"""The agreements read model: lists, filters and status on a date."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from events import (
    AgreementAmended,
    AgreementRenewed,
    AgreementSigned,
    AgreementTerminated,
    ChildQuotaAllocated,
    QuotaSlotsReleased,
    QuotaSlotsTaken,
)
from projections import bulk
from projections.base import Projection, handles
from projections.reader import Batch, Fields
from projections.rules_sql import agreement_status
from registry.store.db import Cursor


class AgreementsProjection(Projection):
    name = "agreements"
    rebuild_cost = 0.1
    table_names = ("rm_agreement_terms", "rm_agreements")
    tables = (
        """CREATE TABLE IF NOT EXISTS rm_agreements (
            id TEXT PRIMARY KEY,
            seq BIGINT NOT NULL UNIQUE,
            agreement_number TEXT NOT NULL,
            kind TEXT NOT NULL,
            parent_id TEXT,
            region_code TEXT NOT NULL,
            first_starts_on TEXT NOT NULL,
            last_ends_on TEXT NOT NULL,
            terminated_on TEXT,
            version INTEGER NOT NULL,
            doc TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS rm_agreement_terms (
            agreement_id TEXT NOT NULL,
            term_number INTEGER NOT NULL,
            starts_on TEXT NOT NULL,
            ends_on TEXT NOT NULL,
            PRIMARY KEY (agreement_id, term_number))""",
        "CREATE INDEX IF NOT EXISTS rm_agreements_region ON rm_agreements (region_code)",
        "CREATE INDEX IF NOT EXISTS rm_agreements_province "
        "ON rm_agreements (substr(region_code, 1, 2))",
        "CREATE INDEX IF NOT EXISTS rm_agreements_parent ON rm_agreements (parent_id)",
        "CREATE INDEX IF NOT EXISTS rm_agreements_number ON rm_agreements (agreement_number)",
    )

    AGREEMENT_COLUMNS = ("id", "seq", "agreement_number", "kind", "parent_id", "region_code",
                         "first_starts_on", "last_ends_on", "terminated_on", "version", "doc")

    def __init__(self) -> None:
        self.start_batch()

    def start_batch(self) -> None:
        # Each agreement the batch touches is read once and written once, at its end.
        self._docs: dict[str, dict[str, Any]] = {}
        self._new_rows: dict[str, list[Any]] = {}  # signed in this batch: the row's fixed part
        self._changed: dict[str, None] = {}  # stored earlier, changed in this batch
        self._terms: list[tuple[Any, ...]] = []

    def end_batch(self, cur: Cursor) -> None:
        cur.insert_rows("rm_agreements", self.AGREEMENT_COLUMNS,
                        [[*row, *_changing(self._docs[row[0]])] for row in self._new_rows.values()])
        cur.insert_rows("rm_agreement_terms",
                        ("agreement_id", "term_number", "starts_on", "ends_on"), self._terms)
        if self._changed:
            self.need_indexes(cur)
        bulk.update(
            cur, "UPDATE rm_agreements SET last_ends_on = ?, terminated_on = ?, version = ?, "
                 "doc = ? WHERE id = ?",
            "UPDATE rm_agreements a SET last_ends_on = v.last, terminated_on = v.terminated, "
            "version = v.version, doc = v.doc FROM unnest(?::text[], ?::text[], ?::int[], "
            "?::text[], ?::text[]) AS v(last, terminated, version, doc, id) WHERE a.id = v.id",
            [(*_changing(self._docs[agreement_id]), agreement_id)
             for agreement_id in self._changed])
        self.start_batch()

    def apply(self, batch: Batch, cur: Cursor) -> None:
        self.start_batch()
        signed, wanted = set(), set()
        for _, cls, event in batch:
            if cls is AgreementSigned:
                signed.add(event["originator_id"])
            elif self.handler(cls) is not None and event["originator_id"] not in signed:
                wanted.add(event["originator_id"])
        if wanted:
            self.need_indexes(cur)
        for agreement_id, doc in bulk.select_in(
                cur, "SELECT id, doc FROM rm_agreements WHERE id IN (?)", sorted(wanted)):
            self._docs[agreement_id] = json.loads(doc)
        # Not super().apply(): its start_batch() would forget what was just read.
        self.handle(batch, cur)
        self.end_batch(cur)

    @handles(AgreementSigned)
    def _signed(self, e: Fields, cur: Cursor, position: int) -> None:
        doc = {
            "id": e["originator_id"],
            **{name: e[name] for name in (
                "agreement_number", "kind", "parent_id", "title", "region_code",
                "region_name", "sponsor", "bpjs_office", "signed_on", "signatories",
                "funding_source", "programs", "document_ref")},
            "terms": [],
            "terminated_on": None,
            "termination_reason": None,
            "version": e["originator_version"],
        }
        self._docs[doc["id"]] = doc
        self._new_rows[doc["id"]] = [doc["id"], position, e["agreement_number"], e["kind"],
                                   e["parent_id"], e["region_code"], e["starts_on"]]
        self._add_term(doc, e, 0)

    @handles(AgreementAmended)
    def _amended(self, e: Fields, cur: Cursor, position: int) -> None:
        doc = self._load(cur, e)
        term = doc["terms"][e["term_number"] - 1]
        for field in ("quota", "monthly_contribution_idr"):
            if e[field] is not None:
                term[field] = e[field]
        for field in ("title", "sponsor"):
            if e[field] is not None:
                doc[field] = e[field]

    @handles(AgreementRenewed)
    def _renewed(self, e: Fields, cur: Cursor, position: int) -> None:
        self._add_term(self._load(cur, e), e, e["carried_over"])

    @handles(AgreementTerminated)
    def _terminated(self, e: Fields, cur: Cursor, position: int) -> None:
        doc = self._load(cur, e)
        doc["terminated_on"] = e["ends_on"]
        doc["termination_reason"] = e["reason"]

    @handles(QuotaSlotsTaken)
    def _taken(self, e: Fields, cur: Cursor, position: int) -> None:
        self._load(cur, e)["terms"][e["term_number"] - 1]["enrolled"] += e["count"]

    @handles(QuotaSlotsReleased)
    def _released(self, e: Fields, cur: Cursor, position: int) -> None:
        self._load(cur, e)["terms"][e["term_number"] - 1]["enrolled"] -= e["count"]

    @handles(ChildQuotaAllocated)
    def _allocated(self, e: Fields, cur: Cursor, position: int) -> None:
        self._load(cur, e)

    def _load(self, cur: Cursor, e: Fields) -> dict[str, Any]:
        """The agreement's document, to change: its new version is the event's."""
        agreement_id = e["originator_id"]
        doc = self._docs.get(agreement_id)
        if doc is None:
            self.need_indexes(cur)
            row = cur.execute("SELECT doc FROM rm_agreements WHERE id = ?",
                              (agreement_id,)).one()
            doc = self._docs[agreement_id] = json.loads(row[0])
        if agreement_id not in self._new_rows:
            self._changed[agreement_id] = None
        doc["version"] = e["originator_version"]
        return doc

    def _add_term(self, doc: dict[str, Any], e: Fields, enrolled: int) -> None:
        """The term a signing or a renewal starts."""
        doc["terms"].append({
            "starts_on": e["starts_on"], "ends_on": e["ends_on"], "quota": e["quota"],
            "monthly_contribution_idr": e["monthly_contribution_idr"], "enrolled": enrolled,
        })
        self._terms.append((doc["id"], len(doc["terms"]), e["starts_on"], e["ends_on"]))


def _changing(doc: dict[str, Any]) -> tuple[Any, ...]:
    """The columns a change can touch: last_ends_on, terminated_on, version, doc."""
    return (doc["terms"][-1]["ends_on"], doc["terminated_on"], doc["version"],
            json.dumps(doc))


def list_agreements(
    cur: Cursor, *, on: date, scopes: list[str] | None = None, region_code: str | None = None,
    kind: str | None = None, parent_id: str | None = None, status: str | None = None,
    after: int = 0, limit: int = 50, agreement_number: str | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of agreement documents in signing order, and the next cursor."""
    where: list[str] = ["a.seq > ?"]
    params: list[Any] = [after]
    for scope_list in ([region_code] if region_code else None, scopes):
        if scope_list is not None:
            clause, scope_params = region_clause("a.region_code", scope_list)
            where.append(clause)
            params += scope_params
    if kind:
        where.append("a.kind = ?")
        params.append(kind)
    if parent_id:
        where.append("a.parent_id = ?")
        params.append(parent_id)
    if agreement_number is not None:
        where.append("a.agreement_number = ?")
        params.append(agreement_number)
    if status:
        status_sql, status_params = agreement_status(on)
        where.append(f"({status_sql}) = ?")
        params += [*status_params, status]
    rows = cur.execute(
        "SELECT a.seq, a.doc FROM rm_agreements a WHERE " + " AND ".join(where)
        + " ORDER BY a.seq LIMIT ?",  # noqa: S608 - clauses are fixed strings
        (*params, limit + 1),
    ).fetchall()
    docs = [json.loads(doc) for _, doc in rows[:limit]]
    next_after = rows[limit - 1][0] if len(rows) > limit else None
    return docs, next_after


def region_clause(column: str, scopes: list[str]) -> tuple[str, list[str]]:
    """SQL matching a region code inside any of the scopes (none: nothing): the SQL of
    `registry.domain.region_codes.in_any`.

    Codes are "12" or "12.75" (`is_region_code`): a regency holds only itself, a
    province every code that starts with it. So a regency is an equality and a
    province one on the code's first two characters, each served by an index (on
    the column, and on `substr(column, 1, 2)`); a LIKE, or an OR with one, would
    read every row of a national table instead.
    """
    if not scopes:
        return "1 = 0", []
    clause = " OR ".join(f"{column} = ?" if "." in scope else f"substr({column}, 1, 2) = ?"
                         for scope in scopes)
    return f"({clause})", list(scopes)
