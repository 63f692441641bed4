"""The hash chain: any edited, inserted or deleted entry is found and located."""

from __future__ import annotations

from jjjcredit.core.sharing import audit


def _trail(n: int) -> list[dict[str, object]]:
    entries = [dict(seq=i, at=f"2026-01-01T00:00:{i:02d}.000000Z", request_id=f"r{i}", client="c", service="verify",
                    purpose="p", method="POST", path="/api/v1/verify", codes=[], status=200, outcome="ok",
                    latency_ms=1.0) for i in range(1, n + 1)]
    return audit.link(entries)


def test_an_intact_trail_verifies():
    assert audit.verify_chain(_trail(10)) == []


def test_an_edited_entry_is_located():
    trail = _trail(10)
    trail[4] = {**trail[4], "status": 500}
    assert [(p.seq, p.kind) for p in audit.verify_chain(trail)] == [(5, "edited")]


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link():
    trail = _trail(10)
    forged = {**trail[4], "purpose": "other"}
    trail[4] = {**forged, "hash": audit.entry_hash(str(forged["prev_hash"]), forged)}
    assert [(p.seq, p.kind) for p in audit.verify_chain(trail)] == [(6, "relinked")]


def test_deleted_entries_are_located():
    trail = _trail(10)
    del trail[3:5]
    problems = audit.verify_chain(trail)
    assert [(p.seq, p.kind) for p in problems] == [(4, "deleted")]
    assert "entries 4-5 missing" in problems[0].message


def test_an_inserted_entry_is_located():
    trail = _trail(5)
    trail.insert(3, {**trail[1]})
    assert (2, "inserted") in [(p.seq, p.kind) for p in audit.verify_chain(trail)]


def test_a_trail_after_a_purge_starts_at_its_floor():
    trail = _trail(10)[4:]
    assert audit.verify_chain(trail, first_seq=5, first_prev=None) == []
    assert [p.kind for p in audit.verify_chain(trail[1:], first_seq=5, first_prev=None)] == ["deleted"]


def test_entries_written_before_address_class_and_items_existed_hash_as_they_did():
    """The optional fields count only when set: an entry without them (every one written before they
    existed) has the hash it was given then; one with them has them covered."""
    base = dict(seq=1, at="2026-01-01T00:00:00.000000Z", request_id="r1", client=None, service="records",
                purpose=None, method="GET", path="/api/v1/subjects/X/records", codes=["X"], status=200,
                outcome="ok", latency_ms=1.0)
    assert audit.canonical(base) == audit.canonical({**base, "address_class": None, "items": []})
    assert b"address_class" not in audit.canonical(base)
    linked = audit.link([{**base, "address_class": "203.0.113.0/24", "items": ["JJJ-03-001"]}])
    assert audit.verify_chain(linked) == []
    for edit in ({"address_class": "198.51.100.0/24"}, {"items": ["JJJ-03-002"]}, {"items": []}):
        assert [p.kind for p in audit.verify_chain([{**linked[0], **edit}])] == ["edited"]


def test_address_classes_never_hold_the_address():
    assert audit.address_class("123.125.114.144") == "123.125.114.0/24"
    assert audit.address_class("240e:abcd:12:34::1") == "240e:abcd:12::/48"
    assert audit.address_class("198.51.100.7") == "private network"  # documentation and reserved ranges too
    assert audit.address_class("192.168.1.9") == "private network"
    assert audit.address_class("::1") == "loopback"
    assert audit.address_class("") == "unknown"
