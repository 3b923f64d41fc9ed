"""Fuzz every operation of the OpenAPI document with schemathesis, offline and reproducibly.

DESIGN.md section 7: every error is application/problem+json with a stable
`code`, and nothing a client sends may answer a 5xx. The document is loaded
from the app itself through WSGI (no network), once per test process, and
every call carries an admin token. Each operation is a test of its own, on a
registry of its own (so the operations spread over the test processes, and
what one writes never changes what another meets). It is run twice: with
generated path ids, and with the ids of seeded data (one agreement, one
enrolled worker, its region), so that the writes and reads behind the 404s are
reached too. Each run has two stages:

- coverage: schemathesis's deterministic edge cases (boundaries, missing and
  wrongly typed fields, unexpected methods and media types), both positive
  and negative;
- fuzzing: Hypothesis, derandomized (a fixed seed), `MAX_EXAMPLES` cases per
  generation mode (schema-valid and schema-invalid data).

Checks: no server error (nor an exception escaping a view); the status code,
the content type and the body conform to what the document says of that
operation. Every case is checked, not only up to the first failure, so the
figures printed at the end cover the whole run of the operation; the test then
fails naming each failing check with a curl command that reproduces it.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

# The coverage stage has no public entry point outside the CLI and `schema.parametrize()`
# (whose lazy, fixture-based form does not run under pytest 9): build it as `parametrize` does.
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from api.schemas.common import EARLIEST, LATEST
from registry.bootstrap import Registry
from registry.config import Settings
from tests.builders import labusel_pks

SEED = 20221004
MAX_EXAMPLES = 15  # fuzzing cases per operation, per generation mode, per set of path ids
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
SEEDED_NIK = "1222014506850001"
SEEDED_REGION = "12.22"
SETTINGS = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                    suppress_health_check=list(HealthCheck))

# "METHOD /path" -> names of the checks not run there, each with the product bug behind it.
EXCLUDED: dict[str, set[str]] = {}

# Every date of the document also has a pattern: years 1900-2199 (api/schemas/common.py).
# schemathesis draws a `date` from years 1-9999 and throws away what the pattern refuses,
# some 97 draws in 100 for each date field: a body with three dates (POST /agreements)
# needs about 60 draws for each case it keeps. Drawn half the time from the pattern's
# years, a date is kept at once; the other half still reaches every date the default
# does, for the negative cases that break the pattern.
schemathesis.openapi.format("date", st.one_of(
    st.dates(min_value=EARLIEST, max_value=LATEST), st.dates()).map(date.isoformat))


@dataclass
class Figures:
    operations: int = 0
    cases: int = 0
    server_errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)
    # (operation, what failed) -> the first failing case, as a report.
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def summary(self, elapsed: float) -> str:
        return (f"schemathesis fuzz: {self.operations} operations, {self.cases} cases "
                f"({', '.join(f'{k} {v}' for k, v in sorted(self.stages.items()))}), "
                f"server errors = {self.server_errors}, failures = {len(self.failures)}, "
                f"statuses {dict(sorted(self.statuses.items()))}, {elapsed:.1f} s")


def seed(client: Any, headers: dict[str, str]) -> dict[str, str]:
    """One agreement in force for years with one enrolled worker: ids that name real data."""
    signed = client.post("/api/v1/agreements", headers=headers, json=labusel_pks(
        signed_on="2023-12-01", starts_on="2024-01-01", ends_on="2199-12-31"))
    assert signed.status_code == 201, signed.get_data(as_text=True)
    agreement_id = signed.get_json()["id"]
    enrolled = client.post(f"/api/v1/agreements/{agreement_id}/enrollments", headers=headers,
                           json={"nik": SEEDED_NIK, "name": "Siti Aminah",
                                 "occupation": "Buruh tani", "starts_on": "2024-02-01"})
    assert enrolled.status_code == 201, enrolled.get_data(as_text=True)
    return {"agreement_id": agreement_id, "nik": SEEDED_NIK, "code": SEEDED_REGION}


def checker(operation: Any, headers: dict[str, str], figures: Figures,
            stage: str) -> Callable[[Any], None]:
    """The body every generated case runs: call with the admin token, check, record."""
    excluded = EXCLUDED.get(operation.label, set())
    checks = [c for c in CHECKS if c.__name__ not in excluded]

    def run(case: Any) -> None:
        figures.cases += 1
        figures.stages[stage] += 1
        # Every call carries the admin token, even where a negative case dropped or mangled
        # the security header: what is fuzzed is what an authorised client can send.
        case.headers = {**(case.headers or {}), **headers}
        try:
            response = case.call(headers=headers)
        except Exception as error:  # raised out of a view: the app answers 500
            figures.server_errors += 1
            figures.statuses[500] += 1
            figures.failures.setdefault(
                (operation.label, f"unhandled {type(error).__name__}"),
                f"[{stage}] {error!r}\n    {case.as_curl_command(headers=headers)}")
            return
        figures.statuses[response.status_code] += 1
        if response.status_code >= 500:
            figures.server_errors += 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as error:
            for failure in error.exceptions:
                figures.failures.setdefault((operation.label, failure.title),
                                            f"[{stage}] {error}")

    return run


def run_coverage(operation: Any, path_parameters: dict[str, str], headers: dict[str, str],
                 figures: Figures) -> None:
    test = create_test(
        operation=operation,
        test_func=checker(operation, headers, figures, "coverage"),
        config=HypothesisTestConfig(
            project=operation.schema.config,
            modes=[HypothesisTestMode.COVERAGE],
            settings=settings(SETTINGS, phases=[Phase.explicit]),
            override=Override(path_parameters=path_parameters),
        ),
    )
    test()


def run_fuzzing(operation: Any, mode: schemathesis.GenerationMode,
                path_parameters: dict[str, str], headers: dict[str, str],
                figures: Figures) -> None:
    body = checker(operation, headers, figures, f"fuzzing {mode.value}")

    @settings(SETTINGS, max_examples=MAX_EXAMPLES, phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode,
                                      path_parameters=path_parameters or None))
    def test(case: Any) -> None:
        body(case)

    test()


@functools.cache
def operations_of(app: Flask) -> dict[str, Any]:
    """The app's operations by label, loaded once per process: the process has one app
    (tests/conftest.py), pointed at each test's registry, and schemathesis calls it anew
    for every case, so a schema loaded for one test reaches the next test's registry."""
    # An explicit config: no schemathesis.toml found on disk changes what runs.
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app,
                                            config=schemathesis.Config(seed=SEED))
    operations = {}
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the document has an invalid operation: {result}"
        operations[result.ok().label] = result.ok()
    return operations


def operation_labels() -> list[str]:
    """Every operation of the app's OpenAPI document, "METHOD /path", read at collection."""
    with tempfile.TemporaryDirectory() as folder:
        registry = Registry.open(Settings.from_env({
            "REGISTRY_DATABASE_URL": f"sqlite:///{folder}/document.db"}))
        try:
            document = create_app(registry=registry).test_client().get("/openapi.json").json
        finally:
            registry.close()
    return [f"{method.upper()} {path}" for path, item in document["paths"].items()
            for method in item if method in ("get", "put", "post", "delete", "patch")]


@pytest.mark.parametrize("label", operation_labels())
def test_every_operation_survives_fuzzing(registry: Registry, app: Any, client: Any, label: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {registry.tokens.create('fuzzer', 'admin', [])}"}
    real_ids = seed(client, headers)
    operation = operations_of(app)[label]
    # The schema skips the unexpected methods of a path it has already probed: this test
    # probes its own path whatever the process ran before.
    operation.schema.coverage_unexpected_methods_seen.clear()
    figures = Figures(operations=1)

    names = {p.name for p in operation.path_parameters} & real_ids.keys()
    id_sets: list[dict[str, str]] = [{}]
    if names:
        id_sets.append({name: real_ids[name] for name in names})
    for path_parameters in id_sets:
        run_coverage(operation, path_parameters, headers, figures)
        for mode in MODES:
            run_fuzzing(operation, mode, path_parameters, headers, figures)

    summary = figures.summary(time.perf_counter() - started)
    with capsys.disabled():
        print(f"\n{label}: {summary}")
    report = "\n\n".join(f"== {where}: {what}\n{example}"
                         for (where, what), example in figures.failures.items())
    assert figures.cases > 0, summary
    assert figures.server_errors == 0 and not figures.failures, f"{summary}\n\n{report}"
