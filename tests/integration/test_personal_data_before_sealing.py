"""A store written before personal data was sealed keeps opening, reading and verifying;
`registry verify` counts what it holds in clear, and its workers cannot be 'erased'
by a key that never sealed them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from projections import views
from registry.audit import integrity
from registry.bootstrap import Registry
from registry.config import Settings
from registry.domain.dates import today
from registry.domain.errors import RecordedInClear
from registry.domain.worker import Worker
from registry.service.application import RegistryApplication
from registry.service.privacy import PersonalData
from registry.store.db import ensure_schema
from registry.store.keyring import events_in_clear
from tests.builders import CTX, enroll_worker, nik, sign_labusel_pks


@pytest.fixture
def written_before_sealing(settings: Settings) -> Any:
    """A Labuhanbatu Selatan PKS and worker 1, written by an application with no keyring
    (as every store was before sealing): her events hold her NIK and name in clear."""
    ensure_schema(settings.database)
    app = RegistryApplication(settings.database)
    try:
        agreement_id = sign_labusel_pks(SimpleNamespace(app=app))
        enroll_worker(SimpleNamespace(app=app), agreement_id, 1)
    finally:
        app.close()
    return agreement_id


def test_a_store_from_before_sealing_reads_verifies_and_counts_what_is_in_clear(
        settings: Settings, written_before_sealing: Any) -> None:
    registry = Registry.open(settings)
    try:
        assert registry.app.worker_id(nik(1)) == Worker.create_id(nik(1))
        found = views.worker(registry.projections, nik(1), on=today(), scopes=None)
        assert (found["nik"], found["name"]) == (nik(1), "Pekerja 1")
        # A worker enrolled now is sealed, under a pseudonym; the old one stays as it was.
        enroll_worker(registry, written_before_sealing, 2)
        assert registry.app.worker_id(nik(2)) != Worker.create_id(nik(2))
        assert views.worker(registry.projections, nik(2), on=today(),
                            scopes=None)["name"] == "Pekerja 2"
        assert events_in_clear(registry.app.keyring) == 2  # her registration and enrollment
        assert integrity.audit(registry).ok
        with pytest.raises(RecordedInClear):
            PersonalData(registry.app).erase(CTX, nik(1), "permintaan", "UU 27/2022")
    finally:
        registry.close()
