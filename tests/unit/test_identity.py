"""A name sent with a known NIK is compared with case, punctuation and spaces folded away."""

from __future__ import annotations

import pytest

from registry.domain.identity import normalised, same_name


@pytest.mark.parametrize("sent", [
    "Siti Aminah", "SITI  AMINAH", "Siti Aminah,", "Siti-Aminah", " siti aminah ", "SitiAminah",
])
def test_spreadsheet_spellings_of_one_name_are_the_same_name(sent):
    assert same_name(sent, "Siti Aminah")


@pytest.mark.parametrize("sent", ["Siti Aminah Lubis", "Siti Amina", "Sri Aminah", ""])
def test_a_different_name_is_not_the_same_name(sent):
    assert not same_name(sent, "Siti Aminah")


def test_a_name_keeps_only_its_letters_and_digits_in_one_case():
    assert normalised("  O'Neil-Sitompul, Jr. 2 ") == "oneilsitompuljr2"


def test_compatibility_forms_and_case_folding_meet_in_one_spelling():
    # Fullwidth letters (NFKC) and the German sharp s (casefold: "ss").
    assert normalised("ＳＩＴＩ") == "siti"
    assert same_name("STRASSE", "Straße")
