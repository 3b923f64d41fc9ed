"""What a read model implements."""

from __future__ import annotations

from typing import Any

from registry.db import Cursor


class Projection:
    """A read model: its tables, and how each event changes them."""

    name: str = ""
    tables: tuple[str, ...] = ()  # CREATE TABLE IF NOT EXISTS statements
    table_names: tuple[str, ...] = ()

    def create_tables(self, cur: Cursor) -> None:
        for ddl in self.tables:
            cur.execute(ddl)

    def clear(self, cur: Cursor) -> None:
        for table in self.table_names:
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names

    def process(self, event: Any, cur: Cursor, position: int) -> None:
        raise NotImplementedError

    def start_batch(self) -> None:
        """Forget anything buffered by a batch that did not commit."""

    def end_batch(self, cur: Cursor) -> None:
        """Write what `process` buffered; runs before the batch's position is saved."""
