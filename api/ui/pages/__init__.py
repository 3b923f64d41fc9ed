"""One module a page (or a few pages that belong together), each registering on `bp`."""

from __future__ import annotations

import importlib
import pkgutil


def register_pages() -> None:
    """Import every module here, so that each registers its routes (once)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
