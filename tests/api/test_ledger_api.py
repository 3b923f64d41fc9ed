"""/api/v1 contributions: invoices, payments, the ledger, lapse, arrears, paid for the dead."""

from __future__ import annotations

from datetime import UTC, date, datetime

from projections import views
from registry.domain.dates import today
from tests.builders import AGREEMENTS, CTX, enrolled, nik, post_labusel_pks
from tests.callers import assert_problem

RATE = 16_800  # JKK + JKM a worker a month


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _invoice(caller, agreement_id, month):
    return caller.post(f"{AGREEMENTS}/{agreement_id}/invoices", json={"month": month})


def _pay(caller, agreement_id, **body):
    return caller.post(f"{AGREEMENTS}/{agreement_id}/payments", json=body)


def _coverage(caller, i, on, known_at=None, sex="M"):
    query = f"on={on}" + (f"&known_at={known_at}" if known_at else "")
    return caller.get(f"/api/v1/workers/{nik(i, sex)}/coverage?{query}").json


def _certified(caller, registry, on):
    from registry.audit import offline

    found = caller.get(f"/api/v1/workers/{nik(1)}/coverage/certificate?on={on}").json
    assert offline.verify_certificate(found, registry.log.vkey()).answer == found["answer"]
    return found["answer"]


def test_three_unpaid_months_lapse_coverage_until_paid_and_known_at_shows_the_lapse(
        admin, registry):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    enrolled(admin, agreement_id, 2)
    # Invoice three months, pay none.
    for month in ("2022-10", "2022-11", "2022-12"):
        response = _invoice(admin, agreement_id, month)
        assert response.status_code == 201, response.get_data(as_text=True)
        assert (response.json["workers"], response.json["amount_idr"]) == (2, 2 * RATE)
    assert response.json["due_on"] == "2022-12-15"
    lapsed = _coverage(admin, 1, "2022-12-20")
    assert lapsed["covered"] is False
    assert [(c["standing"], c["paid_through"]) for c in lapsed["coverages"]] == [
        ("lapsed", None)]
    # The coverage certificate says so too, from the ledger's events, checked offline.
    assert _certified(admin, registry, "2022-12-20")["covered"] is False
    # Before the third month's due date: covered, that month not yet due.
    early = _coverage(admin, 1, "2022-12-10")
    assert (early["covered"], early["coverages"][0]["standing"]) == (True, "good")
    arrears = _coverage(admin, 1, "2022-11-20")
    assert (arrears["covered"], arrears["coverages"][0]["standing"]) == (True, "in_arrears")
    between = _now()
    # Pay the three months, late.
    paid = _pay(admin, agreement_id, amount_idr=6 * RATE, paid_on="2023-01-10",
                reference="SP2D-0001/2023")
    assert paid.status_code == 201, paid.get_data(as_text=True)
    assert paid.json["allocations"] == [{"month": m, "amount_idr": 2 * RATE}
                                        for m in ("2022-10", "2022-11", "2022-12")]
    assert paid.json["credit_idr"] == 0
    assert _certified(admin, registry, "2022-12-20")["coverages"][0]["standing"] == "good"
    again = _coverage(admin, 1, "2022-12-20")
    assert (again["covered"], again["coverages"][0]["standing"],
            again["coverages"][0]["paid_through"]) == (True, "good", "2022-12")
    # As known between the two: still lapsed.
    before = _coverage(admin, 1, "2022-12-20", known_at=between)
    assert (before["covered"], before["coverages"][0]["standing"]) == (False, "lapsed")
    ledger = admin.get(f"{AGREEMENTS}/{agreement_id}/ledger").json
    assert [m["status"] for m in ledger["months"]] == ["paid_late"] * 3
    assert ledger["totals"] == {"owed_idr": 6 * RATE, "invoiced_idr": 6 * RATE,
                                "paid_idr": 6 * RATE, "balance_idr": 0}
    then = admin.get(f"{AGREEMENTS}/{agreement_id}/ledger?known_at={between}").json
    assert [m["status"] for m in then["months"]] == ["unpaid"] * 3


def test_an_invoice_bills_only_the_difference_and_nothing_twice(admin):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    assert _invoice(admin, agreement_id, "2022-10").json["amount_idr"] == RATE
    assert_problem(_invoice(admin, agreement_id, "2022-10"), 409, "nothing_to_invoice")
    enrolled(admin, agreement_id, 2)  # backdated to 1 October
    adjustment = _invoice(admin, agreement_id, "2022-10").json
    assert (adjustment["adjustment"], adjustment["amount_idr"], adjustment["workers"]) == (
        True, RATE, 2)
    assert_problem(_invoice(admin, agreement_id, "2023-01"), 422, "month_outside_terms")
    assert_problem(_invoice(admin, agreement_id, "2022-13"), 422, "validation_failed")


def test_payments_refuse_bad_input_with_stable_codes_and_write_nothing(admin):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    _invoice(admin, agreement_id, "2022-10")
    good = {"amount_idr": RATE, "paid_on": "2022-10-10", "reference": "VA-1"}
    assert_problem(_pay(admin, agreement_id, **{**good, "amount_idr": 0}), 422,
                   "amount_not_positive")
    assert_problem(_pay(admin, agreement_id, **{**good, "amount_idr": -5}), 422,
                   "amount_not_positive")
    assert_problem(_pay(admin, agreement_id, **{**good, "paid_on": "2099-01-01"}), 422,
                   "paid_on_in_future")
    assert_problem(_pay(admin, agreement_id, **{**good, "months": ["2023-05"]}), 422,
                   "month_outside_terms")
    assert_problem(_pay(admin, agreement_id, **{**good, "months": ["2022-11"]}), 422,
                   "month_not_invoiced")
    history = admin.get(f"{AGREEMENTS}/{agreement_id}/history").json["events"]
    assert "ContributionPaid" not in {e["type"] for e in history}
    # A payment, more than owed: the rest is credit; its reference only once.
    paid = _pay(admin, agreement_id, **{**good, "amount_idr": RATE + 500}).json
    assert (paid["allocations"], paid["credit_idr"]) == (
        [{"month": "2022-10", "amount_idr": RATE}], 500)
    assert_problem(_pay(admin, agreement_id, **{**good, "reference": "va-1"}), 409,
                   "duplicate_payment_reference")
    # Reversal: unknown reference 404; known: the month is unpaid again.
    reversal = f"{AGREEMENTS}/{agreement_id}/payments/%s/reversal"
    assert_problem(admin.post(reversal % "NOPE", json={"reason": "salah"}), 404, "not_found")
    assert admin.post(reversal % "VA-1", json={"reason": "salah input"}).status_code == 201
    ledger = admin.get(f"{AGREEMENTS}/{agreement_id}/ledger?from=2022-10&to=2022-10").json
    assert (ledger["months"][0]["paid_idr"], ledger["months"][0]["status"],
            ledger["credit_idr"]) == (0, "unpaid", 0)
    history = admin.get(f"{AGREEMENTS}/{agreement_id}/history").json["events"]
    assert [e["type"] for e in history][-4:] == [
        "ContributionLedgerOpened", "ContributionInvoiced", "ContributionPaid",
        "PaymentReversed"]
    assert history[-1]["reason"] == "salah input"


def test_a_month_billed_for_a_worker_already_dead_is_an_audit_finding(admin, as_role):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    enrolled(admin, agreement_id, 3, nik=nik(3, "F"), sex="F")
    _invoice(admin, agreement_id, "2022-11")
    # Her death on 20 October is recorded after November was billed for her.
    died = admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments/{nik(3, 'F')}/disenrollment",
                      json={"ends_on": "2022-10-20", "reason_code": "DECEASED"})
    assert died.status_code == 200, died.get_data(as_text=True)
    found = as_role("auditor").get("/api/v1/audit/paid-after-death").json["items"]
    assert [(f["nik"], f["month"], f["died_on"], f["amount_idr"]) for f in found] == [
        (nik(3, "F"), "2022-11", "2022-10-20", RATE)]
    assert_problem(as_role("registrar", "12.22").get("/api/v1/audit/paid-after-death"),
                   403, "forbidden")
    assert as_role("auditor", "36").get("/api/v1/audit/paid-after-death").json["items"] == []


def test_region_arrears_list_overdue_agreements_and_writes_need_the_region(admin, as_role):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    _invoice(admin, agreement_id, "2022-10")
    arrears = admin.get("/api/v1/regions/12/arrears?on=2022-10-20").json
    assert [(i["unpaid_months"], i["balance_idr"], i["standing"])
            for i in arrears["items"]] == [(["2022-10"], RATE, "in_arrears")]
    assert (arrears["total_idr"], arrears["invoiced_idr"], arrears["paid_idr"]) == (
        RATE, RATE, 0)
    assert_problem(as_role("auditor").post(f"{AGREEMENTS}/{agreement_id}/invoices",
                                           json={"month": "2022-11"}), 403, "forbidden")
    assert_problem(as_role("registrar", "36.73").post(
        f"{AGREEMENTS}/{agreement_id}/payments",
        json={"amount_idr": 1, "paid_on": "2022-10-01", "reference": "X"}), 404, "not_found")
    assert_problem(admin.get(f"{AGREEMENTS}/{agreement_id}/ledger?month=2022-10"), 422,
                   "validation_failed")


def test_a_lapsed_agreements_workers_are_not_counted_in_the_regions_coverage(admin):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    enrolled(admin, agreement_id, 2)
    for month in ("2022-10", "2022-11", "2022-12"):
        assert _invoice(admin, agreement_id, month).status_code == 201

    def covered(on, known_at=None):
        query = f"on={on}" + (f"&known_at={known_at}" if known_at else "")
        return admin.get(f"/api/v1/regions/12.22/coverage?{query}").json["covered_workers"]

    assert (covered("2022-11-20"), covered("2022-12-20")) == (2, 0)
    before_paying = _now()
    assert _pay(admin, agreement_id, amount_idr=3 * 2 * RATE, paid_on="2022-12-28",
                reference="SP2D-ALL").status_code == 201
    assert (covered("2022-12-20"), covered("2022-12-20", before_paying)) == (2, 0)


def test_the_dashboard_and_the_region_page_leave_out_a_lapsed_agreements_workers(
        admin, registry):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    for month in ("2022-10", "2022-11", "2022-12"):
        assert _invoice(admin, agreement_id, month).status_code == 201

    def overview(on):
        return {r["region_code"]: r["covered_workers"] for r in views.regions_overview(
            registry.projections, scopes=None, on=on)}

    assert overview(date(2022, 11, 20)) == {"12.22": 1}
    assert overview(date(2022, 12, 20)) == {"12.22": 0}
    registry.app.set_coverage_target(CTX, "12.22", 2022, 1000, 10.0)
    _, _, by_year = views.region_years(registry.projections, "12.22", today())
    assert by_year == {2022: 0}  # 31 December 2022: the three months unpaid
    assert _pay(admin, agreement_id, amount_idr=3 * RATE, paid_on="2022-12-28",
                reference="SP2D-ALL").status_code == 201
    assert overview(date(2022, 12, 20)) == {"12.22": 1}
    assert views.region_years(registry.projections, "12.22", today())[2] == {2022: 1}
