"""`registry enroll FILE --reason R`: a file enrolled late says why, on every event."""

from __future__ import annotations

from click.testing import CliRunner

from projections import views
from registry.entrypoints.cli import main
from tests.builders import nik, sign_labusel_pks


def test_the_reason_given_to_registry_enroll_is_on_every_event_it_writes(
        registry, database_url, tmp_path):
    labusel = sign_labusel_pks(registry)
    rows = tmp_path / "susulan.csv"
    rows.write_text("nik,name,occupation,starts_on\n"
                    f"{nik(1)},Pekerja 1,petani,2022-10-01\n"
                    f"{nik(2)},Pekerja 2,petani,2022-10-01\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["enroll", str(labusel), str(rows), "--reason",
                                     "Data desa terlambat"],
                              env={"REGISTRY_DATABASE_URL": database_url})
    assert done.exit_code == 0, done.output
    events, _ = views.agreement_history(registry.projections, labusel, after=1, limit=50)
    # The agreement's history: the enrollments and the quota they take (the workers'
    # registrations belong to no agreement).
    assert {e["type"] for e in events} == {"WorkerEnrolled", "QuotaSlotsTaken"}
    assert {e["reason"] for e in events} == {"Data desa terlambat"}
