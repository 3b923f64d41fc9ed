"""The background process that keeps read models current (`registry serve`).

Request handlers catch up before they read, so this only spares them the
wait. Once a minute it also deletes expired idempotency keys. `registry serve`
forks it; run alone: `python -m registry.entrypoints.projector`. It exits when
its parent does.
"""

from __future__ import annotations

import logging
import os
import signal
import time

from registry.bootstrap import Registry

log = logging.getLogger("registry.projections")

POLL_SECONDS = 0.2
PURGE_SECONDS = 60.0  # expired idempotency keys


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
    purged_at = time.monotonic() - PURGE_SECONDS  # at start, then once a minute
    try:
        while not stopping and os.getppid() == parent:
            if time.monotonic() - purged_at >= PURGE_SECONDS:
                purged_at = time.monotonic()
                purge_expired_keys(registry)
            try:
                registry.projections.catch_up()
                failures = 0
            except Exception:  # noqa: BLE001 - keep serving; the next poll retries
                failures += 1
                log.exception("projection catch-up failed (attempt %d)", failures)
            # Caught up (a catch-up goes to the head it found): wait even while writes
            # keep coming, so that it applies them a poll's worth at a time. Going again
            # at once applied them a few at a time, each few a write transaction of its
            # own on the writers' lock.
            time.sleep(min(poll_seconds * (2 ** failures), 10))
    finally:
        registry.close()


def purge_expired_keys(registry: Registry) -> None:
    """Idempotency records past their TTL: claims delete a few as they go, this the rest."""
    if registry.read_only:
        return
    try:
        deleted = registry.idempotency.purge_expired(registry.settings.idempotency_ttl)
    except Exception:  # noqa: BLE001 - expired keys are already treated as new: retry later
        log.exception("deleting expired idempotency keys failed")
        return
    if deleted:
        log.info("deleted %d expired idempotency keys", deleted)


def main() -> None:
    from registry.entrypoints import logs

    logs.configure(os.environ.get("REGISTRY_LOG_LEVEL", "INFO").upper())
    run()


if __name__ == "__main__":
    main()
