"""Erasure on the large log (`measures.scale`'s), beside the write it is most like.

- `erase_ms`: the median time to erase one worker (`PersonalData.erase`: the
  worker loaded, `WorkerPersonalDataErased` written and the data key destroyed in
  one transaction), over 20 workers;
- `erase_baseline_ms`: the median time to correct one worker's address, the
  single-worker write with the same shape, interleaved with the erasures.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from registry.bootstrap import Registry
from registry.domain.context import Context
from registry.service.privacy import PersonalData

TARGETS: dict[str, tuple[str, float]] = {"erase_ms": ("<=", 50)}
SHOWN = (
    ("erase_ms", "erase one worker's personal data, large log: median (ms)"),
    ("erase_baseline_ms", "  baseline: correct one worker's address, same run (ms)"),
)
ROUNDS = 20


def erasure(registry: Registry, niks: list[str], say: Callable[[str], None]) -> dict[str, Any]:
    say(f"privacy: {ROUNDS} erasures, each beside a correction, on the large log")
    app, ctx = registry.app, Context("bench")
    desk = PersonalData(app)
    erased, corrected = [], []
    for n in range(ROUNDS):
        began = time.perf_counter()
        app.correct_worker(ctx, niks[2 * n], "alamat baru", address=f"Jl. Bench No. {n}")
        corrected.append(time.perf_counter() - began)
        began = time.perf_counter()
        desk.erase(ctx, niks[2 * n + 1], "permintaan pekerja", "UU 27/2022 Pasal 8")
        erased.append(time.perf_counter() - began)
    return {"erase_ms": 1000 * statistics.median(erased),
            "erase_baseline_ms": 1000 * statistics.median(corrected)}
