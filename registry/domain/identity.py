"""Whether a name sent with a NIK is the name recorded for it.

Spreadsheets spell one name many ways ("SITI  AMINAH", "Siti Aminah,",
"Siti-Aminah"); the registry compares names with case, punctuation and spaces
folded away, so only a different name is refused.
"""

from __future__ import annotations

import unicodedata


def normalised(name: str) -> str:
    """The name's letters and digits only, in one case."""
    return "".join(c for c in unicodedata.normalize("NFKC", name).casefold() if c.isalnum())


def same_name(sent: str, recorded: str) -> bool:
    # Equal text first: a batch sends most names exactly as they were recorded.
    return sent == recorded or normalised(sent) == normalised(recorded)
