"""Erasure on request and legal holds (UU 27/2022 Pelindungan Data Pribadi).

Erasure destroys the worker's data key in the same transaction as the
`WorkerPersonalDataErased` event that records it: every sealed field of that
worker is undecryptable from then on, while the events, their hash chain and
every proof over them stay exactly as they were (docs/privacy.md).
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from registry.domain.context import Context
from registry.domain.errors import NotFound, RecordedInClear
from registry.domain.nik import mask
from registry.domain.worker import Worker
from registry.service.application import RegistryApplication


class PersonalData:
    def __init__(self, app: RegistryApplication) -> None:
        self.app = app

    def _worker(self, ctx: Context, nik: str) -> Worker:
        worker = self.app.get_worker(nik)
        if worker.erased:
            return worker  # the domain refuses what follows, with its own code
        if not worker.visible_in(ctx.regions):
            raise NotFound(f"no worker with NIK {mask(nik)}")
        return worker

    def erase(self, ctx: Context, nik: str, reason: str, legal_basis: str) -> tuple[str, int]:
        """Forget the person; (their pseudonymous worker id, the event's position)."""
        keyring = self.app.keyring

        def attempt() -> tuple[list[Aggregate], str]:
            worker = self._worker(ctx, nik)
            if not worker.erased and keyring is not None and keyring.key(worker.id) is None:
                raise RecordedInClear(
                    "this worker was recorded before personal data was sealed: their events "
                    "hold it in clear, so destroying a key would erase nothing "
                    "(docs/privacy.md, 'Stores written before sealing')")
            worker.erase(ctx, reason, legal_basis)
            return [worker], str(worker.id)

        worker_id, position = self.app.write(attempt, ctx, erase_keys=True)
        if keyring is not None:
            keyring.scrub()
        return worker_id, position

    def set_legal_hold(self, ctx: Context, nik: str, held: bool, reason: str
                       ) -> tuple[Worker, int]:
        def attempt() -> tuple[list[Aggregate], Worker]:
            worker = self._worker(ctx, nik)
            return ([worker] if worker.set_legal_hold(ctx, held, reason) else []), worker

        return self.app.write(attempt, ctx)
