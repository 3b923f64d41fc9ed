"""A rebuild shared by processes: the command that starts them, and the child itself.

`python -m registry.entrypoints.rebuild_share` is one child of a shared
rebuild (`projections/jobs.py`): it reads its share from standard input,
opens the registry in its own process and builds that share's shadow tables.
"""

from __future__ import annotations

import functools
import sys

from projections import jobs
from projections.rebuild import Builder
from registry.bootstrap import Registry
from registry.config import Settings

CHILD = (sys.executable, "-m", "registry.entrypoints.rebuild_share")


def shared_by(processes: int) -> Builder | None:
    """A builder sharing a rebuild among `processes` (None: this process alone)."""
    if processes < 2:
        return None
    return functools.partial(jobs.build, jobs=processes, child=CHILD)


def main() -> None:
    database, names = jobs.read_job(sys.stdin.read())
    registry = Registry.open(Settings(database, log_level="WARNING"), create_tables=False)
    try:
        jobs.build_share(registry.projections, names)
    finally:
        registry.close()


if __name__ == "__main__":
    main()
