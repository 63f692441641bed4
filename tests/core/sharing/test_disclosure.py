"""The credit record decision (core/sharing/disclosure.py): public windows, channels, as-of days,
natural persons never public; a property over random items, subjects, severities, dates and callers."""

from __future__ import annotations

import dataclasses
import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.credit import catalogue
from jjjcredit.core.sharing import access, disclosure
from jjjcredit.core.sharing.disclosure import StoredRecord, decide_record, public_until, shared_until

PENALTY = catalogue.default_item("JJJ-03-001")
SHARED_ONLY = catalogue.default_item("JJJ-05-001")  # government sharing only
DECIDED = datetime.date(2026, 4, 10)
LAST = datetime.date(2029, 4, 10)
GOVERNMENT = access.Caller("某局", frozenset({"records"}), 2)
DAY = datetime.timedelta(days=1)


def _org(**changes: object) -> StoredRecord:
    return dataclasses.replace(StoredRecord(PENALTY, "organization", "serious", DECIDED), **changes)  # type: ignore[arg-type]


def test_the_window_is_the_maximum_of_the_rule_in_force_on_the_decision_date():
    assert public_until(_org()) == LAST  # NDRC Order No. 36: serious at most 36 months
    assert public_until(_org(severity="general")) == datetime.date(2027, 4, 10)
    assert public_until(_org(severity="minor")) == datetime.date(2026, 7, 10)
    # the provincial 5-year rule set, for decisions before the national rules
    assert public_until(_org(severity="minor", decided_on=datetime.date(2019, 1, 31))) == datetime.date(2024, 1, 31)
    # Credit China's rule from 2019-07-01 (minor had no rule then: the provincial one stays in force)
    assert public_until(_org(decided_on=datetime.date(2020, 2, 29))) == datetime.date(2023, 2, 28)
    assert public_until(_org(severity="minor", decided_on=datetime.date(2020, 2, 29))) == datetime.date(2025, 2, 28)
    # no rule for the date, no severity, no date, or not a negative item: no window
    assert public_until(_org(decided_on=datetime.date(2017, 9, 27))) is None
    assert public_until(_org(severity=None)) is None
    assert public_until(_org(decided_on=None)) is None
    assert public_until(StoredRecord(catalogue.default_item("JJJ-03-002"), "organization", None, DECIDED)) is None


def test_a_record_leaves_public_disclosure_the_day_after_its_window_and_stays_for_government_sharing():
    others = (access.Caller("a", frozenset({"lookup"}), 3), access.Caller("b", frozenset({"records"}), 1))
    for caller in (access.PUBLIC, *others):
        on_last = decide_record(_org(), caller, LAST)
        assert (on_last.visible, on_last.channel, on_last.public, on_last.public_until) == \
            (True, "public_disclosure", True, LAST)
        assert not decide_record(_org(), caller, LAST + DAY).visible
    shared = decide_record(_org(), GOVERNMENT, LAST + DAY)
    assert (shared.visible, shared.channel, shared.public) == (True, "government_sharing", False)
    assert decide_record(_org(), access.STAFF, LAST + DAY).channel == "staff"


SHARED_LAST = datetime.date(2034, 4, 10)  # the window's end plus the platform's default of 60 months


def test_sharing_ends_the_set_months_after_the_public_window_and_the_record_is_archived():
    assert shared_until(_org()) == SHARED_LAST
    assert shared_until(_org(severity="minor")) == datetime.date(2031, 7, 10)  # window to 2026-07-10
    # counted from the window's last day (2023-02-28, clamped), not from the decision
    assert shared_until(_org(decided_on=datetime.date(2020, 2, 29))) == datetime.date(2028, 2, 28)
    assert shared_until(_org(severity=None)) is None and shared_until(_org(decided_on=None)) is None
    assert shared_until(StoredRecord(catalogue.default_item("JJJ-03-002"), "organization", None, DECIDED)) is None
    top = access.Caller("法院", frozenset({"records"}), 3)
    for caller in (GOVERNMENT, top):
        on_last = decide_record(_org(), caller, SHARED_LAST)
        assert (on_last.channel, on_last.public, on_last.shared_until) == ("government_sharing", False, SHARED_LAST)
        assert not decide_record(_org(), caller, SHARED_LAST + DAY).visible
        assert not decide_record(_org(status="revoked"), caller, SHARED_LAST + DAY).visible
        assert not decide_record(_org(subject_type="natural_person"), caller, SHARED_LAST + DAY).visible
    shared_only = StoredRecord(SHARED_ONLY, "organization", None, DECIDED)  # no window: shared while kept
    assert decide_record(shared_only, GOVERNMENT, datetime.date(2099, 1, 1)).channel == "government_sharing"
    for caller, channel in ((access.STAFF, "staff"), (access.Caller("x", frozenset(), 1, "subject"), "own")):
        archived = decide_record(_org(), caller, SHARED_LAST + DAY, own=True)
        assert (archived.channel, archived.shared_until) == (channel, SHARED_LAST)


def test_a_rule_without_a_sharing_period_shares_without_end_and_zero_ends_it_with_the_window():
    def penalty(months: int | None) -> catalogue.Item:
        return dataclasses.replace(PENALTY, period_rules=tuple(
            dataclasses.replace(r, sharing_months=months) for r in PENALTY.period_rules))

    endless = _org(item=penalty(None))
    assert shared_until(endless) is None
    assert decide_record(endless, GOVERNMENT, datetime.date(2099, 1, 1)).channel == "government_sharing"
    closed = _org(item=penalty(0))
    assert shared_until(closed) == LAST
    assert decide_record(closed, GOVERNMENT, LAST).visible and not decide_record(closed, GOVERNMENT, LAST + DAY).visible


def test_a_public_record_outside_a_top_level_partys_items_is_seen_as_the_public_sees_it():
    business = _org(subject_type="individual_business")
    granted = access.Caller("法院", frozenset({"records"}), 3, items=frozenset({"JJJ-02-001"}))
    seen = decide_record(business, granted, DECIDED)
    assert (seen.channel, seen.personal_clear) == ("public_disclosure", False)
    everything = decide_record(business, dataclasses.replace(granted, items=None), DECIDED)
    assert (everything.channel, everything.personal_clear) == ("government_sharing", True)


def test_as_of_a_day_before_the_decision_or_the_arrival_the_record_did_not_exist():
    for caller in (access.PUBLIC, GOVERNMENT, access.STAFF):
        assert not decide_record(_org(), caller, DECIDED - DAY).visible
        assert decide_record(_org(), caller, DECIDED).visible
        late = _org(arrived_on=datetime.date(2026, 5, 1))
        assert not decide_record(late, caller, datetime.date(2026, 4, 30)).visible
        assert decide_record(late, caller, datetime.date(2026, 5, 1)).visible


def test_natural_persons_are_never_public_and_revoked_or_repaired_records_leave_public_view():
    person = _org(subject_type="natural_person")
    assert not decide_record(person, access.PUBLIC, DECIDED).visible
    assert not decide_record(person, access.Caller("b", frozenset({"records"}), 1), DECIDED).visible
    assert decide_record(person, GOVERNMENT, DECIDED).channel == "government_sharing"
    business = decide_record(_org(subject_type="individual_business"), access.PUBLIC, DECIDED)
    assert business.channel == "public_disclosure" and not business.personal_clear
    assert decide_record(_org(status="under_objection"), access.PUBLIC, DECIDED).visible
    for status in ("revoked", "repaired"):
        assert not decide_record(_org(status=status), access.PUBLIC, DECIDED).visible
        assert decide_record(_org(status=status), access.STAFF, DECIDED).visible
    assert decide_record(_org(status="revoked"), GOVERNMENT, DECIDED).visible  # marked revoked
    assert not decide_record(_org(status="repaired"), GOVERNMENT, DECIDED).visible  # sharing stops on repair


def test_government_sharing_keeps_to_the_items_level_and_mode():
    shared_only = StoredRecord(SHARED_ONLY, "organization", None, DECIDED)
    assert not decide_record(shared_only, access.PUBLIC, DECIDED).visible
    assert decide_record(shared_only, GOVERNMENT, DECIDED).channel == "government_sharing"
    assert not decide_record(shared_only, dataclasses.replace(GOVERNMENT, items=frozenset({PENALTY.code})),
                             DECIDED).visible
    restricted = _org(item=dataclasses.replace(PENALTY, security_level=3))
    assert not decide_record(restricted, GOVERNMENT, DECIDED).visible  # above its level, and not public
    assert decide_record(restricted, dataclasses.replace(GOVERNMENT, level=3), DECIDED).personal_clear
    # outside its items, a government caller still sees what the public sees
    only_other = dataclasses.replace(GOVERNMENT, items=frozenset({SHARED_ONLY.code}))
    assert decide_record(_org(), only_other, DECIDED).channel == "public_disclosure"
    assert not decide_record(_org(), only_other, LAST + DAY).visible


def test_an_authorized_query_and_the_subject_itself():
    person = _org(subject_type="natural_person", subject_key="P:abc")
    party = access.Caller("某银行", frozenset({"records"}), 1)
    for key in (None, "91130100MA7FG3MH84"):  # a person's record kept under no key, or an organization's
        filed = _org(subject_type="natural_person", subject_key=key)
        assert not decide_record(filed, party, DECIDED, authorized=frozenset({PENALTY.code})).visible
        assert not decide_record(filed, access.Caller(key or "P:abc", frozenset(), 1, "subject"), DECIDED,
                                 own=True).personal_clear
    assert decide_record(person, party, DECIDED, authorized=frozenset({PENALTY.code})).channel == "authorized_query"
    assert not decide_record(person, party, DECIDED, authorized=frozenset({SHARED_ONLY.code})).visible
    assert not decide_record(person, party, LAST + DAY, authorized=frozenset({PENALTY.code})).visible
    subject = access.Caller("P:abc", frozenset(), 1, "subject")
    own = decide_record(person, subject, LAST + DAY, own=True)
    assert (own.channel, own.personal_clear) == ("own", True)
    assert not decide_record(person, subject, DECIDED).visible  # another subject's record


_ITEMS = [i for i in catalogue.default_items()]
_DATES = st.dates(min_value=datetime.date(2016, 1, 1), max_value=datetime.date(2032, 12, 31))


@st.composite
def _records(draw: st.DrawFn) -> StoredRecord:
    item = draw(st.sampled_from(_ITEMS))
    item = dataclasses.replace(item, security_level=draw(st.sampled_from(catalogue.SECURITY_LEVELS)),
                               disclosure_mode=draw(st.sampled_from(catalogue.DISCLOSURE_MODES)))
    severity = draw(st.sampled_from(item.severities)) if item.severities and draw(st.booleans()) else None
    return StoredRecord(item, draw(st.sampled_from(catalogue.SUBJECT_TYPES)), severity,
                        draw(st.one_of(st.none(), _DATES)), draw(st.sampled_from(disclosure.RECORD_STATUSES)),
                        draw(st.one_of(st.none(), _DATES)))


_CALLERS = st.one_of(
    st.just(access.PUBLIC),
    st.builds(access.Caller, st.just("party"),
              st.frozensets(st.sampled_from(access.SERVICES)), st.sampled_from((1, 2, 3)), st.just("client"),
              st.one_of(st.none(), st.frozensets(st.sampled_from([i.code for i in _ITEMS])))))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_records(), _CALLERS, _DATES, st.frozensets(st.sampled_from([i.code for i in _ITEMS])))
def test_no_natural_person_in_public_and_nothing_outside_a_grant(record: StoredRecord, caller: access.Caller,
                                                                 as_of: datetime.date, authorized: frozenset[str]):
    seen = decide_record(record, caller, as_of, authorized=authorized)
    public = decide_record(record, access.PUBLIC, as_of)
    assert record.item is not None
    if public.visible:
        assert record.subject_type != "natural_person" and record.status in disclosure.PUBLIC_STATUSES
        assert record.item.disclosure_mode == "public_disclosure" and record.item.security_level == 1
        assert public.channel == "public_disclosure" and not public.personal_clear
        assert public.public_until is None or as_of <= public.public_until
    if not seen.visible:
        assert not public.visible  # every caller sees at least what the public sees
        return
    assert (record.decided_on is None or record.decided_on <= as_of) and \
        (record.arrived_on is None or record.arrived_on <= as_of)
    if seen.channel == "public_disclosure":
        assert public.visible
    else:  # the caller's own grant: its service, level and items, or an authorization for the item
        assert caller.kind == "client" and record.item.security_level <= caller.level
        assert caller.items is None or record.item.code in caller.items
        if seen.channel == "government_sharing":
            assert "records" in caller.services and caller.level >= access.SHARING_LEVEL
            assert record.item.disclosure_mode != "authorized_query" and record.status != "repaired"
        else:
            assert seen.channel == "authorized_query" and record.item.code in authorized
        assert seen.shared_until is None or as_of <= seen.shared_until  # archived: no channel past sharing
    assert seen.personal_clear is (caller.level == access.TOP_LEVEL and caller.kind == "client"
                                   and (caller.items is None or record.item.code in caller.items))
