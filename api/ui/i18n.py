"""Languages: Bahasa Indonesia by default, English with `?lang=en` (kept in the session).

English is the source language: the templates and views write English,
marked with `_()`, and `translations/id/*.po` give Bahasa Indonesia. A page
owns one .po file beside the others (problems.po: the API's problem details); all
of a language's files are read as one catalogue (api/catalogues.py), compiled in
memory (no compiled .mo file is kept).
Dates are business dates in the Indonesian way (`4 Oktober 2022`), record
times in WIB, money as `Rp 100.800.000`.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from io import BytesIO

from babel.dates import format_date as babel_date
from babel.messages.mofile import write_mo
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from flask import Flask, request, session
from flask_babel import Babel, Domain, get_locale

from api.catalogues import catalogue
from registry.domain.dates import JAKARTA

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


@functools.lru_cache(maxsize=len(LANGUAGES))
def _translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    compiled = BytesIO()
    write_mo(compiled, catalogue(language))
    compiled.seek(0)
    return Translations(fp=compiled)


class Catalogues(Domain):
    def get_translations(self) -> NullTranslations:
        return _translations(language())


class PageBabel(Babel):
    @functools.cached_property
    def domain_instance(self) -> Domain:
        return Catalogues()


def language() -> str:
    """The page's language: `?lang=` if it names one (and it is remembered), else the
    session's, else Bahasa Indonesia."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        if session.get("lang") != asked:
            session["lang"] = asked
        return asked
    kept = session.get("lang")
    return kept if kept in LANGUAGES else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    PageBabel(app, default_locale=DEFAULT_LANGUAGE, locale_selector=language)
    app.jinja_env.filters.update(tanggal=long_date, waktu=record_time, rupiah=rupiah,
                                 angka=number)
    app.jinja_env.globals.update(page_language=lambda: str(get_locale()))


def _locale() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def long_date(value: date | str | None) -> str:
    """`4 Oktober 2022` (`4 October 2022` in English); empty for no date."""
    if value in (None, ""):
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return babel_date(day, "d MMMM y", locale=_locale())


def record_time(value: datetime | str | None) -> str:
    """A record time in Western Indonesian Time: `2 Desember 2026 13:24:14 WIB`."""
    if value in (None, ""):
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) \
        if isinstance(value, str) else value
    local = moment.astimezone(JAKARTA)
    return f"{long_date(local.date())} {local:%H:%M:%S} WIB"


def rupiah(value: int | None) -> str:
    """`Rp 100.800.000` (`Rp 100,800,000` in English)."""
    return "" if value is None else f"Rp {format_decimal(value, locale=_locale())}"


def number(value: int | float | None) -> str:
    return "" if value is None else format_decimal(value, locale=_locale())

