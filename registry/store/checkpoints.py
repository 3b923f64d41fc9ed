"""The verifiable log's tables beside the tree: checkpoints, cosignatures, witness keys.

Checkpoints are kept as signed (so `registry verify` can check the newest
against the tree, and cosignatures have a note to hang on); cosignatures
only once verified against a witness key configured here by `registry
witness add-key`. None of it is needed to prove anything: a checkpoint or a
cosignature carries its own signature.
"""

from __future__ import annotations

from datetime import UTC, datetime

from registry.store.db import SqlStore

DDL = (
    ("CREATE TABLE IF NOT EXISTS log_checkpoints (tree_size BIGINT PRIMARY KEY, "
     "root TEXT NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS log_cosignatures (tree_size BIGINT NOT NULL, "
     "witness TEXT NOT NULL, key_id TEXT NOT NULL, cosigned_at BIGINT NOT NULL, "
     "line TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (tree_size, witness, key_id))"),
    ("CREATE TABLE IF NOT EXISTS log_witness_keys (name TEXT NOT NULL, key_id TEXT NOT NULL, "
     "vkey TEXT NOT NULL, added_at TEXT NOT NULL, PRIMARY KEY (name, key_id))"),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class CheckpointStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def create_tables(self) -> None:
        with self.store.transaction(write=True) as cur:
            for statement in DDL:
                cur.execute(statement)

    def keep(self, tree_size: int, root: str, note: str) -> None:
        """Keep a signed checkpoint; one already kept for the size stays as it is."""
        with self.store.transaction(write=True) as cur:
            cur.execute("INSERT INTO log_checkpoints (tree_size, root, note, signed_at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING",
                        (tree_size, root, note, _now()))

    def note(self, tree_size: int) -> str | None:
        with self.store.transaction() as cur:
            row = cur.execute("SELECT note FROM log_checkpoints WHERE tree_size = ?",
                              (tree_size,)).fetchone()
        return str(row[0]) if row else None

    def newest(self) -> tuple[int, str, str] | None:
        """(tree size, base64 root, note) of the largest checkpoint kept."""
        with self.store.transaction() as cur:
            row = cur.execute("SELECT tree_size, root, note FROM log_checkpoints "
                              "ORDER BY tree_size DESC LIMIT 1").fetchone()
        return (int(row[0]), str(row[1]), str(row[2])) if row else None

    def newest_signed(self) -> tuple[int, datetime] | None:
        """(tree size, when signed) of the largest checkpoint kept: its age is watched."""
        with self.store.transaction() as cur:
            row = cur.execute("SELECT tree_size, signed_at FROM log_checkpoints "
                              "ORDER BY tree_size DESC LIMIT 1").fetchone()
        return (int(row[0]), datetime.fromisoformat(str(row[1]))) if row else None

    def newest_cosigned(self, at_least: int) -> int | None:
        """The largest tree size of at least `at_least` that holds a cosignature."""
        with self.store.transaction() as cur:
            row = cur.execute("SELECT MAX(tree_size) FROM log_cosignatures WHERE tree_size >= ?",
                              (at_least,)).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def add_cosignature(self, tree_size: int, witness: str, key_id: str, cosigned_at: int,
                        line: str) -> None:
        """Keep a verified cosignature; a witness's newer one for the size replaces its older."""
        with self.store.transaction(write=True) as cur:
            cur.execute(
                "INSERT INTO log_cosignatures (tree_size, witness, key_id, cosigned_at, line, "
                "received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tree_size, witness, key_id) "
                "DO UPDATE SET cosigned_at = excluded.cosigned_at, line = excluded.line, "
                "received_at = excluded.received_at "
                "WHERE excluded.cosigned_at > log_cosignatures.cosigned_at",
                (tree_size, witness, key_id, cosigned_at, line, _now()))

    def cosignatures(self, tree_size: int) -> list[str]:
        """The cosignature lines held for the size, in witness order."""
        with self.store.transaction() as cur:
            rows = cur.execute("SELECT line FROM log_cosignatures WHERE tree_size = ? "
                               "ORDER BY witness, key_id", (tree_size,)).fetchall()
        return [str(r[0]) for r in rows]

    def add_witness_key(self, name: str, key_id: str, vkey: str) -> bool:
        """Configure a witness's verifier key; False if it was configured already."""
        with self.store.transaction(write=True) as cur:
            cur.execute("INSERT INTO log_witness_keys (name, key_id, vkey, added_at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (name, key_id) DO NOTHING",
                        (name, key_id, vkey, _now()))
            return cur.rowcount == 1

    def witness_keys(self) -> list[str]:
        with self.store.transaction() as cur:
            rows = cur.execute("SELECT vkey FROM log_witness_keys ORDER BY name, key_id"
                               ).fetchall()
        return [str(r[0]) for r in rows]
