"""Every string a page shows is translated: no literal text in a template escapes `_()`,
and every message marked in the templates and the Python under api/ui has its Bahasa
Indonesia translation."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from jinja2 import Environment, nodes

from api import catalogues
from api.ui import i18n

UI = Path(i18n.__file__).parent
TEMPLATES = sorted((UI / "templates").glob("*.html"))
# Attributes a person reads (or a screen reader speaks).
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description"}
# Words that are the same in both languages: names of things, not sentences.
SAME_IN_BOTH = {"NIK", "PKS", "MoU", "MOU", "JKK", "JKM", "JHT", "JP", "OPD", "APBD", "UCJ",
                "SP2D", "Rp", "WIB", "UTC", "CSV", "PDF", "SHA-256", "Ed25519", "BPJS",
                "English", "Bahasa", "Indonesia", "rgt_"}


class _Text(HTMLParser):
    """Collects what a reader sees in a piece of literal template text."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.seen += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.seen.append(data)


def untranslated_text(source: str) -> list[str]:
    """Words in `source`'s literal text (outside `{{ }}` and `{% %}`) that a reader sees."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    literal = " ".join(node.data for node in env.parse(source).find_all(nodes.TemplateData))
    parser = _Text()
    parser.feed(literal)
    words = " ".join(parser.seen).replace("·", " ").replace("(", " ").replace(")", " ")
    return [w for w in words.split() if any(c.isalpha() for c in w)
            and w.strip(".,:;") not in SAME_IN_BOTH]


def marked_messages() -> set[str]:
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(UI), method_map, options_map=options,
            keywords={"_": None, "gettext": None, "lazy_gettext": None, "_l": None,
                      "ngettext": (1, 2)}):
        # A plural message is looked up by its singular form.
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_a_template_has_no_text_outside_the_translation_markers(template: Path) -> None:
    assert untranslated_text(template.read_text()) == []


def test_the_checker_finds_unmarked_text() -> None:
    assert untranslated_text('<p title="Hello">{{ _("Fine") }} Covered</p>') == [
        "Hello", "Covered"]
    assert untranslated_text('<p>{{ name }} · NIK {{ nik }}</p>') == []


def test_every_marked_message_has_an_indonesian_translation() -> None:
    catalogue = i18n.catalogue("id")
    missing = sorted(m for m in marked_messages() if not catalogue.get(m))
    assert missing == []


def test_the_pages_have_messages_to_translate() -> None:
    assert {"Log in", "Was covered?"} <= marked_messages()


def test_no_indonesian_catalogue_entry_is_marked_fuzzy_or_left_empty() -> None:
    from babel.messages.pofile import read_po

    problems = []
    for po in sorted((catalogues.CATALOGUES / "id").glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f, locale="id"):
                if message.id and (message.fuzzy or not message.string):
                    problems.append(f"{po.name}: {message.id}")
    assert problems == []


def test_every_problem_title_has_an_indonesian_translation() -> None:
    from api.errors import STATUS_OF_CODE, title_of

    catalogue = i18n.catalogue("id")
    assert sorted(code for code in STATUS_OF_CODE if not catalogue.get(title_of(code))) == []


def test_a_problem_detail_keeps_its_values_in_translation() -> None:
    from api.problem_language import translate_detail

    assert translate_detail("no agreement 42; on: Not a valid date; expected YYYY-MM-DD.") == (
        "tidak ada perjanjian 42; on: Bukan tanggal yang sah; gunakan format YYYY-MM-DD.")
    assert translate_detail("a detail nobody translated") == "a detail nobody translated"


def test_a_translated_problem_detail_names_the_same_values() -> None:
    import re

    placeholders = re.compile(r"%\((\w+)\)[sd]")
    with (catalogues.CATALOGUES / "id" / "problems.po").open("rb") as f:
        from babel.messages.pofile import read_po

        for message in read_po(f, locale="id"):
            if message.id:
                assert (sorted(placeholders.findall(message.id))
                        == sorted(placeholders.findall(message.string))), message.id
