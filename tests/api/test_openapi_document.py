"""The served /openapi.json is a valid OpenAPI 3 document that says what the server takes
and answers: checked by openapi-spec-validator, with ECMA-262 patterns only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from api.schemas.common import NIK_PATTERN
from registry.domain import nik as niks
from registry.domain.errors import ValidationFailed

# Python-only regular expression syntax that ECMA-262 reads otherwise or refuses.
PYTHON_ONLY = re.compile(r"\\[AZz]|\(\?P[<=]|\(\?[aiLmsux]+\)|\(\?#")
PROBLEMS = {"400", "401", "403", "404", "409", "412", "413", "415", "422"}


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    return client.get("/openapi.json").json


def patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [p for value in node.values() for p in patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in patterns(value)]
    return []


def test_openapi_spec_validator_accepts_the_served_document(document):
    validate(document)


def test_every_pattern_is_ecma_262(document):
    found = patterns(document)
    assert NIK_PATTERN in found
    assert [p for p in found if PYTHON_ONLY.search(p)] == []


def test_every_operation_documents_the_problems_it_can_answer(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            statuses = set(operation["responses"])
            assert statuses >= PROBLEMS, (method, path, PROBLEMS - statuses)
            if method in ("post", "put", "patch", "delete"):
                assert "405" in statuses, (method, path)  # a read-only registry


def test_batch_rows_are_typed_as_workers(document):
    batch = document["paths"]["/api/v1/agreements/{agreement_id}/enrollments/batch"]["post"]
    schema = batch["requestBody"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    rows = document["components"]["schemas"][name]["properties"]["workers"]["items"]
    assert rows == {"$ref": "#/components/schemas/WorkerIn"}


def test_the_undeclared_query_check_and_the_document_agree_on_the_batch_parameters(document):
    batch = document["paths"]["/api/v1/agreements/{agreement_id}/enrollments/batch"]["post"]
    assert {p["name"] for p in batch["parameters"] if p["in"] == "query"} == {"atomic"}


def _nik_is_valid(candidate: str) -> bool:
    try:
        niks.check(candidate)
    except ValidationFailed:
        return False
    return True


def test_the_nik_pattern_agrees_with_the_domain_on_every_encoded_date():
    for dd in range(100):
        for mm in range(14):
            for yy, serial in ((0, "0001"), (1, "0010"), (4, "1000"), (99, "0000")):
                candidate = f"122201{dd:02d}{mm:02d}{yy:02d}{serial}"
                assert bool(re.fullmatch(NIK_PATTERN, candidate)) == _nik_is_valid(candidate), (
                    candidate)


def test_writes_about_workers_document_the_probe_limit(document):
    for path in ("/api/v1/agreements/{agreement_id}/enrollments",
                 "/api/v1/agreements/{agreement_id}/enrollments/batch",
                 "/api/v1/corrections/preview"):
        assert "429" in document["paths"][path]["post"]["responses"], path
