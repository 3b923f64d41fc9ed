"""The workspace a write (or a preview) runs on: copies, loaded once, undone on refusal."""

from __future__ import annotations

from datetime import date

from registry.service.workspace import Workspace
from tests.builders import CTX, enroll_worker, nik, sign_labusel_pks


def test_a_refused_row_is_undone_to_its_mark_and_nothing_is_stored(registry):
    labusel = sign_labusel_pks(registry)
    enroll_worker(registry, labusel, 1)
    ws = Workspace(registry.app, defer_slots=True)
    ws.load_workers([nik(1), nik(2)])
    worker = ws.worker(nik(1))
    mark = ws.mark([worker.id, labusel])
    # Die, then (say) a rule later in the same row refuses: undo to the mark.
    registry.app.disenroll_in(ws, CTX, labusel, nik(1), ends_on=date(2022, 11, 10),
                              reason_code="DECEASED")
    assert [type(e).__name__ for e in ws.changed()[0].pending_events] == ["WorkerDisenrolled"]
    assert ws.released_in(labusel)[1] == 1
    ws.undo_to(mark)
    assert ws.changed() == []
    assert ws.released_in(labusel)[1] == 0
    assert ws.worker(nik(1)).enrollments == registry.app.get_worker(nik(1)).enrollments
    # What was read, at which version; a NIK with no stream is noted as such.
    assert ws.versions[worker.id] == registry.app.get_worker(nik(1)).version
    assert ws.versions[registry.app.get_worker(nik(1)).id] is not None
    assert None in ws.versions.values()


def test_workers_loaded_together_equal_workers_loaded_one_by_one(registry):
    labusel = sign_labusel_pks(registry)
    for i in range(1, 4):
        enroll_worker(registry, labusel, i)
    registry.app.correct_worker(CTX, nik(2), "ejaan", name="Pekerja Dua")
    ws = Workspace(registry.app)
    ws.load_workers([nik(3), nik(1), nik(2)])
    for i in (1, 2, 3):
        alone = registry.app.get_worker(nik(i))
        together = ws.worker(nik(i))
        assert (together.version, together.name, together.enrollments) == (
            alone.version, alone.name, alone.enrollments)
    assert [w.nik for w in ws.workers.values()] == [nik(3), nik(1), nik(2)]
