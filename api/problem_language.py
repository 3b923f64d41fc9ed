"""Problem details in the client's language: `Accept-Language: id` gives Bahasa Indonesia.

The `code` never changes; `title`, `detail` and the messages in `errors` are
translated. The messages come from the pages' catalogues (api/catalogues.py; the
API's own are in api/ui/translations/id/problems.po). A message with values in it
(`no agreement %(id)s`) is written once with named placeholders, and a detail
matching it is translated with its values kept. A detail made of several
`field: message` parts, joined by `; `, is translated part by part. Text with
no translation stays English rather than being guessed at.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from flask import has_request_context, request

from api.catalogues import catalogue

LANGUAGES = ("en", "id")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_FIELD_PART = re.compile(r"([\w.\[\]-]+): (.+)", re.DOTALL)


def wanted_language() -> str:
    """`id` when the request prefers Bahasa Indonesia to English, else `en`: the first
    language of Accept-Language, by quality, whose primary tag is one of them."""
    if not has_request_context():
        return "en"
    for value, _quality in request.accept_languages:  # highest quality first
        primary = value.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return "en"


@functools.lru_cache(maxsize=1)
def _messages() -> tuple[dict[str, str], list[tuple[re.Pattern[str], str]]]:
    exact: dict[str, str] = {}
    templates: list[tuple[re.Pattern[str], str]] = []
    for message in catalogue("id"):
        if not isinstance(message.id, str) or not isinstance(message.string, str):
            continue  # the header, and plural forms (no problem has one)
        if not message.id or not message.string:
            continue
        if _PLACEHOLDER.search(message.id):
            parts = _PLACEHOLDER.split(message.id)
            # split gives text, name, text, name, ..., text
            # A value never spans the `; ` that joins the parts of a detail.
            regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>(?:(?!; ).)+?)"
                            for i, p in enumerate(parts))
            templates.append((re.compile(regex, re.DOTALL), message.string))
        else:
            exact[message.id] = message.string
    # The longest templates first: the most specific wins.
    templates.sort(key=lambda t: -len(t[0].pattern))
    return exact, templates


def translate(text: str) -> str:
    """`text` in Bahasa Indonesia, if the catalogue has it (or a template matching it)."""
    exact, templates = _messages()
    if text in exact:
        return exact[text]
    for pattern, target in templates:
        found = pattern.fullmatch(text)
        if found:
            return target % found.groupdict()
    return text


def _part(text: str) -> str | None:
    """`text` or `field: text` translated, None when the catalogue has neither."""
    whole = translate(text)
    if whole != text:
        return whole
    field = _FIELD_PART.fullmatch(text)
    if field:
        message = translate(field.group(2))
        if message != field.group(2):
            return f"{field.group(1)}: {message}"
    return None


def translate_detail(detail: str) -> str:
    """A detail of `; `-joined parts (`field: message` or a message), each translated.

    A message may hold `; ` itself, so the longest run of parts with a translation
    is taken first."""
    pieces = detail.split("; ")
    out: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            found = _part("; ".join(pieces[i:j]))
            if found is not None:
                out.append(found)
                i = j
                break
        else:
            out.append(pieces[i])
            i += 1
    return "; ".join(out)


def localised(body: dict[str, Any]) -> dict[str, Any]:
    """The problem body in the language the request asks for."""
    if wanted_language() != "id":
        return body
    body = {**body, "title": translate(body["title"]),
            "detail": translate_detail(body["detail"])}
    if body.get("errors"):
        body["errors"] = {name: translate_detail(message)
                          for name, message in body["errors"].items()}
    return body
