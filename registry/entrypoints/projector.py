"""The background process that keeps read models current (`registry serve`).

Request handlers catch up before they read, so this only spares them the
wait. Run alone: `python -m projections.worker`. It exits when its parent does.
"""

from __future__ import annotations

import logging
import os
import signal
import time

from registry.bootstrap import Registry

log = logging.getLogger("registry.projections")

POLL_SECONDS = 0.2


def run(poll_seconds: float = POLL_SECONDS) -> None:
    parent = os.getppid()
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    registry = Registry.open()
    failures = 0
    try:
        while not stopping and os.getppid() == parent:
            try:
                applied = registry.projections.catch_up()
                failures = 0
            except Exception:  # noqa: BLE001 - keep serving; the next poll retries
                failures += 1
                log.exception("projection catch-up failed (attempt %d)", failures)
                applied = 0
            if not applied:
                time.sleep(min(poll_seconds * (2 ** failures), 10))
    finally:
        registry.close()


if __name__ == "__main__":
    from registry.entrypoints import logs

    logs.configure(os.environ.get("REGISTRY_LOG_LEVEL", "INFO").upper())
    run()
