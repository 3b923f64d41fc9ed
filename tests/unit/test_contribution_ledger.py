"""The ContributionLedger aggregate: given its events, when a command, then events or a refusal."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from events import ContributionInvoiced, ContributionPaid, PaymentReversed
from registry.domain.context import Context
from registry.domain.contribution_ledger import (
    AmountNotPositive,
    ContributionLedger,
    DuplicatePaymentReference,
    MonthNotInvoiced,
    NothingToInvoice,
    PaidOnInFuture,
)
from registry.domain.errors import InvalidTransition, NotFound, ValidationFailed

CTX = Context("tester", "r-1")
TODAY = date(2023, 1, 31)


def billed(*months: str, owed: int = 100) -> ContributionLedger:
    ledger = ContributionLedger.open(CTX, uuid4(), "PKS-1", "12.22")
    for month in months:
        ledger.invoice(CTX, month=month, workers=1, owed_idr=owed, due_on=date(2022, 10, 17))
    return ledger


def pay(ledger: ContributionLedger, amount: int, reference: str = "SP2D/1", **kw) -> (
        ContributionPaid):
    return ledger.pay(CTX, amount_idr=amount, paid_on=kw.pop("paid_on", date(2023, 1, 5)),
                      reference=reference, today=TODAY, **kw)


def test_an_invoice_freezes_the_month_and_the_next_bills_only_the_difference():
    ledger = billed("2022-10")
    first = ledger.pending_events[-1]
    assert isinstance(first, ContributionInvoiced)
    assert (first.invoice_number, first.amount_idr, first.adjustment, first.actor,
            first.request_id) == ("PKS-1/INV/2022-10/1", 100, False, "tester", "r-1")
    with pytest.raises(NothingToInvoice):
        ledger.invoice(CTX, month="2022-10", workers=1, owed_idr=100, due_on=date(2022, 10, 17))
    more = ledger.invoice(CTX, month="2022-10", workers=3, owed_idr=300,
                          due_on=date(2022, 10, 17), reason="backdated enrollments")
    assert (more.invoice_number, more.amount_idr, more.adjustment, more.workers) == (
        "PKS-1/INV/2022-10/2", 200, True, 3)
    fewer = ledger.invoice(CTX, month="2022-10", workers=2, owed_idr=200,
                           due_on=date(2022, 10, 17))
    assert fewer.amount_idr == -100
    assert ledger.invoiced == {"2022-10": 200}
    with pytest.raises(NothingToInvoice, match="nothing is owed"):
        ledger.invoice(CTX, month="2022-11", workers=0, owed_idr=0, due_on=date(2022, 11, 15))


def test_a_payment_settles_the_oldest_months_and_keeps_the_rest_as_credit():
    ledger = billed("2022-11", "2022-10")
    paid = pay(ledger, 250)
    assert (paid.allocations, paid.credit_idr) == (
        [{"month": "2022-10", "amount_idr": 100}, {"month": "2022-11", "amount_idr": 100}], 50)
    assert (ledger.paid, ledger.credit_idr, ledger.outstanding()) == (
        {"2022-10": 100, "2022-11": 100}, 50, {})
    named = billed("2022-10", "2022-11")
    assert pay(named, 100, months=["2022-11"]).allocations == [
        {"month": "2022-11", "amount_idr": 100}]
    assert named.outstanding() == {"2022-10": 100}


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"amount": 0}, AmountNotPositive),
    ({"amount": -1}, AmountNotPositive),
    ({"paid_on": date(2023, 2, 1)}, PaidOnInFuture),
    ({"months": ["2022-12"]}, MonthNotInvoiced),
    ({"reference": "  "}, ValidationFailed),
])
def test_a_payment_the_rules_refuse_triggers_nothing(kwargs, error):
    ledger = billed("2022-10")
    before = len(ledger.pending_events)
    amount = kwargs.pop("amount", 100)
    with pytest.raises(error):
        pay(ledger, amount, kwargs.pop("reference", "SP2D/1"), **kwargs)
    assert len(ledger.pending_events) == before
    assert pay(ledger, 100, paid_on=TODAY).allocations  # today itself is no future


def test_a_reference_is_used_once_and_a_reversal_takes_its_payment_back_once():
    ledger = billed("2022-10")
    pay(ledger, 120, "SP2D/1")
    with pytest.raises(DuplicatePaymentReference):
        pay(ledger, 5, "sp2d/1 ")
    with pytest.raises(NotFound):
        ledger.reverse(CTX, "SP2D/9", "salah")
    with pytest.raises(ValidationFailed):
        ledger.reverse(CTX, "SP2D/1", " ")
    reversed_ = ledger.reverse(CTX, "sp2d/1", "salah rekening")
    assert isinstance(reversed_, PaymentReversed)
    assert (reversed_.reference, reversed_.amount_idr, reversed_.credit_idr,
            reversed_.reason) == ("SP2D/1", 120, 20, "salah rekening")
    assert (ledger.paid, ledger.credit_idr, ledger.outstanding()) == (
        {"2022-10": 0}, 0, {"2022-10": 100})
    with pytest.raises(InvalidTransition):
        ledger.reverse(CTX, "SP2D/1", "lagi")
    with pytest.raises(DuplicatePaymentReference):
        pay(ledger, 100, "SP2D/1")


def test_the_ledger_of_an_agreement_has_one_id():
    agreement_id = uuid4()
    assert ContributionLedger.create_id(agreement_id) == ContributionLedger.create_id(
        agreement_id) != ContributionLedger.create_id(uuid4())
