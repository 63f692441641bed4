"""Credit records as the checks give them (core/credit/records.py): document keys. Pure."""

from __future__ import annotations

from jjjcredit.core.credit import records


def test_document_keys_of_a_column_are_each_numbers_own():
    """Made at once over the NUL-joined column, each key is what document_key makes of its number alone —
    across full-width forms, brackets, spaces, combining marks at a number's start and end, case changes
    that change lengths, and a number that holds a NUL (made alone)."""
    numbers = ["石市监罚〔２０２６〕 118号", "石市监罚(2026)118号", "ß-straße ﬁ", "\u0301罚1", "罚1\u0301", "e\u0301",
               "ｱ\uff9e", "  【京】罚 \u3000 7 ", "", "a\x00b", "Ⅻ", "㈱罚"]
    for start in range(len(numbers)):
        column = numbers[start:] + numbers[:start]
        assert records.document_keys(column) == [records.document_key(n) for n in column]
    assert records.document_keys([]) == []


