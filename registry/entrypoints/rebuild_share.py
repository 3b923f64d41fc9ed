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


def shared_by(processes: int, settings: Settings | None = None) -> Builder | None:
    """A builder sharing a rebuild among `processes` (None: this process alone). The
    other processes open the store with the key files of `settings` (those of the
    registry being rebuilt), not with the defaults of where they start."""
    if processes < 2:
        return None
    keys = {} if settings is None else {"signing_key_file": settings.signing_key_path,
                                        "master_key_file": settings.master_key_path}
    return functools.partial(jobs.build, jobs=processes, child=CHILD, keys=keys)


def main() -> None:
    database, names, keys = jobs.read_job(sys.stdin.read())
    settings = Settings(database, log_level="WARNING",
                        signing_key_file=keys.get("signing_key_file", ""),
                        master_key_file=keys.get("master_key_file", ""))
    registry = Registry.open(settings, create_tables=False)
    try:
        jobs.build_share(registry.projections, names)
    finally:
        registry.close()


if __name__ == "__main__":
    main()
