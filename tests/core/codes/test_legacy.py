from __future__ import annotations

from jjjcredit.core.codes import legacy, orgcode, regno, uscc

ORG = "D2143569X"
USCC = "91110108" + ORG + uscc.calc_check_char("91110108" + ORG)
REGNO = "11010800000001" + regno.calc_check_char("11010800000001")
ROWS = [legacy.LibraryRow("91110105MA01AAAA" + "X0", None), legacy.LibraryRow(USCC, REGNO)]


def test_organization_code_in_any_printed_form_finds_its_uscc():
    assert legacy.find_uscc("d2143569-x", ROWS) == USCC


def test_tax_number_maps_through_its_organization_code_not_its_division_digits():
    assert legacy.find_uscc("130102" + ORG, ROWS) == USCC


def test_registration_number_maps_only_through_a_recorded_row():
    assert legacy.find_uscc(REGNO, ROWS) == USCC
    assert legacy.find_uscc(REGNO, [legacy.LibraryRow(USCC, None)]) is None


def test_an_ambiguous_15_digit_number_is_read_both_ways():
    body = "12345678"
    value = "110108" + body + orgcode.calc_check_char(body)
    kinds = {kind for kind, _ in legacy.classify(value)}
    assert "tax_number" in kinds
    assert ("regno" in kinds) is regno.is_valid(value)


def test_garbage_maps_to_nothing():
    assert legacy.classify("not a code") == []
    assert legacy.find_uscc("not a code", ROWS) is None
