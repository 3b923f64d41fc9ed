"""Structured logs: one JSON object per line, never a full NIK."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from registry.nik import mask

_NIK = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")


def mask_niks(text: str) -> str:
    """Replace every 16-digit run that could be a NIK by its masked form."""
    return _NIK.sub(lambda m: mask(m.group(0)), text)


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
        return mask_niks(json.dumps(entry, default=str, ensure_ascii=False))


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
