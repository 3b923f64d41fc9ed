"""Domain errors: a stable code, a detail, field errors, and what may be withheld."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from registry.domain.errors import (
    AgreementNotActive,
    AlreadyCovered,
    ConcurrentUpdate,
    DuplicateAgreementNumber,
    IdentityMismatch,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    QuotaExceeded,
    RegistryError,
    ValidationFailed,
    WorkerDeceased,
    require_version,
    withheld,
)


@pytest.mark.parametrize(("error", "code"), [
    (RegistryError, "invalid_transition"),
    (ValidationFailed, "validation_failed"),
    (NotFound, "not_found"),
    (DuplicateAgreementNumber, "duplicate_agreement_number"),
    (QuotaExceeded, "quota_exceeded"),
    (AgreementNotActive, "agreement_not_active"),
    (InvalidTransition, "invalid_transition"),
    (ConcurrentUpdate, "concurrent_update"),
    (PreconditionFailed, "precondition_failed"),
    (AlreadyCovered, "already_covered"),
    (WorkerDeceased, "worker_deceased"),
    (IdentityMismatch, "identity_mismatch"),
])
def test_each_refusal_carries_the_code_of_the_http_contract(error, code):
    assert error.code == code
    assert issubclass(error, RegistryError)


def test_an_error_keeps_its_detail_and_field_errors():
    error = ValidationFailed("quota: must be at least 1", {"quota": "must be at least 1"})
    assert str(error) == error.detail == "quota: must be at least 1"
    assert error.errors == {"quota": "must be at least 1"}
    assert QuotaExceeded("full").errors is None
    assert QuotaExceeded("full").subject is None


def test_a_write_naming_the_current_version_or_none_goes_ahead():
    require_version(SimpleNamespace(version=3), 3, "agreement")
    require_version(SimpleNamespace(version=3), None, "agreement")


def test_a_write_naming_an_older_version_is_refused_saying_both():
    with pytest.raises(PreconditionFailed) as raised:
        require_version(SimpleNamespace(version=4), 3, "agreement")
    assert raised.value.detail == "If-Match names version 3, but the agreement is at version 4"


def test_a_withheld_refusal_says_only_its_code_and_names_the_worker():
    hidden = withheld(WorkerDeceased("died on 2023-02-14 under PKS-LABUSEL-2022"), "w-1")
    assert type(hidden) is WorkerDeceased
    assert hidden.subject == "w-1"
    assert hidden.detail == ("refused (worker_deceased): this worker's other records lie "
                             "outside your regions, so nothing more can be said")
    assert "2023" not in str(hidden) and hidden.errors is None
