"""/api/v1: invoices, payments, an agreement's ledger, regional arrears, paid for the dead."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from flask.views import MethodView
from marshmallow import RAISE

from api import access, auth, requests
from api.blueprint import Blueprint
from api.common import read_models, registry, visible_agreement, with_problems, writable
from api.errors import ApiProblem
from api.schemas.ledger import (
    ArrearsOut,
    ArrearsQuery,
    DeathFindingsOut,
    InvoiceIn,
    InvoiceOut,
    LedgerOut,
    LedgerQuery,
    NoQuery,
    PaymentIn,
    PaymentOut,
    ReversalIn,
)
from projections import ledger_views
from registry.domain import region_codes as regions
from registry.domain.dates import recorded_on, today, utc_iso
from registry.service.ledger import Ledgers

blp = Blueprint("ledger", __name__, url_prefix="/api/v1",
                description="Contributions: invoices, payments, arrears and lapse")


def _ledgers() -> Ledgers:
    return Ledgers(registry().app)


@blp.route("/agreements/<uuid:agreement_id>/invoices")
class Invoices(MethodView):
    @blp.arguments(InvoiceIn)
    @blp.response(201, InvoiceOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID) -> Any:
        """Bill a month (ContributionInvoiced).

        What the roster owes for the month now, or only the difference from what was
        billed before (an adjustment). `409 nothing_to_invoice` when that difference
        is nothing; `422 month_outside_terms` for a month no term has a day in.
        """
        writable(agreement_id)
        found = _ledgers().invoice(requests.context(), agreement_id, body["month"],
                                   ledger_views.billable(read_models()), body["reason"])
        return asdict(found), 201


@blp.route("/agreements/<uuid:agreement_id>/payments")
class Payments(MethodView):
    @blp.arguments(PaymentIn)
    @blp.response(201, PaymentOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID) -> Any:
        """Record a payment (ContributionPaid).

        Allocated to the oldest billed months first, or to `months`; the rest is
        credit. `409 duplicate_payment_reference`; `422 amount_not_positive`,
        `paid_on_in_future`, `month_outside_terms`, `month_not_invoiced`.
        """
        writable(agreement_id)
        found = _ledgers().pay(requests.context(), agreement_id, **body)
        return {**asdict(found), "reversed": False}, 201


@blp.route("/agreements/<uuid:agreement_id>/payments/<path:reference>/reversal")
class Reversal(MethodView):
    @blp.arguments(ReversalIn)
    @blp.response(201, PaymentOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID, reference: str) -> Any:
        """Reverse a payment recorded in error (PaymentReversed).

        Its allocations and credit are taken back; it stays in the history.
        `404` for an unknown reference.
        """
        writable(agreement_id)
        found = _ledgers().reverse(requests.context(), agreement_id, reference,
                                   body["reason"])
        return {**asdict(found), "reversed": True}, 201


@blp.route("/agreements/<uuid:agreement_id>/ledger")
class Ledger(MethodView):
    @blp.arguments(LedgerQuery, location="query", unknown=RAISE)
    @blp.response(200, LedgerOut)
    @with_problems
    def get(self, args: dict[str, Any], agreement_id: UUID) -> dict[str, Any]:
        """The agreement's contribution ledger, month by month.

        `from`..`to` (default: its terms' months): owed by the roster, invoiced,
        paid, balance, due date and status; as recorded by `known_at` (statuses as
        on that day). An MOU's months sum its own and its children's.
        """
        visible_agreement(agreement_id)
        first, last, known_at = args["from_"], args["to"], args["known_at"]
        if first and last and first > last:
            raise ApiProblem("validation_failed", "from: must not be after to",
                             errors={"from": "after to"})
        # Statuses as the registry would have given them then: on that day, from what it knew.
        on = recorded_on(known_at) if known_at else today()
        found = ledger_views.agreement_ledger(read_models(), agreement_id, first=first,
                                              last=last, on=on, known_at=known_at)
        return {**found, "known_at": utc_iso(known_at) if known_at else None}


@blp.route("/regions/<string:code>/arrears")
class Arrears(MethodView):
    @blp.arguments(ArrearsQuery, location="query", unknown=RAISE)
    @blp.response(200, ArrearsOut)
    @with_problems
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Contributions overdue in the region, and its totals billed and paid.

        The agreements with months overdue on `on` (a province holds its regencies)
        and what is left to pay on them.
        """
        if not regions.is_region_code(code):
            raise ApiProblem("not_found", f"{code!r} is not a region code such as 12 or 12.75")
        auth.require_visible(code, f"region {code}")
        return ledger_views.arrears(read_models(), code, on=args["on"] or today())


@blp.route("/audit/paid-after-death")
class PaidAfterDeath(MethodView):
    @blp.arguments(NoQuery, location="query", unknown=RAISE)
    @blp.response(200, DeathFindingsOut)
    @with_problems
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Contributions billed for the dead (auditors and admins).

        Each worker an invoice billed for a month that began after the day of their
        DECEASED disenrollment, as the invoice counted them when it was issued.
        """
        who = auth.principal()
        if who.role == "registrar":
            raise ApiProblem("forbidden", "audit findings are for auditors and admins")
        items = ledger_views.paid_after_death(read_models(), who.scopes)
        access.shown(access.subjects_of(item.get("nik") for item in items))
        return {"items": items}
