"""Whether a server holds this store's master key in memory: `keys rotate` refuses then.

A running `registry serve` wraps each new worker's data key under the master
key it read at start. Were the key rotated under it, the keys it wrapped
afterwards would open only with the retired key, and the personal data of
the workers it enrolled would be lost with that key. So a server holds a
shared mark on its store for as long as it runs (so does every command that
opens the store), and `registry keys rotate` takes the mark alone, refusing
while a server holds it; a server does not start while a rotation holds it.

The mark goes with the process however it ends, SIGKILL included:
- SQLite: an `flock` on a file beside the database (`<database>.serving`),
  kept by gunicorn's workers, which inherit it;
- PostgreSQL: a session advisory lock keyed by the schema, on a connection of
  its own (every server of a PostgreSQL store holds it, on whichever host).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from registry.config import ConfigurationError, Database

# The first key of the two-key advisory lock: what the lock is about ("Rgst").
_LOCK_CLASS = 0x52677374


class StoreInUse(Exception):
    """The mark is held the other way; the message says by what and what to do."""


SERVER_RUNNING = ("`registry serve`, or another registry command, is running on this "
                  "store: stop it first (a running process keeps the master key in memory "
                  "and would go on wrapping new workers' keys under the old one)")
ROTATING = ("`registry keys rotate` is running on this store: try again once it has "
            "finished")


@contextmanager
def serving(database: Database) -> Iterator[None]:
    """Held by `registry serve` for its whole life, and by a command while the store is open."""
    with _mark(database, shared=True, busy=ROTATING):
        yield


@contextmanager
def alone(database: Database) -> Iterator[None]:
    """Held by `registry keys rotate`: no server or command has the store open meanwhile."""
    with _mark(database, shared=False, busy=SERVER_RUNNING):
        yield


@contextmanager
def _mark(database: Database, *, shared: bool, busy: str) -> Iterator[None]:
    if database.engine == "sqlite":
        with _file_mark(os.path.abspath(database.path) + ".serving", shared, busy):
            yield
    else:
        with _advisory_mark(database, shared, busy):
            yield


@contextmanager
def _file_mark(path: str, shared: bool, busy: str) -> Iterator[None]:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        if not shared:
            raise
        # A folder this process cannot write (a copy on read-only media): a rotation
        # could not write the database there either.
        yield
        return
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreInUse(busy) from None
        yield
    finally:
        os.close(fd)  # the lock goes with the last descriptor that shares it


@contextmanager
def _advisory_mark(database: Database, shared: bool, busy: str) -> Iterator[None]:
    import psycopg  # only for a PostgreSQL store

    take = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    try:
        conn = psycopg.connect(database.conninfo(), autocommit=True)
    except psycopg.OperationalError as e:
        raise ConfigurationError(f"cannot reach the PostgreSQL database: {e}") from None
    with conn:
        row = conn.execute(f"SELECT {take}(%s, hashtext(%s))",  # noqa: S608 - two names
                           (_LOCK_CLASS, database.schema)).fetchone()
        if not (row and row[0]):
            raise StoreInUse(busy)
        yield  # closing the connection ends the session, and the lock with it
