"""A rebuild shared by processes, each building some of the read models.

Each process reads and decodes the log for its own share of the read models,
so on a machine with as many cores the rebuild takes about as long as its
heaviest share instead of all of them one after the other. On SQLite they
share the one write lock, which each holds only to apply a page it has
already read and decoded (`Rebuild.build`). This process builds the first
share itself while new processes build the others.

Every process decodes the whole log, so this is faster only while the cores
are free: with the second core busy elsewhere, two processes were seen to
take longer than one. More than two would not help much here either: the two
shares (coverage and agreements; history) cost about the same.
"""

from __future__ import annotations

import dataclasses
import json
import queue as queues
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from typing import Any

from projections.base import Projection
from projections.rebuild import Rebuild
from projections.runner import ProjectionRunner, bulk_settings
from registry.config import Database

WAIT_SECONDS = 0.5


class RebuildFailed(RuntimeError):
    """A process building a share of the read models failed; run the rebuild again to resume."""


def shares(projections: Sequence[Projection], jobs: int) -> list[list[str]]:
    """The read models' names dealt into at most `jobs` shares of about equal cost."""
    loads: list[tuple[float, list[str]]] = [(0.0, []) for _ in range(min(jobs, len(projections)))]
    for projection in sorted(projections, key=lambda p: -p.rebuild_cost):
        index = min(range(len(loads)), key=lambda i: loads[i][0])
        cost, names = loads[index]
        loads[index] = (cost + projection.rebuild_cost, [*names, projection.name])
    return [names for _, names in loads]


def build(rebuild: Rebuild, progress: Callable[[int], None], *, jobs: int,
          child: Sequence[str], keys: dict[str, str] | None = None) -> None:
    """Load `rebuild`'s shadow tables up to the head, in `jobs` processes, the
    others started as the command `child` (see `build_share`), told the key
    files `keys`. Each follows the head until it has caught up with it, with the
    facts it has learnt in memory: what is written in the meantime costs it little."""
    first, *others = shares(rebuild.projections, jobs)
    children = _Children(rebuild.runner.store.database, others, progress, child, keys or {})
    try:
        own = Rebuild(rebuild.runner, first)
        own.prepare()

        def advanced(applied: int) -> None:
            progress(applied)
            children.report(block=False)

        own.build(advanced)
        children.report(block=True)
    finally:
        children.stop()


class _Children:
    """The processes building the other shares, and what they report.

    Each is the command given (an entry point that calls `build_share`), told
    its share on its standard input
    and telling its progress on its standard output, a number a line. A new
    interpreter, not a fork or multiprocessing's spawn: nothing of this
    process (connections, threads, the main script) runs again in it.
    """

    def __init__(self, database: Database, shares: list[list[str]],
                 progress: Callable[[int], None], child: Sequence[str],
                 keys: dict[str, str]) -> None:
        self.progress = progress
        self.keys = keys
        self.child = list(child)
        self.lines: queues.Queue[tuple[int, str | None]] = queues.Queue()
        self.processes: list[tuple[list[str], subprocess.Popen[str], Any]] = []
        self.readers: list[threading.Thread] = []
        self.running = 0
        try:
            for names in shares:
                self._start(database, names)
        except BaseException as e:
            self.stop()
            if isinstance(e, Exception):
                raise RebuildFailed(f"could not start a process to rebuild "
                                    f"{', '.join(names)}: {e}") from e
            raise

    def _start(self, database: Database, names: list[str]) -> None:
        errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by stop()
        try:
            process = subprocess.Popen(
                self.child, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=errors, text=True)
        except BaseException:
            errors.close()
            raise
        self.processes.append((names, process, errors))
        reader = threading.Thread(target=self._read, args=(len(self.processes) - 1, process),
                                  daemon=True)
        reader.start()
        self.readers.append(reader)
        self.running += 1
        assert process.stdin is not None
        with process.stdin:
            process.stdin.write(json.dumps({"database": dataclasses.asdict(database),
                                            "names": names, "keys": self.keys}))

    def _read(self, number: int, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        try:
            with process.stdout as lines:
                for line in lines:
                    self.lines.put((number, line))
        finally:
            self.lines.put((number, None))  # whatever happened: the parent must not wait

    def report(self, block: bool) -> None:
        """Pass their progress on; with `block`, until every one is done."""
        while self.running:
            try:
                number, line = self.lines.get(timeout=WAIT_SECONDS) if block \
                    else self.lines.get_nowait()
            except queues.Empty:
                if not block:
                    return
                continue
            if line is not None:
                if line.strip().isdigit():  # anything else is not the child's to say
                    self.progress(int(line))
                continue
            self.running -= 1
            names, process, errors = self.processes[number]
            try:
                process.wait(timeout=60)  # it has closed its output: it is ending
            except subprocess.TimeoutExpired:
                raise RebuildFailed(f"rebuilding {', '.join(names)}: its process stopped "
                                    "talking but did not end") from None
            if process.returncode != 0:
                errors.seek(0)
                said = errors.read().strip().splitlines()
                raise RebuildFailed(f"rebuilding {', '.join(names)} failed: "
                                    f"{said[-1] if said else f'exit code {process.returncode}'}")

    def stop(self) -> None:
        for _, process, errors in self.processes:
            if process.poll() is None:
                process.terminate()
            process.wait()
            errors.close()
        for reader in self.readers:
            reader.join()


def read_job(text: str) -> tuple[Database, list[str], dict[str, str]]:
    """What a child is told on its standard input: the database, its share, and the
    key files to open the store with."""
    job = json.loads(text)
    return Database(**job["database"]), list(job["names"]), dict(job.get("keys", {}))


def build_share(runner: ProjectionRunner, names: list[str]) -> None:
    """In a child: build the shadow tables of one share, saying progress on stdout."""
    share = Rebuild(runner, names)
    share.prepare()
    with bulk_settings(runner.store):
        share.build(lambda applied: print(applied, flush=True))
