"""Application parties and their API keys (services/sharing/clients.py), on a real database."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, select, update

from jjjcredit.core.credit import catalogue
from jjjcredit.core.sharing import access
from jjjcredit.services import db
from jjjcredit.services.credit import catalogue as catalogue_service
from jjjcredit.services.sharing import clients
from jjjcredit.storage.schema import clients as clients_table
from tests.services.credit import credit_files


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    db.upgrade(engine)
    with engine.begin() as connection:
        yield connection


def test_a_new_key_admits_its_client_to_its_services_and_level(conn: Connection):
    client, key = clients.add_client(conn, "河北省税务局", "verify, lookup", 2)
    assert (client.name, client.services, client.level, client.revoked_at) == (
        "河北省税务局", frozenset({"lookup", "verify"}), 2, None)
    prefix, secret = key.removeprefix("jjj_").split("_", 1)
    assert key.startswith("jjj_") and prefix == client.key_prefix and len(secret) >= 32
    assert clients.caller_of(conn, key) == access.Caller("河北省税务局", frozenset({"lookup", "verify"}), 2,
                                                         client_id=client.id)
    assert client.caller() == clients.caller_of(conn, key)


def test_only_the_keys_hash_is_stored(conn: Connection):
    _, key = clients.add_client(conn, "天津市市场监督管理委员会", "changes", 3)
    stored = conn.execute(select(clients_table)).mappings().one()
    assert key not in {str(v) for v in stored.values()}
    assert key.split("_", 2)[2] not in "".join(str(v) for v in stored.values())
    assert len(stored["key_hash"]) == 64


def test_two_clients_get_different_keys(conn: Connection):
    _, first = clients.add_client(conn, "a", "verify", 1)
    _, second = clients.add_client(conn, "b", "verify", 1)
    assert first != second
    assert clients.caller_of(conn, first).client == "a"  # type: ignore[union-attr]
    assert clients.caller_of(conn, second).client == "b"  # type: ignore[union-attr]


@pytest.mark.parametrize("mangle", [
    lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # the right prefix, a wrong secret
    lambda k: k.replace("jjj_", "xyz_", 1),  # not our scheme
    lambda k: k.split("_")[0] + "_" + k.split("_")[1],  # no secret
    lambda k: "",
    lambda k: "jjj_00000000_" + k.split("_", 2)[2],  # the secret under another prefix
], ids=["wrong-secret", "wrong-scheme", "no-secret", "empty", "other-prefix"])
def test_a_wrong_or_malformed_key_admits_no_one(conn: Connection, mangle):
    _, key = clients.add_client(conn, "a", "verify", 1)
    assert clients.caller_of(conn, mangle(key)) is None


def test_a_revoked_key_admits_no_one_at_once(conn: Connection):
    _, key = clients.add_client(conn, "a", "verify", 1)
    _, other = clients.add_client(conn, "b", "verify", 1)
    revoked = clients.revoke_client(conn, "a")
    assert revoked.revoked_at is not None
    assert clients.caller_of(conn, key) is None
    assert clients.caller_of(conn, other) is not None


def test_list_clients_in_the_order_they_were_added_without_keys(conn: Connection):
    for name in ("c", "a", "b"):
        clients.add_client(conn, name, "verify", 1)
    clients.revoke_client(conn, "a")
    listed = clients.list_clients(conn)
    assert [c.name for c in listed] == ["c", "a", "b"]
    assert [c.revoked_at is not None for c in listed] == [False, True, False]
    assert not any(hasattr(c, "key") or hasattr(c, "key_hash") for c in listed)


@pytest.mark.parametrize(("name", "services", "level", "code"), [
    ("a", "verify,payments", 1, "clients.services"),
    ("a", " , ", 1, "clients.services"),
    ("a", "verify", 4, "clients.level"),
    ("a", "verify", 0, "clients.level"),
    ("  ", "verify", 1, "clients.name"),
    ("某银行 联系人13812345678", "verify", 1, "clients.name"),
    ("省发改委\u200b", "cataloguing", 1, "clients.name"),  # a character that shows nothing
])
def test_a_bad_client_is_refused_with_its_code(conn: Connection, name: str, services: str, level: int, code: str):
    with pytest.raises(clients.ClientError) as refused:
        clients.add_client(conn, name, services, level)
    assert refused.value.code == code
    assert clients.list_clients(conn) == []


def test_a_name_is_taken_once(conn: Connection):
    clients.add_client(conn, "a", "verify", 1)
    with pytest.raises(clients.ClientError) as refused:
        clients.add_client(conn, "a", "lookup", 3)
    assert refused.value.code == "clients.exists" and '"a"' in refused.value.message
    assert [c.services for c in clients.list_clients(conn)] == [frozenset({"verify"})]


def test_revoking_an_unknown_client_is_refused(conn: Connection):
    with pytest.raises(clients.ClientError) as refused:
        clients.revoke_client(conn, "nobody")
    assert refused.value.code == "clients.unknown"


@pytest.mark.parametrize("again", ["河北省市场监督管理局", "河北省市场监督管理局 ", "河北省 市场监督管理局"])
def test_a_revoked_clients_name_is_never_given_again(conn: Connection, again: str):
    """A provider's records are identified by its name (item, provider, document number), and so are a
    subject's authorizations and the audit trail's entries: a new client given a revoked client's name — or
    one that reads the same — would correct or revoke the first one's records. It is refused, saying why."""
    _, old = clients.add_client(conn, "河北省市场监督管理局", "provide", 1)
    clients.revoke_client(conn, "河北省市场监督管理局")
    with pytest.raises(clients.ClientError) as refused:
        clients.add_client(conn, again, "provide", 1)
    assert (refused.value.code, refused.value.field) == ("clients.name_revoked", "name")
    assert "was revoked on" in refused.value.message and "clients rotate" in refused.value.message
    assert [c.name for c in clients.list_clients(conn)] == ["河北省市场监督管理局"]
    assert clients.caller_of(conn, old) is None
    other, key = clients.add_client(conn, "河北省市场监督管理局执法局", "provide", 1)  # another name is a new party
    assert clients.caller_of(conn, key) == other.caller()
    with pytest.raises(clients.ClientError) as exists:  # still one live client per name
        clients.add_client(conn, "河北省市场监督管理局执法局", "verify", 1)
    assert exists.value.code == "clients.exists" and "clients rotate" in exists.value.message


def test_rotation_gives_a_new_key_and_the_old_one_works_for_the_grace_period(conn: Connection):
    client, old = clients.add_client(conn, "a", "verify,lookup", 2)
    rotated, new, until = clients.rotate_client(conn, "a", grace_hours=2)
    assert new != old and rotated.key_prefix != client.key_prefix
    assert clients.caller_of(conn, new) == clients.caller_of(conn, old) == client.caller()
    assert datetime.timedelta(hours=1.9) < until - datetime.datetime.now(datetime.UTC) <= datetime.timedelta(hours=2)
    wrong = old[:-1] + ("A" if old[-1] != "A" else "B")
    assert clients.caller_of(conn, wrong) is None  # the old prefix alone is not enough
    # the grace period ends: the old key is refused, saying why; the new one works
    conn.execute(update(clients_table).values(previous_key_until=datetime.datetime.now(datetime.UTC)
                                              - datetime.timedelta(seconds=1)))
    with pytest.raises(clients.ClientError) as refused:
        clients.caller_of(conn, old)
    assert refused.value.code == "access.key_expired" and "new key" in refused.value.message
    assert old not in refused.value.message
    assert clients.caller_of(conn, new) == client.caller()


def test_a_rotation_without_grace_refuses_the_old_key_at_once_and_revoking_stops_both(conn: Connection):
    _, old = clients.add_client(conn, "a", "verify", 1)
    _, new, _until = clients.rotate_client(conn, "a", grace_hours=0)
    with pytest.raises(clients.ClientError):
        clients.caller_of(conn, old)
    _, newer, _until = clients.rotate_client(conn, "a", grace_hours=5)
    assert clients.caller_of(conn, new) is not None
    clients.revoke_client(conn, "a")
    assert clients.caller_of(conn, new) is None and clients.caller_of(conn, newer) is None


@pytest.mark.parametrize(("name", "hours", "code"), [("nobody", 1, "clients.unknown"), ("a", -1, "clients.grace")])
def test_a_bad_rotation_is_refused(conn: Connection, name: str, hours: float, code: str):
    clients.add_client(conn, "a", "verify", 1)
    with pytest.raises(clients.ClientError) as refused:
        clients.rotate_client(conn, name, hours)
    assert refused.value.code == code


def test_an_item_grant_is_kept_and_admits_the_client_to_those_items_only(conn: Connection):
    everything, key = clients.add_client(conn, "a", "records", 2)
    assert everything.items is None and clients.caller_of(conn, key).items is None  # type: ignore[union-attr]
    client, other = clients.add_client(conn, "b", "records", 2, items=" jjj-03-001, JJJ-02-001 ,")
    assert client.items == frozenset({"JJJ-03-001", "JJJ-02-001"})
    assert clients.caller_of(conn, other) == client.caller() == access.Caller(
        "b", frozenset({"records"}), 2, items=frozenset({"JJJ-02-001", "JJJ-03-001"}), client_id=client.id)
    assert [c.items for c in clients.list_clients(conn)] == [None, client.items]
    narrowed = clients.grant_items(conn, "b", "JJJ-03-001")
    assert narrowed.items == frozenset({"JJJ-03-001"}) == clients.caller_of(conn, other).items  # type: ignore[union-attr]
    # a replaced key in its grace period carries the grant too
    _, newer, _until = clients.rotate_client(conn, "b", grace_hours=1)
    assert clients.caller_of(conn, other) == clients.caller_of(conn, newer) == narrowed.caller()
    widened = clients.grant_items(conn, "b", None)
    assert widened.items is None and clients.caller_of(conn, newer).items is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("items", "expected"), [
    ("JJJ-03-001,JJJ-99-001", '"JJJ-99-001"'),
    ("行政处罚", '"行政处罚"'),
    (" , ", "No item named"),
    ("JJJ-03\x1b-001", '"JJJ-03\\u001b-001" (a directory code is'),  # escaped: a terminal would act on it
])
def test_an_item_grant_naming_no_item_in_force_is_refused_naming_it(conn: Connection, items: str, expected: str):
    with pytest.raises(clients.ClientError) as refused:
        clients.add_client(conn, "a", "records", 2, items=items)
    assert refused.value.code == "clients.items" and refused.value.field == "items"
    assert expected in refused.value.message and "JJJ-01-001" in refused.value.message  # what was expected
    assert clients.list_clients(conn) == []
    clients.add_client(conn, "a", "records", 2)
    with pytest.raises(clients.ClientError) as refused:
        clients.grant_items(conn, "a", items)
    assert refused.value.code == "clients.items"
    with pytest.raises(clients.ClientError) as refused:
        clients.grant_items(conn, "nobody", "JJJ-03-001")
    assert refused.value.code == "clients.unknown"


def test_an_item_grant_is_checked_against_the_edition_in_force(conn: Connection):
    """Before any edition is published the default catalogue's codes count; then the published ones."""
    assert "the default catalogue" in _refusal(conn, "JJJ-90-001")
    year, office = datetime.date.today().year, "河北省发展改革委"
    catalogue_service.draft_edition(conn, year, office)
    new = catalogue.item_to_dict(catalogue.default_item("JJJ-03-001")) | {"code": "JJJ-90-001", "contested": False}
    catalogue_service.add_item(conn, new, "新增", office, year=year)
    assert "the default catalogue" in _refusal(conn, "JJJ-90-001")  # a draft is not in force
    catalogue_service.open_comments(conn, year, office)
    catalogue_service.assess_item(conn, year, credit_files.CONTESTED, "同意", "同意", "保留", office)
    catalogue_service.approve_edition(conn, year, "河北省人民政府")
    catalogue_service.publish_edition(conn, year, office)
    assert "the catalogue edition in force" in _refusal(conn, "JJJ-91-001")
    assert clients.add_client(conn, "a", "records", 2, items="JJJ-90-001")[0].items == frozenset({"JJJ-90-001"})


def _refusal(conn: Connection, items: str) -> str:
    with pytest.raises(clients.ClientError) as refused:
        clients.add_client(conn, "x", "records", 2, items=items)
    return refused.value.message


def test_a_clients_name_never_takes_the_staffs_or_a_subjects_prefix(engine: Engine):
    db.upgrade(engine)
    with engine.begin() as conn:
        for name in ("staff:ops", "subject:91130100MA0000000X", "Subject:x"):
            with pytest.raises(clients.ClientError) as refused:
                clients.add_client(conn, name, "lookup", 1)
            assert refused.value.code == "clients.name"


@pytest.mark.parametrize("alike", ["省发改委 ", "省 发改委", "ＳＴＡＦＦ", "staff"])
def test_a_name_that_reads_as_a_live_client_s_is_refused(conn: Connection, alike: str):
    clients.add_client(conn, "省发改委", "cataloguing", 1)
    clients.add_client(conn, "Staff", "cataloguing", 1)
    with pytest.raises(clients.ClientError) as refused:
        clients.add_client(conn, alike, "cataloguing", 1)
    assert refused.value.code == "clients.exists" and "reads the same" in refused.value.message
