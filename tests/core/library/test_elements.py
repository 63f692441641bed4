"""The data element registry: 32 elements, the CCSS identifier scheme, formats, security levels."""

from __future__ import annotations

import re

import pytest

from jjjcredit.core.codes import uscc
from jjjcredit.core.library import elements
from jjjcredit.core.library.elements import ELEMENTS, Kind


def test_there_are_32_elements():
    assert len(ELEMENTS) == 32


def test_identifiers_and_names_are_unique():
    assert len({e.identifier for e in ELEMENTS}) == len(ELEMENTS)
    assert len({e.name for e in ELEMENTS}) == len(ELEMENTS)
    assert len({e.zh for e in ELEMENTS}) == len(ELEMENTS)


def test_names_are_lower_snake_case():
    for e in ELEMENTS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", e.name), e.name


def test_identifiers_follow_the_ccss_scheme():
    """Two digits of class, two of sequence; classes known; sequences from 01 without gaps, in order."""
    seen: dict[str, list[int]] = {}
    for e in ELEMENTS:
        assert re.fullmatch(r"[0-9]{4}", e.identifier), e.identifier
        cls, seq = e.identifier[:2], int(e.identifier[2:])
        assert cls in elements.CLASSES, e.identifier
        seen.setdefault(cls, []).append(seq)
    for cls, seqs in seen.items():
        assert seqs == list(range(1, len(seqs) + 1)), cls
    assert [e.identifier for e in ELEMENTS] == sorted(e.identifier for e in ELEMENTS)
    assert list(seen) == list(elements.CLASSES)


def test_lookups_cover_every_element():
    assert set(elements.BY_NAME) == set(elements.COLUMN_ORDER) == {e.name for e in ELEMENTS}
    assert [elements.BY_IDENTIFIER[e.identifier] for e in ELEMENTS] == list(ELEMENTS)
    assert tuple(e.name for e in ELEMENTS) == elements.COLUMN_ORDER


@pytest.mark.parametrize("element", ELEMENTS, ids=lambda e: e.name)
def test_every_format_parses(element):
    low, high = element.min_length, element.max_length
    assert 1 <= low <= high
    assert 0 <= element.decimals < high
    assert element.kind in Kind
    if element.kind is Kind.DATE:
        assert (low, high) == (8, 8)


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown element format"):
        elements._parse_format("x..12")


def test_security_levels_are_1_to_3():
    assert set(elements.SECURITY_LEVELS) == {1, 2, 3}
    for e in ELEMENTS:
        assert e.security_level in elements.SECURITY_LEVELS, e.name


def test_personal_data_is_never_public_and_only_personal_data_is_restricted():
    personal = {e.name for e in ELEMENTS if e.personal}
    assert personal == {"legal_rep_id_number", "telephone", "contact"}
    assert all(e.security_level >= 2 for e in ELEMENTS if e.personal)
    assert {e.name for e in ELEMENTS if e.security_level == 3} <= personal


def test_value_lists_fit_their_format():
    for e in ELEMENTS:
        for code, value in e.values.items():
            assert code == value.code
            assert e.min_length <= len(code) <= e.max_length, (e.name, code)
            if e.kind is Kind.NUMBER:
                assert code.isdigit(), (e.name, code)
            assert value.zh and value.en


def test_required_elements_are_the_code_and_the_name():
    assert [e.name for e in ELEMENTS if e.required] == ["uscc", "name"]


def test_the_uscc_pattern_is_the_gb_32100_alphabet():
    alphabet = "".join(c for c in map(chr, range(128)) if re.fullmatch(elements.USCC_PATTERN.split("{")[0], c))
    assert alphabet == uscc.ALPHABET
    assert re.fullmatch(elements.USCC_PATTERN, "91350100M000100Y43")
    assert re.fullmatch(elements.ORGCODE_PATTERN, "D2143569X")
