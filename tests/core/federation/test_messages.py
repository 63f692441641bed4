"""Federation messages (core/federation/messages.py): names, the package in one piece, the decision."""

from __future__ import annotations

import pytest

from jjjcredit.core.federation import messages, state
from jjjcredit.core.federation.messages import FederationError


def test_a_package_in_one_piece_reads_back_as_it_was_written():
    manifest = {"package": "hebei-organizations", "node": "hebei", "name": "某某"}
    data = b'{"uscc":"91130102MA0000000X"}\n'
    assert messages.unpack(messages.pack(manifest, data)) == (manifest, data)
    assert messages.unpack(messages.pack(manifest, b"")) == (manifest, b"")


@pytest.mark.parametrize(("after", "to", "last", "expected"), [
    (0, 5, None, "apply"), (5, 9, 5, "apply"), (3, 9, 5, "apply"), (0, 9, 5, "apply"), (0, 5, 5, "skip"),
    (2, 4, 5, "skip")])
def test_a_message_is_applied_when_it_starts_within_what_was_applied(after: int, to: int, last: int | None,
                                                                    expected: str):
    assert messages.decide(after, to, last) == expected


@pytest.mark.parametrize(("after", "last"), [(6, 5), (1, None)])
def test_a_message_starting_after_what_was_applied_is_a_gap(after: int, last: int | None):
    with pytest.raises(FederationError) as gap:
        messages.decide(after, after + 3, last)
    assert gap.value.code == "federation.gap" and f"at or before {(last or 0) + 1}" in gap.value.message


def test_a_node_is_named_after_its_region():
    assert messages.region_of("tianjin-2").prefix == "12"
    with pytest.raises(FederationError) as wrong:
        messages.region_of("shanghai")
    assert wrong.value.code == "federation.node" and "beijing, tianjin, hebei" in wrong.value.message


def test_the_state_hash_depends_on_every_value_and_not_on_order():
    orgs = [{"uscc": "1", "name": "甲"}, {"uscc": "2", "name": "乙"}]
    versions = [("r1", 1, "in_force", '{"a": 1}'), ("r1", 2, "revoked", '{"a": 1}')]
    first = state.state_hash(orgs, versions)
    assert first == state.state_hash(list(reversed(orgs)), list(reversed(versions)))
    assert first != state.state_hash(orgs, versions[:1])
    assert first != state.state_hash(orgs, [versions[0], ("r1", 2, "in_force", '{"a": 1}')])
