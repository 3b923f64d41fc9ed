"""The directory where gunicorn's workers leave their counts for `/metrics` (api/metrics.py).

prometheus-client decides at import whether it counts in memory or in
files, by whether `PROMETHEUS_MULTIPROC_DIR` is set: `registry serve` sets
it before anything imports the client, so that every worker it forks counts
in files. The directory is emptied at start: files of an earlier run would
be added to this one's counts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare() -> Path | None:
    """Set up the directory; returns it if it is ours to remove at the end.

    An operator's own `PROMETHEUS_MULTIPROC_DIR` is used (and emptied of the
    client's files); otherwise a private temporary one is made.
    """
    given = os.environ.get(ENV)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="registry-metrics-"))
    os.environ[ENV] = str(made)
    return made


def worker_exited(_server: Any, worker: Any) -> None:
    """gunicorn's child_exit: the worker's live gauges no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def remove(made: Path | None) -> None:
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
