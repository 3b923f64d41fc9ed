"""The translation catalogues: every .po file of a language, read as one catalogue.

Shared by the pages (api/ui/i18n.py) and the API's problem details
(api/problem_language.py); the files live in api/ui/translations/<language>/.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

CATALOGUES = Path(__file__).parent / "ui" / "translations"


def catalogue(language: str) -> Catalog:
    """Every message of `language`, from all of its .po files."""
    merged = Catalog(locale=language)
    for po in sorted((CATALOGUES / language).glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f, locale=language):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    return merged
