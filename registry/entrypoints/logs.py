"""Structured logs: one JSON object per line, never a full NIK."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from registry.domain.nik import mask

_NIK = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")


# Left as the client sent it, so that a log line can be found by the X-Request-ID the
# client got back (api/requests.py accepts only [A-Za-z0-9._-]{1,64} there).
UNMASKED_FIELDS = frozenset({"request_id"})


def mask_niks(text: str) -> str:
    """Replace every 16-digit run that could be a NIK by its masked form."""
    return _NIK.sub(lambda m: mask(m.group(0)), text)


def masked(value: Any) -> Any:
    """A log field's value with every NIK in it masked, at any depth."""
    if isinstance(value, str):
        return mask_niks(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return mask_niks(str(value)) if 10**15 <= abs(value) < 10**16 else value
    if isinstance(value, dict):
        return {masked(str(k)): masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [masked(v) for v in value]
    return mask_niks(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        entry = {masked(key): value if key in UNMASKED_FIELDS else masked(value)
                 for key, value in entry.items()}
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    """Send the registry's logs to stderr as JSON lines (once per process)."""
    logger = logging.getLogger("registry")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
