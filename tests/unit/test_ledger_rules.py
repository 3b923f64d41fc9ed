"""The contribution rules: due dates, allocation, month status and standing."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain import ledger
from registry.domain.ledger import Entry, Policy


def test_the_15th_moves_to_the_next_working_day_over_weekends_and_holidays():
    assert ledger.due_on("2022-12") == date(2022, 12, 15)  # a Thursday
    assert ledger.due_on("2026-03") == date(2026, 3, 16)  # Sunday -> Monday
    assert ledger.due_on("2026-08") == date(2026, 8, 17)  # Saturday -> Monday
    assert ledger.due_on("2026-08", [date(2026, 8, 17)]) == date(2026, 8, 18)
    assert ledger.due_on("2022-12", [date(2022, 12, 15), date(2022, 12, 16)]) == date(
        2022, 12, 19)


def test_a_payment_takes_the_oldest_months_first_or_the_months_named():
    owing = {"2022-10": 100, "2022-11": 100, "2022-12": 100}
    assert ledger.allocate(owing, 150) == (
        [{"month": "2022-10", "amount_idr": 100}, {"month": "2022-11", "amount_idr": 50}], 0)
    assert ledger.allocate(owing, 400)[1] == 100
    assert ledger.allocate(owing, 120, ["2022-12"]) == (
        [{"month": "2022-12", "amount_idr": 100}], 20)
    assert ledger.allocate({}, 50) == ([], 50)


def _facts(*entries: Entry) -> dict[str, ledger.MonthFacts]:
    return ledger.month_facts(entries)


def _bill(month: str, amount: int = 100) -> Entry:
    return Entry("invoice", month, amount, 1, ledger.due_on(month))


def _pay(month: str, amount: int, on: date) -> Entry:
    return Entry("payment", month, amount, paid_on=on)


@pytest.mark.parametrize(("entries", "on", "status"), [
    ((), date(2022, 10, 20), "not_invoiced"),
    ((_bill("2022-10"),), date(2022, 10, 14), "not_due"),
    ((_bill("2022-10"),), date(2022, 10, 18), "unpaid"),
    ((_bill("2022-10"), _pay("2022-10", 40, date(2022, 10, 3))), date(2022, 10, 18),
     "partial"),
    ((_bill("2022-10"), _pay("2022-10", 100, date(2022, 10, 17))), date(2022, 11, 1), "paid"),
    ((_bill("2022-10"), _pay("2022-10", 100, date(2022, 10, 18))), date(2022, 11, 1),
     "paid_late"),
    # An adjustment bills more: the month is open again until that is paid.
    ((_bill("2022-10"), _pay("2022-10", 100, date(2022, 10, 3)), _bill("2022-10", 50)),
     date(2022, 11, 1), "partial"),
    # A reversal takes the payment back.
    ((_bill("2022-10"), _pay("2022-10", 100, date(2022, 10, 3)),
      _pay("2022-10", -100, date(2022, 10, 3))), date(2022, 11, 1), "unpaid"),
])
def test_a_months_status(entries, on, status):
    assert ledger.month_status(_facts(*entries).get("2022-10"), on) == status


def test_three_overdue_months_lapse_fewer_are_arrears_and_payment_restores():
    months = ("2022-10", "2022-11", "2022-12")
    billed = [_bill(m) for m in months]
    facts = _facts(*billed)
    assert ledger.standing(facts, date(2022, 10, 10)) == "good"  # not yet due
    assert ledger.standing(facts, date(2022, 11, 20)) == "in_arrears"
    assert ledger.standing(facts, date(2022, 12, 10)) == "good"  # December not yet due
    assert ledger.standing(facts, date(2022, 12, 20)) == "lapsed"
    assert ledger.standing(facts, date(2022, 12, 20), Policy(lapse_after_months=4)) == (
        "in_arrears")
    # Still lapsed in January, before anything is paid; a never-billed month ends the run.
    assert ledger.standing(facts, date(2023, 1, 20)) == "lapsed"
    assert ledger.standing(facts, date(2023, 3, 20)) == "good"
    paid = _facts(*billed, *(_pay(m, 100, date(2023, 1, 10)) for m in months))
    assert ledger.standing(paid, date(2022, 12, 20)) == "good"
    assert ledger.paid_through(paid, date(2023, 1, 20)) == "2022-12"
    assert ledger.paid_through(_facts(*billed, _pay("2022-10", 100, date(2022, 10, 1))),
                               date(2023, 1, 20)) == "2022-10"


def test_a_month_never_billed_lapses_no_one():
    assert ledger.standing({}, date(2022, 12, 20)) == "good"


def test_a_month_is_named_as_yyyy_mm():
    assert ledger.parse_month("2022-10") == "2022-10"
    for bad in ("2022-13", "22-10", "2022-1", "2022-10-01"):
        with pytest.raises(ledger.ValidationFailed):
            ledger.parse_month(bad)
    assert ledger.month_range("2022-11", "2023-01") == ["2022-11", "2022-12", "2023-01"]


def test_an_mou_month_sums_its_agreements_and_shows_the_worst_status():
    one = ledger.statement(["2022-10"], {"2022-10": (2, 200)}, _facts(_bill("2022-10", 200)),
                           date(2022, 11, 1))
    two = ledger.statement(["2022-10"], {"2022-10": (1, 100)}, {}, date(2022, 11, 1))
    idle = ledger.statement(["2022-10"], {}, {}, date(2022, 11, 1))
    row = ledger.combined([one, two, idle])[0]
    assert (row["owed_idr"], row["invoiced_idr"], row["uninvoiced_idr"], row["status"]) == (
        300, 200, 100, "unpaid")
    assert ledger.totals([row])["balance_idr"] == 200


def test_the_policy_comes_from_the_settings_and_a_bad_one_is_refused(tmp_path):
    from registry.config import ConfigurationError, Settings
    from registry.service.ledger import policy_of

    holidays = tmp_path / "libur.txt"
    holidays.write_text("# Hari Kemerdekaan\n2026-08-17\n\n2026-12-25  # Natal\n")
    settings = Settings.from_env({"REGISTRY_HOLIDAYS_FILE": str(holidays),
                                  "REGISTRY_LAPSE_AFTER_MONTHS": "4"})
    assert policy_of(settings) == Policy(4, frozenset({date(2026, 8, 17), date(2026, 12, 25)}))
    assert policy_of(Settings.from_env({})) == Policy(3, frozenset())
    for env in ({"REGISTRY_LAPSE_AFTER_MONTHS": "0"}, {"REGISTRY_LAPSE_AFTER_MONTHS": "tiga"},
                {"REGISTRY_HOLIDAYS_FILE": str(tmp_path / "none.txt")}):
        with pytest.raises(ConfigurationError):
            Settings.from_env(env)
    holidays.write_text("17-08-2026\n")
    with pytest.raises(ConfigurationError, match="line 1"):
        policy_of(Settings.from_env({"REGISTRY_HOLIDAYS_FILE": str(holidays)}))
