"""Access rights (core/sharing/access.py): which services a caller may use; which elements a client of each
level sees (decided by core/sharing/disclosure.py from the caller access.py describes)."""

from __future__ import annotations

import pytest

from jjjcredit.core.library import elements
from jjjcredit.core.sharing import access, disclosure


def test_the_public_may_use_the_public_services_only():
    assert access.PUBLIC.public and access.PUBLIC.level == access.PUBLIC_LEVEL == 1
    for service in access.SERVICES:
        assert access.may(access.PUBLIC, service) is (service in access.PUBLIC_SERVICES)
    assert not access.may(access.PUBLIC, "changes")


def test_a_client_may_use_the_public_services_and_what_it_was_granted():
    client = access.Caller("河北省税务局", frozenset({"changes"}), 3)
    assert not client.public
    assert [s for s in access.SERVICES if access.may(client, s)] == \
        [s for s in access.SERVICES if s in access.PUBLIC_SERVICES or s == "changes"]
    verifier = access.Caller("某局", frozenset({"verify"}), 3)
    assert not access.may(verifier, "changes")


def test_a_granted_service_is_at_the_clients_level_a_public_one_at_the_publics():
    client = access.Caller("某局", frozenset({"verify", "changes"}), 3)
    assert access.admit(client, "verify") == client and access.admit(client, "changes") == client
    for service in access.PUBLIC_SERVICES - client.services:
        admitted = access.admit(client, service)
        assert admitted is not None and admitted.level == access.PUBLIC_LEVEL and admitted.client == "某局"
    assert access.admit(access.PUBLIC, "changes") is None


def test_each_level_sees_the_elements_at_or_below_it():
    names = {e.name for e in elements.ELEMENTS}
    by_level = {level: disclosure.view_of(access.client_at(level)).shown & names for level in (1, 2, 3)}
    assert by_level[1] < by_level[2] < by_level[3] == names
    for e in elements.ELEMENTS:
        assert [e.name in by_level[level] for level in (1, 2, 3)] == [e.security_level <= level for level in (1, 2, 3)]
    assert "legal_rep_id_number" not in by_level[2] and "telephone" not in by_level[1]


def test_parse_services_accepts_spaces_and_repeats():
    assert access.parse_services(" verify ,lookup,verify,") == {"verify", "lookup"}


@pytest.mark.parametrize(("text", "words"), [("verify,payments", "'payments'"), ("", "no service"),
                                             (" , ", "no service")])
def test_parse_services_names_what_is_wrong(text: str, words: str):
    with pytest.raises(ValueError, match=words):
        access.parse_services(text)
