"""`registry agreements list [--region CODE]`: every agreement with its number, id, kind,
status, quota and enrolled, read from the read model."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner

from registry.entrypoints.cli import main
from tests.builders import CTX, enroll_worker, medan_mou_fields, sign_labusel_pks


def test_agreements_are_listed_with_their_standing_and_filtered_by_region(
        registry, database_url):
    labusel = sign_labusel_pks(registry, ends_on=date(2199, 12, 31))
    enroll_worker(registry, labusel, 1)
    medan = registry.app.sign_agreement(CTX, **medan_mou_fields()).agreement
    env = {"REGISTRY_DATABASE_URL": database_url}

    listed = CliRunner().invoke(main, ["agreements", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    header, *rows = [line.split() for line in listed.output.splitlines()]
    assert header == ["number", "id", "kind", "status", "quota", "enrolled"]
    assert rows == [["PKS-LABUSEL-2022", str(labusel), "PKS", "active", "2000", "1"],
                    [medan.agreement_number, str(medan.id), "MOU", "expired", "10000", "0"]]

    only_labusel = CliRunner().invoke(main, ["agreements", "list", "--region", "12.22"], env=env)
    assert [line.split()[0] for line in only_labusel.output.splitlines()[1:]] == [
        "PKS-LABUSEL-2022"]
    nowhere = CliRunner().invoke(main, ["agreements", "list", "--region", "31"], env=env)
    assert (nowhere.exit_code, nowhere.output) == (0, "no agreements in region 31\n")
    wrong = CliRunner().invoke(main, ["agreements", "list", "--region", "12.2"], env=env)
    assert wrong.exit_code == 2 and "Kemendagri" in wrong.output

