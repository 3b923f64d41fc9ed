"""Files the registry writes are readable by the account that runs it, and no one else.

The database holds every worker's NIK, name and address; exports hold the
whole log; a rejected-rows report holds the rows of a CSV. Each is made 0600
by the code that creates it, and the command line runs with a umask of 077
(inherited by `registry serve`'s workers and projection process), for
anything a library makes on its behalf.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path
from typing import IO, Any

log = logging.getLogger("registry.store.files")

FILE_MODE = 0o600
PRIVATE_UMASK = 0o077
# SQLite makes these beside the database, with the database file's own mode.
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal", ".lock")


def keep_private() -> None:
    """From now on, this process and its children make files 0600 and folders 0700.

    Only ever tightens: bits the operator's umask already masks stay masked.
    """
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)


def open_private(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> IO[Any]:
    """Open `path` to write it from the start, as a file only its owner can read.

    A file already there (an earlier report, say) is made 0600 as well: open()
    would keep its old mode.
    """
    if mode not in ("w", "wt", "wb"):
        raise ValueError(f"open_private writes a file from the start; mode {mode!r} does not")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def private_sqlite_file(path: str) -> None:
    """Create the SQLite database file 0600 before SQLite does (it would make it 0644).

    SQLite gives the WAL, shared-memory and journal files the database file's
    mode, whatever the umask, so an older database made readable by others is
    tightened here too, with a warning.
    """
    if path.startswith(("file:", ":memory:")) or not path:
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
    for companion in SQLITE_COMPANIONS:
        _tighten(path + companion)


def _tighten(path: str) -> None:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if not mode & PRIVATE_UMASK:
        return
    try:
        os.chmod(path, FILE_MODE)
    except OSError as e:  # another account's file, a read-only file system
        log.warning("%s is readable by other accounts (mode %o) and cannot be changed (%s); "
                    "run: chmod 600 %s", path, mode, e.strerror, path)
        return
    log.warning("%s was readable by other accounts (mode %o); made it 0600", path, mode)


def write_new(path: Path, content: bytes) -> bool:
    """Write `content` at `path` (0600) unless a file is there already; whether this wrote it.

    Made whole under a temporary name and linked into place: two processes starting
    at once end up with one file, and nobody ever reads half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        with open_private(partial, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(partial, path)
        except FileExistsError:
            return False
        return True
    finally:
        partial.unlink(missing_ok=True)
