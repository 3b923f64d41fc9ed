"""Events of a corrections file's stream: the file applied, after its preview.

The stream's id is derived from the preview's (secret) id, so that a preview
can be applied once: a second apply would create the stream again, and the
store refuses that in the same transaction as everything else it would write.
"""

from __future__ import annotations

from events.base import RegistryCreated


class CorrectionsApplied(RegistryCreated):
    """A corrections file was applied as previewed at log position `based_on_position`.

    Every event the file wrote carries this event's `request_id`; those that
    have a `reason` carry the row's, else the file's `reason`, kept here too.
    `actions` counts the rows by action; `file_digest` is the SHA-256 of the
    corrections as read from the file, the same for the same file however sent.
    """

    TOPIC = "CorrectionsApplied"

    reason: str | None
    based_on_position: int
    rows: int
    actions: dict[str, int]
    file_digest: str
