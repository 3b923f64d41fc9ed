"""`registry demo` after the README walkthrough, which signs PKS/LBS/2022/10 by hand:
all or nothing, so nothing, and it says which agreement stood in the way."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from registry.domain.context import Context
from registry.domain.errors import DuplicateAgreementNumber
from registry.entrypoints import demo
from registry.entrypoints.cli import main
from tests.builders import labusel_pks_fields


def test_the_demo_after_the_walkthrough_writes_nothing_and_names_the_agreement(
        registry, database_url):
    # The walkthrough: sign the Labuhanbatu Selatan PKS, renew it for 2023.
    signed = registry.app.sign_agreement(Context("walkthrough"), **labusel_pks_fields(
        agreement_number="PKS/LBS/2022/10"))
    registry.app.renew_agreement(Context("walkthrough"), signed.agreement.id,
                                 ends_on=date(2023, 12, 31), reason="Pemkab promised")
    head = registry.app.head_position()

    # The demo refuses before it writes anything, and names the agreement.
    with pytest.raises(DuplicateAgreementNumber, match="PKS/LBS/2022/10"):
        demo.load(registry.app)
    assert registry.app.head_position() == head

    # So does the command, with a clear message and exit 1, twice over.
    for _ in range(2):
        result = CliRunner().invoke(main, ["demo"],
                                    env={"REGISTRY_DATABASE_URL": database_url})
        assert result.exit_code == 1, result.output
        assert "PKS/LBS/2022/10" in result.output and "wrote nothing" in result.output
        assert "MOU/BJ/2025/11" not in result.output
        assert registry.app.head_position() == head


def test_the_hints_name_the_address_registry_serve_serves():
    from registry.entrypoints.demo_cli import demo_hints

    assert "http://127.0.0.1:8000/ui/" in demo_hints("127.0.0.1", 8000)
    assert "localhost" not in demo_hints("127.0.0.1", 8000)
    moved = demo_hints("0.0.0.0", 8080)  # noqa: S104
    assert "registry serve --host 0.0.0.0 --port 8080" in moved
    assert "http://127.0.0.1:8080/api/v1/agreements" in moved
