"""Agreements the domain's unit tests start from, signed in memory (no database).

The Labuhanbatu Selatan PKS of DESIGN.md section 4 (2,000 workers, JKK + JKM,
October to December 2022) and the Kota Medan MOU with PKSs under it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.domain.agreement import Agreement
from registry.domain.context import Context

ctx = Context("registrar:labusel", request_id="req-1")


def labusel(**overrides: Any) -> Agreement:
    """The Labuhanbatu Selatan PKS, with any field replaced."""
    fields: dict[str, Any] = {
        "agreement_number": "PKS-LABUSEL-2022",
        "kind": "PKS",
        "region_code": "12.22",
        "region_name": "Kabupaten Labuhanbatu Selatan",
        "sponsor": "Pemerintah Kabupaten Labuhanbatu Selatan",
        "bpjs_office": "BPJS Ketenagakerjaan Cabang Rantauprapat",
        "signed_on": date(2022, 10, 4),
        "funding_source": "APBD",
        "programs": ["JKK", "JKM"],
        "starts_on": date(2022, 10, 1),
        "ends_on": date(2022, 12, 31),
        "quota": 2000,
    }
    fields.update(overrides)
    return Agreement.sign(ctx, **fields)


def medan_mou(**overrides: Any) -> Agreement:
    """Kota Medan's MOU for 2025: 10,000 workers."""
    fields: dict[str, Any] = {
        "agreement_number": "MOU-MEDAN-2025", "kind": "MOU", "region_code": "12.71",
        "region_name": "Kota Medan", "signed_on": date(2025, 1, 15),
        "starts_on": date(2025, 2, 1), "ends_on": date(2025, 12, 31), "quota": 10_000,
    }
    fields.update(overrides)
    return labusel(**fields)


def medan_pks(parent: Agreement, number: str, quota: int, **overrides: Any) -> Agreement:
    """A PKS of one Medan agency under the MOU."""
    fields: dict[str, Any] = {
        "agreement_number": number, "region_code": "12.71", "region_name": "Kota Medan",
        "signed_on": date(2025, 2, 1), "starts_on": date(2025, 2, 1),
        "ends_on": date(2025, 12, 31), "quota": quota, "parent": parent,
    }
    fields.update(overrides)
    return labusel(**fields)


def enrolled(agreement: Agreement, count: int, term_number: int = 1) -> Agreement:
    """The agreement after `count` workers took a slot of the term."""
    agreement.take_slots(ctx, term_number, count)
    return agreement
