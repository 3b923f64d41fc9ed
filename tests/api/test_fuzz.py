"""Fuzz every operation of the OpenAPI document with schemathesis, offline and reproducibly.

DESIGN.md section 7: every error is application/problem+json with a stable
`code`, and nothing a client sends may answer a 5xx. The document is loaded
from the app itself through WSGI (no network); every operation is called with
an admin token, with schema-valid (positive) and schema-invalid (negative)
data, once with generated path ids and once with ids that name seeded data.
Hypothesis runs derandomized (a fixed seed) with a bounded number of examples,
so a run is deterministic and finishes in well under a minute and a half.

Checks: no server error; the status code, the content type and the body match
what the document says of that operation. All failures are collected (not
only the first) so that the figures cover every case; the test fails at the
end, naming each failing operation with a curl command to reproduce it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.bootstrap import Registry
from tests.conftest import labusel_pks

MAX_EXAMPLES = 25  # per operation, per generation mode, per set of path ids
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
SEEDED_NIK = "1222014506850001"
SEEDED_REGION = "12.22"

# (method, path) -> checks not run there, each with the product bug that forces it.
EXCLUDED: dict[tuple[str, str], set[str]] = {}


@dataclass
class Figures:
    operations: int = 0
    cases: int = 0
    server_errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    # (operation, check title) -> the first failing example, as a report.
    failures: dict[tuple[str, str], str] = field(default_factory=dict)


def seed(client: Any, headers: dict[str, str]) -> dict[str, str]:
    """One agreement with one enrolled worker, so that some cases reach real resources."""
    signed = client.post("/api/v1/agreements", json=labusel_pks(
        starts_on="2024-01-01", ends_on="2199-12-31", signed_on="2023-12-01"), headers=headers)
    assert signed.status_code == 201, signed.get_data(as_text=True)
    agreement_id = signed.get_json()["id"]
    enrolled = client.post(f"/api/v1/agreements/{agreement_id}/enrollments", headers=headers,
                           json={"nik": SEEDED_NIK, "name": "Siti Aminah",
                                 "occupation": "Buruh tani", "starts_on": "2024-02-01"})
    assert enrolled.status_code == 201, enrolled.get_data(as_text=True)
    return {"agreement_id": agreement_id, "nik": SEEDED_NIK, "code": SEEDED_REGION}


def fuzz(operation: Any, mode: schemathesis.GenerationMode, headers: dict[str, str],
         path_parameters: dict[str, str] | None, figures: Figures) -> None:
    excluded = EXCLUDED.get((operation.method.upper(), operation.path), set())
    checks = [c for c in CHECKS if c.__name__ not in excluded]

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case: Any) -> None:
        figures.cases += 1
        # Every call carries the admin token, even where a negative case dropped or mangled
        # the security header: the fuzzing is of what an authorised client can send.
        case.headers = {**(case.headers or {}), **headers}
        response = case.call(headers=headers)
        figures.statuses[response.status_code] += 1
        if response.status_code >= 500:
            figures.server_errors += 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as error:
            for failure in error.exceptions:
                key = (operation.label, failure.title)
                figures.failures.setdefault(key, f"[{mode.value}] {error}")

    run()


def test_every_operation_survives_fuzzing(registry: Registry, app: Any, client: Any,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {registry.tokens.create('fuzzer', 'admin', [])}"}
    real_ids = seed(client, headers)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    figures = Figures()

    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the document has an invalid operation: {result}"
        operation = result.ok()
        figures.operations += 1
        names = {p.name for p in operation.path_parameters}
        id_sets: list[dict[str, str] | None] = [None]
        if names & real_ids.keys():
            id_sets.append({name: real_ids[name] for name in names & real_ids.keys()})
        for path_parameters in id_sets:
            for mode in MODES:
                fuzz(operation, mode, headers, path_parameters, figures)

    elapsed = time.perf_counter() - started
    summary = (f"schemathesis fuzz: {figures.operations} operations, {figures.cases} cases, "
               f"server errors = {figures.server_errors}, statuses "
               f"{dict(sorted(figures.statuses.items()))}, {elapsed:.1f} s")
    with capsys.disabled():
        print("\n" + summary)
    report = "\n\n".join(f"{label} -- {title}\n{example}"
                         for (label, title), example in figures.failures.items())
    assert figures.server_errors == 0 and not figures.failures, f"{summary}\n\n{report}"
