"""Corrections with a preview, on the large log: a civil registry's list of 5,000 dead.

The large log is the one `measures.scale` fills: 1,000,000 events, or 100,000 with
`--quick` (about 50,000 workers then, nearly all under one agreement). The 5,000
workers are drawn from one agreement's, as a regency's list of deaths would be.
Each figure has its baseline measured in the same run, on the same log:

- preview: reading the same 5,000 workers' streams (what any preview must do);
- apply: the same kind of write, 5,000 other workers of that agreement disenrolled
  as DECEASED by the application's own write path in one transaction, without
  a preview (the rules and the save, none of the preview's checks).
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from projections import views
from registry.bootstrap import Registry
from registry.domain.context import Context
from registry.domain.enrollment import Enrollment
from registry.domain.token import Principal
from registry.domain.worker import Worker
from registry.entrypoints.bench import workload
from registry.service.corrections import CorrectionDesk
from registry.service.workspace import Workspace
from registry.store.previews import PreviewStore

ROWS = 5000
TARGETS: dict[str, tuple[str, float]] = {
    "corrections_preview_5000_s": ("<=", 3.0),
    "corrections_apply_5000_s": ("<=", 2.0),
}
SHOWN = (
    ("corrections_preview_5000_s", "preview of 5,000 deaths, large log (s)"),
    ("corrections_read_5000_s", "  reading the same 5,000 workers (s)"),
    ("corrections_apply_5000_s", "apply of that preview (s)"),
    ("corrections_plain_5000_s", "  5,000 other deaths as one plain write (s)"),
)


# Workers 10,000 to 45,000 are under one agreement in either log: the small log's
# fewer than 5,000 have one of their own, and the large one's next agreement
# starts at worker 50,000 (`workload.grow`).
DRAWN_FROM = range(10_000, 45_000)


def _niks(rng: random.Random, count: int) -> list[str]:
    """`count` workers of one agreement of the large log, each drawn once."""
    return [workload.worker(i, workload.region_of(i))["nik"]
            for i in rng.sample(DRAWN_FROM, count)]


def corrections(registry: Registry, say: Callable[[str], None]) -> dict[str, Any]:
    from api.correction_rows import read

    events = registry.app.head_position()
    niks = _niks(random.Random(18), 2 * ROWS)
    dead, others = niks[:ROWS], niks[ROWS:]
    say(f"corrections: reading 5,000 workers' streams, log of {events:,} events")
    began = time.perf_counter()
    workers: list[Worker] = [registry.app.repository.get(registry.app.worker_id(n)) for n in dead]
    read_s = time.perf_counter() - began
    enrollments = [w.live_enrollments()[0] for w in workers]
    died_on = _midway(enrollments)
    csv = "action,agreement_number,nik,ends_on,reason_code\n" + "".join(
        f"disenroll,{e.agreement_number},{nik},{died_on},DECEASED\n"
        for nik, e in zip(dead, enrollments, strict=True))
    found = read(csv.encode(), True, "bench: daftar kematian")
    desk = CorrectionDesk(registry.app, PreviewStore(registry.store),
                          functools.partial(views.contributions, registry.projections),
                          registry.settings.preview_ttl)
    ctx, principal = Context("bench"), Principal("bench", "admin")
    say(f"corrections: previewing 5,000 DECEASED disenrollments on {died_on} at the large "
        f"log ({events:,} events; 1,000,000 without --quick, 100,000 with it)")
    began = time.perf_counter()
    preview = desk.preview(ctx, principal, found.file)
    preview_s = time.perf_counter() - began
    if any(row.error for row in preview["rows"]):
        raise RuntimeError(f"the benchmark's own corrections were refused: {preview['rows'][:3]}")
    months = len(preview["changes"]["contributions"])
    say(f"corrections: the preview changes {months} months' contributions (none when the "
        "workers' coverage lies within one month)")
    say("corrections: applying the preview")
    apply_s = _timed(lambda: desk.apply(ctx, principal, preview["preview_id"]))
    say("corrections: 5,000 other deaths through the plain write path")
    plain_s = _timed(lambda: _plain_write(registry, ctx, others,
                                          enrollments[0].agreement_id, died_on))
    return {"corrections_events": events, "corrections_months_changed": months,
            "corrections_preview_5000_s": preview_s,
            "corrections_read_5000_s": read_s, "corrections_apply_5000_s": apply_s,
            "corrections_plain_5000_s": plain_s}


def _midway(enrollments: list[Enrollment]) -> date:
    """A day every enrollment covers, as far into their coverage as may be: a death
    before their last month, so that contributions change if they span several."""
    first = max(e.starts_on for e in enrollments)
    last = min(e.ends_on for e in enrollments)
    return first + (last - first) / 2


def _plain_write(registry: Registry, ctx: Context, niks: list[str], agreement_id: UUID,
                 died_on: date) -> None:
    """The disenrollments themselves, as one write of the application: the baseline."""
    app = registry.app

    def attempt() -> tuple[list[Any], None]:
        ws = Workspace(app)
        ws.load_workers(niks)
        for nik in niks:
            app.disenroll_in(ws, ctx, agreement_id, nik, ends_on=died_on,
                             reason_code="DECEASED", reason="bench")
        return ws.changed(), None

    app.write(attempt, ctx, reserve=[agreement_id])


def _timed(work: Callable[[], Any]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began
