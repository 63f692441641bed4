"""The catalogue's editions (services/credit/catalogue.py), on a real database."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Connection, Engine, update

from jjjcredit.core.credit import catalogue as core
from jjjcredit.services import db
from jjjcredit.services.credit import catalogue
from jjjcredit.storage.schema import catalogue_editions

CONTESTED = "JJJ-04-001"


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    db.upgrade(engine)
    with engine.begin() as connection:
        yield connection


def _publish(conn: Connection, year: int, assess: bool = True) -> None:
    """Take the ``year`` draft through comment, assessment, approval and publication."""
    catalogue.open_comments(conn, year, "河北省发展改革委")
    if assess:
        catalogue.assess_item(conn, year, CONTESTED, "专家：同意", "企业代表：同意", "保留", "河北省发展改革委")
    catalogue.approve_edition(conn, year, "河北省人民政府")
    catalogue.publish_edition(conn, year, "河北省发展改革委")


def test_a_first_draft_is_the_default_catalogue_each_item_with_its_reason(conn: Connection):
    edition = catalogue.draft_edition(conn, 2026, "河北省发展改革委")
    assert (edition.year, edition.status, edition.based_on) == (2026, "draft", None)
    assert catalogue.edition_items(conn, 2026) == core.default_items()
    changes = catalogue.list_changes(conn, 2026)
    assert {c.code for c in changes} == {i.code for i in core.default_items()}
    assert all(c.action == "add" and c.reason == catalogue.DEFAULT_REASON for c in changes)
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.draft_edition(conn, 2026, "x")
    assert exc.value.code == "catalogue.edition_exists"


def test_who_compiled_an_edition_does_not_approve_it(conn: Connection):
    catalogue.draft_edition(conn, 2026, "发改委")
    catalogue.change_item(conn, "JJJ-03-001", {"update_period": "实时"}, "更及时", "信用处 王五", year=2026)
    catalogue.open_comments(conn, 2026, "发改委")
    catalogue.assess_item(conn, 2026, CONTESTED, "专家意见", "代表意见", "保留该事项", "评估组")
    for who, did in (("发改委", "drafted it"), ("信用处王五", "changed item JJJ-03-001"),
                     (" 评估组 ", f"recorded the assessment of item {CONTESTED}")):
        with pytest.raises(core.CatalogueError) as exc:
            catalogue.approve_edition(conn, 2026, who)
        assert (exc.value.code, exc.value.field) == ("catalogue.own_approval", "by")
        assert exc.value.message.startswith(f"{who.strip()} {did}, so cannot also approve the 2026 edition")
    assert catalogue.get_edition(conn, 2026).status == "comment"
    assert catalogue.approve_edition(conn, 2026, "省政府").approved_by == "省政府"


def test_the_whole_workflow_and_a_published_edition_never_changes(conn: Connection):
    catalogue.draft_edition(conn, 2026, "发改委")
    catalogue.open_comments(conn, 2026, "发改委")
    comment = catalogue.add_comment(conn, 2026, "张三", "建议缩短归集时限", code="JJJ-03-001")
    assert catalogue.list_comments(conn, 2026) == [comment]
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.approve_edition(conn, 2026, "省政府")
    assert exc.value.code == "catalogue.assessment" and CONTESTED in exc.value.message
    catalogue.assess_item(conn, 2026, CONTESTED, "专家意见", "代表意见", "保留该事项", "发改委")
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.approve_edition(conn, 2026, " ")
    assert exc.value.code == "catalogue.approver"
    approved = catalogue.approve_edition(conn, 2026, "省政府")
    assert approved.status == "approved" and approved.approved_by == "省政府" and approved.approved_at
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.change_item(conn, "JJJ-03-001", {"update_period": "实时"}, "更及时", "发改委", year=2026)
    assert exc.value.code == "catalogue.status"
    published = catalogue.publish_edition(conn, 2026, "发改委")
    assert published.status == "published" and published.published_at
    before = catalogue.edition_items(conn, 2026)
    for step in (lambda: catalogue.change_item(conn, "JJJ-03-001", {"update_period": "实时"}, "r", "b", year=2026),
                 lambda: catalogue.withdraw_item(conn, "JJJ-03-001", "r", "b", year=2026),
                 lambda: catalogue.add_item(conn, {**core.item_to_dict(before[0]), "code": "N"}, "r", "b", year=2026),
                 lambda: catalogue.add_item(conn, {"code": "N", "kind": "bad"}, "r", "b", year=2026),  # said first
                 lambda: catalogue.add_comment(conn, 2026, "李四", "意见"),
                 lambda: catalogue.approve_edition(conn, 2026, "省政府"),
                 lambda: catalogue.publish_edition(conn, 2026, "发改委")):
        with pytest.raises(core.CatalogueError) as exc:
            step()
        assert exc.value.code in ("catalogue.published", "catalogue.status")
    assert catalogue.edition_items(conn, 2026) == before


def test_a_change_during_the_year_lands_in_next_years_draft(conn: Connection):
    catalogue.draft_edition(conn, 2026, "发改委")
    _publish(conn, 2026)
    year, item = catalogue.change_item(conn, "JJJ-03-001", {"collection_time_limit": "作出决定之日起 5 个工作日内"},
                                       "缩短归集时限", "发改委", today=datetime.date(2026, 5, 1))
    assert year == 2027 and item.collection_time_limit.startswith("作出决定之日起 5")
    assert catalogue.get_edition(conn, 2027).based_on == 2026
    assert catalogue.get_edition(conn, 2026).status == "published"
    assert core.items_by_code(catalogue.edition_items(conn, 2026))["JJJ-03-001"].collection_time_limit \
        .startswith("作出决定之日起 7")
    d = catalogue.diff_editions(conn, 2026, 2027)
    assert [(c.code, c.attribute) for c in d.changed] == [("JJJ-03-001", "collection_time_limit")]
    assert catalogue.list_changes(conn, 2027)[0].reason == "缩短归集时限"


def test_a_layout_change_kept_reads_as_the_diff_of_the_editions_field_by_field(conn: Connection):
    catalogue.draft_edition(conn, 2026, "发改委")
    _publish(conn, 2026)
    fields = core.item_to_dict(core.default_item("JJJ-03-001"))["fields"]
    fields[0]["max_length"] = 64
    del fields[1]
    catalogue.change_item(conn, "JJJ-03-001", {"fields": fields}, "精简数据项", "发改委")
    [kept] = catalogue.list_changes(conn, 2027)
    assert kept.changes == catalogue.diff_editions(conn, 2026, 2027).changed
    assert [(f.change, f.element, f.attribute) for f in kept.changes[0].field_changes] == [
        ("dropped", "CF_XDR_LB", None), ("changed", "CF_XDR_MC", "max_length")]
    assert set(kept.detail["fields"]) == {"old", "new"}  # the whole layouts stay kept


def test_a_change_without_a_year_goes_after_the_newest_published_edition_drafted_from_it(conn: Connection):
    """Next year's edition already published (December): the change goes to the year after, drafted from
    it; before the first edition is published, to the edition being prepared — never to a draft made
    from an older base that would undo what the pending edition changed."""
    catalogue.draft_edition(conn, 2026, "发改委")
    catalogue.withdraw_item(conn, "JJJ-06-001", "停止归集", "发改委", year=2026)
    catalogue.open_comments(conn, 2026, "发改委")
    year, _item = catalogue.change_item(conn, "JJJ-07-001", {"update_period": "每季度"}, "调整更新周期", "发改委",
                                        today=datetime.date(2026, 3, 1))
    assert year == 2026  # the edition being prepared, not a 2027 draft made from the default catalogue
    assert catalogue.pending_before(conn, 2027) == 2026  # (what `catalogue draft 2027` would warn of now)
    catalogue.assess_item(conn, 2026, CONTESTED, "专家：同意", "企业代表：同意", "保留", "发改委")
    catalogue.approve_edition(conn, 2026, "河北省人民政府")
    catalogue.publish_edition(conn, 2026, "发改委")
    catalogue.draft_edition(conn, 2027, "发改委")
    _publish(conn, 2027)
    year, _item = catalogue.change_item(conn, "JJJ-03-001", {"update_period": "每月"}, "调整", "发改委",
                                        today=datetime.date(2026, 12, 20))
    assert (year, catalogue.get_edition(conn, 2028).based_on) == (2028, 2027)
    assert "JJJ-06-001" not in core.items_by_code(catalogue.edition_items(conn, 2028))  # 2026's withdrawal holds


def _two_at_once(engine: Engine, step: Callable[[Connection, str], object], names: tuple[str, str]) -> list[str]:
    """``step`` run by two connections at the same moment, each holding its transaction a while after it
    (the other would read meanwhile): each one's outcome, "done" or the error's code, sorted."""
    import threading

    start = threading.Barrier(2)
    outcomes: list[str] = []

    def one(by: str) -> None:
        start.wait()
        try:
            with engine.begin() as conn:
                step(conn, by)
                time.sleep(0.3)
            outcomes.append("done")
        except core.CatalogueError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=one, args=(by,)) for by in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(outcomes)


def test_two_approvals_at_once_one_wins(engine: Engine):
    """Two approvals of one edition at the same moment (two connections): one approves, the other finds it
    approved already — on SQLite too, which has no row locks."""
    db.upgrade(engine)
    with engine.begin() as conn:
        catalogue.draft_edition(conn, 2026, "发改委")
        catalogue.open_comments(conn, 2026, "发改委")
        catalogue.assess_item(conn, 2026, CONTESTED, "专家：同意", "企业代表：同意", "保留", "发改委")
    approved = _two_at_once(engine, lambda conn, by: catalogue.approve_edition(conn, 2026, by),
                            ("省政府甲", "省政府乙"))
    assert approved == ["catalogue.status", "done"]


def test_two_drafts_of_one_year_at_once_one_is_made(engine: Engine):
    """Two drafts of the same year at the same moment: one is made, the other told it exists — never a
    database error."""
    db.upgrade(engine)
    drafted = _two_at_once(engine, lambda conn, by: catalogue.draft_edition(conn, 2026, by), ("发改委甲", "发改委乙"))
    assert drafted == ["catalogue.edition_exists", "done"]


def test_a_comment_sent_while_the_edition_is_approved_is_refused_not_kept_after_approval(engine: Engine):
    """An approval holding the edition while a comment comes in: the comment waits, then finds the period
    over — never kept beside an approved edition (on SQLite too)."""
    import threading

    db.upgrade(engine)
    with engine.begin() as conn:
        catalogue.draft_edition(conn, 2026, "发改委")
        catalogue.open_comments(conn, 2026, "发改委")
        catalogue.assess_item(conn, 2026, CONTESTED, "专家：同意", "企业代表：同意", "保留", "发改委")
    approving = threading.Event()
    outcome: list[str] = []

    def comment() -> None:
        approving.wait(10)
        try:
            with engine.begin() as conn:
                catalogue.add_comment(conn, 2026, "张三", "建议缩短归集时限")
            outcome.append("kept")
        except core.CatalogueError as exc:
            outcome.append(exc.code)

    thread = threading.Thread(target=comment)
    thread.start()
    with engine.begin() as conn:
        catalogue.approve_edition(conn, 2026, "省政府")
        approving.set()
        time.sleep(0.5)  # (the comment reads the edition meanwhile)
    thread.join(30)
    assert outcome == ["catalogue.status"]
    with engine.connect() as conn:
        assert catalogue.list_comments(conn, 2026) == []


def test_no_personal_number_in_the_catalogue_or_its_changes(conn: Connection):
    """The catalogue, its changes (reasons, who made them) and its comments are published: a staff text
    holding an identity or mobile number is refused without echoing it. (A commenter's own number is kept
    for the staff and shown masked to the public: tests/web/test_catalogue.py.)"""
    person, phone = "130102198503171236", "13812345678"
    catalogue.draft_edition(conn, 2026, "发改委")
    data = core.item_to_dict(core.default_item("JJJ-06-001")) | {"code": "JJJ-06-009"}
    for step in (lambda: catalogue.change_item(conn, "JJJ-03-001", {"collection_procedure": f"联系人{phone}"},
                                               "调整", "发改委", year=2026),
                 lambda: catalogue.change_item(conn, "JJJ-03-001", {"update_period": "每周"}, f"身份证{person}",
                                               "发改委", year=2026),
                 lambda: catalogue.change_item(conn, "JJJ-03-001", {"update_period": "每周"}, "调整",
                                               f"王 {phone}", year=2026),
                 lambda: catalogue.add_item(conn, data | {"code": phone}, "新增", "发改委", year=2026),
                 lambda: catalogue.add_item(conn, data | {"legal_basis": f"经办 {person}"}, "新增", "发改委",
                                            year=2026)):
        with pytest.raises(core.CatalogueError) as exc:
            step()
        assert exc.value.code in ("catalogue.item", "catalogue.reason"), exc.value.message
        assert phone not in exc.value.message and person not in exc.value.message
    assert catalogue.list_changes(conn, 2026) and all(phone not in str(c) and person not in str(c)
                                                      for c in catalogue.list_changes(conn, 2026))
    catalogue.open_comments(conn, 2026, "发改委")  # (a commenter's own: kept for the staff, masked to the public)
    kept = catalogue.add_comment(conn, 2026, "公众", f"我的电话 {phone}", code="JJJ-03-001")
    assert catalogue.list_comments(conn, 2026) == [kept]


def test_names_reasons_and_assessments_are_plain_text_as_items_are(conn: Connection):
    """What a step records beside the items — who did it, why, the assessment — is published too (the
    approver in every export): a control character, an escape sequence or a direction override is refused."""
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.draft_edition(conn, 2026, "河北\x1b[31m省发改委")
    assert exc.value.code == "catalogue.item" and exc.value.field == "by"
    catalogue.draft_edition(conn, 2026, "发改委")
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.change_item(conn, "JJJ-03-001", {"update_period": "实时"}, "原因\x07\u202e", "发改委", year=2026)
    assert exc.value.code == "catalogue.reason"
    rule = {**core.item_to_dict(core.default_item("JJJ-03-001"))["period_rules"][0], "source": "依据\x01第十条"}
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.change_item(conn, "JJJ-03-001", {"period_rules": [rule]}, "调整", "发改委", year=2026)
    assert exc.value.code == "catalogue.item" and exc.value.field == "period_rules"
    catalogue.open_comments(conn, 2026, "发改委")
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.assess_item(conn, 2026, CONTESTED, "专家\x1b[2J", "代表", "保留", "发改委")
    assert exc.value.code == "catalogue.assessment"
    catalogue.assess_item(conn, 2026, CONTESTED, "专家：同意", "企业代表：同意", "保留", "发改委")
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.approve_edition(conn, 2026, "省政府\x0b\u202e")
    assert exc.value.field == "by"
    assert catalogue.approve_edition(conn, 2026, "省政府").approved_by == "省政府"


def test_add_and_withdraw_carry_their_reasons_and_show_in_the_diff(conn: Connection):
    catalogue.draft_edition(conn, 2026, "发改委")
    _publish(conn, 2026)
    catalogue.draft_edition(conn, 2027, "发改委")
    new = {**core.item_to_dict(core.default_items()[0]), "code": "JJJ-08-001", "name": "海关高级认证企业信息",
           "provider": "海关"}
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.add_item(conn, new, "", "发改委", year=2027)
    assert exc.value.code == "catalogue.reason"
    catalogue.add_item(conn, new, "国家目录 2024 版新增信用评价事项", "发改委", year=2027)
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.add_item(conn, new, "again", "发改委", year=2027)
    assert exc.value.code == "catalogue.item_exists"
    catalogue.withdraw_item(conn, "JJJ-07-001", "并入信用评价事项", "发改委", year=2027)
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.withdraw_item(conn, "JJJ-07-001", "again", "发改委", year=2027)
    assert exc.value.code == "catalogue.unknown_item"
    d = catalogue.diff_editions(conn, 2026, 2027)
    assert (d.added, d.withdrawn, d.changed) == (("JJJ-08-001",), ("JJJ-07-001",), ())
    assert [(c.action, c.reason) for c in catalogue.list_changes(conn, 2027)] == [
        ("add", "国家目录 2024 版新增信用评价事项"), ("withdraw", "并入信用评价事项")]
    _publish(conn, 2027, assess=False)  # the contested item is unchanged: assessed in 2026
    assert catalogue.shown_year(conn, None) == 2027


def test_an_item_whose_time_limit_or_update_period_cannot_be_acted_on_is_refused(conn: Connection):
    catalogue.draft_edition(conn, 2026, "发改委")
    penalty = next(i for i in core.default_items() if i.code == "JJJ-03-001")
    new = {**core.item_to_dict(penalty), "code": "JJJ-08-002", "name": "某类处罚"}
    for values, field in (({"collection_time_limit": "尽快"}, "collection_time_limit"),
                          ({"update_period": "每两周"}, "update_period")):
        with pytest.raises(core.CatalogueError) as exc:
            catalogue.add_item(conn, {**new, **values}, "新增", "发改委", year=2026)
        assert exc.value.field == field
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.change_item(conn, "JJJ-03-001", {"update_period": "每两周"}, "改", "发改委", year=2026)
    assert exc.value.field == "update_period"
    five = {**new, "collection_time_limit": "作出决定之日起五个工作日内"}
    _, added = catalogue.add_item(conn, five, "新增", "发改委", year=2026)
    assert core.collection_days(added.collection_time_limit) == 5


def test_a_change_flagging_an_item_contested_needs_an_assessment(conn: Connection):
    catalogue.draft_edition(conn, 2026, "发改委")
    _publish(conn, 2026)
    catalogue.draft_edition(conn, 2027, "发改委")
    catalogue.change_item(conn, "JJJ-02-001", {"contested": True}, "社会影响较大", "发改委", year=2027)
    catalogue.open_comments(conn, 2027, "发改委")
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.approve_edition(conn, 2027, "省政府")
    assert exc.value.code == "catalogue.assessment" and "JJJ-02-001" in exc.value.message


def test_comments_only_during_the_period_and_on_known_items(conn: Connection):
    catalogue.draft_edition(conn, 2026, "发改委")
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.add_comment(conn, 2026, "张三", "意见")
    assert exc.value.code == "catalogue.status"
    until = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
    with pytest.raises(core.CatalogueError) as exc:  # a period that would end before it opens
        catalogue.open_comments(conn, 2026, "发改委", until=until, now=until + datetime.timedelta(days=1))
    assert exc.value.code == "catalogue.comment_period"
    with pytest.raises(core.CatalogueError) as exc:  # a period of years: the edition could never be approved
        catalogue.open_comments(conn, 2026, "发改委", until=until, now=until - datetime.timedelta(days=367))
    assert exc.value.code == "catalogue.comment_period" and "at most 366 days" in exc.value.message
    catalogue.open_comments(conn, 2026, "发改委", until=until, now=until - datetime.timedelta(days=30))
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.add_comment(conn, 2026, "张三", "意见", code="NOPE", now=until - datetime.timedelta(days=1))
    assert exc.value.code == "catalogue.unknown_item"
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.add_comment(conn, 2026, "张三", "意见", now=until + datetime.timedelta(seconds=1))
    assert exc.value.code == "catalogue.status"
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.add_comment(conn, 2026, " ", "意见")
    assert exc.value.code == "catalogue.comment"
    for author, text in (("公众", "意见\x1b[2J\x07"), ("公众\u202e", "意见"), ("公众", "意" * 4_001)):
        with pytest.raises(core.CatalogueError) as exc:  # what a page or a terminal would act on, or too long
            catalogue.add_comment(conn, 2026, author, text, now=until - datetime.timedelta(days=3))
        assert exc.value.code == "catalogue.comment", (author, text[:9])
    assert catalogue.get_edition(conn, 2026).comments_until == until
    catalogue.assess_item(conn, 2026, "JJJ-04-001", "专家", "代表", "保留", "发改委")
    with pytest.raises(core.CatalogueError) as exc:  # approval follows the comment period
        catalogue.approve_edition(conn, 2026, "省政府", now=until - datetime.timedelta(days=1))
    assert exc.value.code == "catalogue.comment_period" and "runs until 2026-02-01" in exc.value.message
    after = until + datetime.timedelta(seconds=1)
    assert catalogue.approve_edition(conn, 2026, "省政府", now=after).status == "approved"


def test_a_withdrawal_is_commented_on_as_an_item_is(conn: Connection):
    """An item the edition withdraws from the one it was drafted from takes comments (a withdrawal is often
    the most contested change); a code neither in the edition nor withdrawn by it is refused, naming both."""
    catalogue.draft_edition(conn, 2026, "发改委")
    _publish(conn, 2026)
    catalogue.draft_edition(conn, 2027, "发改委")
    catalogue.withdraw_item(conn, "JJJ-04-002", "并入严重失信主体名单", "发改委", year=2027)
    catalogue.open_comments(conn, 2027, "发改委")
    kept = catalogue.add_comment(conn, 2027, "某企业", "反对撤销经营异常名录事项", code="JJJ-04-002")
    assert kept.code == "JJJ-04-002" and catalogue.list_comments(conn, 2027) == [kept]
    assert catalogue.withdrawn_codes(conn, catalogue.get_edition(conn, 2027)) == ("JJJ-04-002",)
    for code in ("JJJ-99-001", "JJJ-04-003"):
        with pytest.raises(core.CatalogueError) as exc:
            catalogue.add_comment(conn, 2027, "某企业", "意见", code=code)
        assert (exc.value.code, exc.value.field) == ("catalogue.unknown_item", "item")  # as the request names it
        assert f'no item "{code}" and does not withdraw' in exc.value.message and "JJJ-03-001" in exc.value.message
        assert "withdraws from the 2026 edition (JJJ-04-002)" in exc.value.message
    for code, shown in (("JJJ-99\u202e-001", '"JJJ-99\\u202e-001"'), ("JJJ\x00", '"JJJ\\u0000"'),
                        ("11010519491231002X", '"110105********002X"')):  # escaped, a personal number masked
        with pytest.raises(core.CatalogueError) as exc:
            catalogue.add_comment(conn, 2027, "某企业", "意见", code=code)
        assert exc.value.message.isprintable() and shown in exc.value.message, exc.value.message
        assert "a directory code is letters and digits" in exc.value.message or code[0] == "1"
    with pytest.raises(core.CatalogueError) as exc:  # withdrawn from 2027, not from 2026: nothing to comment on
        catalogue.add_comment(conn, 2026, "某企业", "意见", code="JJJ-04-002")
    assert exc.value.code == "catalogue.published"


def test_a_first_editions_withdrawal_from_the_default_catalogue_is_commented_on(conn: Connection):
    catalogue.draft_edition(conn, 2026, "发改委")
    catalogue.withdraw_item(conn, "JJJ-06-001", "停止归集", "发改委", year=2026)
    catalogue.open_comments(conn, 2026, "发改委")
    assert catalogue.add_comment(conn, 2026, "某企业", "意见", code="JJJ-06-001").code == "JJJ-06-001"
    with pytest.raises(core.CatalogueError) as exc:
        catalogue.add_comment(conn, 2026, "某企业", "意见", code="NOPE")
    assert "withdraws from the default catalogue (JJJ-06-001)" in exc.value.message


def test_no_item_changes_between_the_end_of_the_comment_period_and_approval(conn: Connection):
    """What is approved is what the public could comment on: after the period an item is added, changed
    or withdrawn only once the edition is out for comment again; an assessment may still be recorded."""
    catalogue.draft_edition(conn, 2026, "发改委")
    until = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
    during, after = until - datetime.timedelta(days=1), until + datetime.timedelta(seconds=1)
    catalogue.open_comments(conn, 2026, "发改委", until=until, now=until - datetime.timedelta(days=30))
    catalogue.change_item(conn, "JJJ-03-001", {"update_period": "每周"}, "征求意见期间调整", "发改委", year=2026,
                          now=during)
    data = core.item_to_dict(core.default_item("JJJ-06-001")) | {"code": "JJJ-06-009"}
    for step in (lambda: catalogue.change_item(conn, "JJJ-03-001", {"update_period": "每日"}, "再调整", "发改委",
                                               year=2026, now=after),
                 lambda: catalogue.add_item(conn, data, "新增", "发改委", year=2026, now=after),
                 lambda: catalogue.withdraw_item(conn, "JJJ-03-002", "撤销", "发改委", year=2026, now=after)):
        with pytest.raises(core.CatalogueError) as exc:
            step()
        assert exc.value.code == "catalogue.comment_period", exc.value.message
        assert "open-comments 2026" in exc.value.message
    assert core.items_by_code(catalogue.edition_items(conn, 2026))["JJJ-03-001"].update_period == "每周"
    assert "JJJ-06-009" not in core.items_by_code(catalogue.edition_items(conn, 2026))
    catalogue.withdraw_item(conn, "JJJ-03-002", "撤销", "发改委", year=2026, now=during)
    with pytest.raises(core.CatalogueError) as exc:  # twice: said so, not "no such item"
        catalogue.withdraw_item(conn, "JJJ-03-002", "撤销", "发改委", year=2026, now=during)
    assert exc.value.code == "catalogue.unknown_item" and "withdrawn from the 2026 edition already" in exc.value.message
    catalogue.assess_item(conn, 2026, CONTESTED, "专家", "代表", "保留", "发改委")  # still taken
    with pytest.raises(core.CatalogueError) as exc:  # not while the period runs
        catalogue.open_comments(conn, 2026, "发改委", now=during)
    assert exc.value.code == "catalogue.comment_period" and "out for comment already" in exc.value.message
    again = until + datetime.timedelta(days=20)
    reopened = catalogue.open_comments(conn, 2026, "发改委", until=again, now=after)
    assert (reopened.status, reopened.comments_until) == ("comment", again)
    catalogue.change_item(conn, "JJJ-03-001", {"update_period": "每日"}, "再调整", "发改委", year=2026,
                          now=after + datetime.timedelta(seconds=1))
    with pytest.raises(core.CatalogueError) as exc:  # approval follows the new period
        catalogue.approve_edition(conn, 2026, "省政府", now=after + datetime.timedelta(days=1))
    assert exc.value.code == "catalogue.comment_period"
    approved = catalogue.approve_edition(conn, 2026, "省政府", now=again + datetime.timedelta(seconds=1))
    assert approved.status == "approved"


def test_unknown_editions_and_years_are_refused(conn: Connection):
    for step, code in ((lambda: catalogue.get_edition(conn, 2030), "catalogue.no_edition"),
                       (lambda: catalogue.draft_edition(conn, 1999, "x"), "catalogue.year"),
                       (lambda: catalogue.shown_year(conn, None), "catalogue.no_edition"),
                       (lambda: catalogue.open_comments(conn, 2030, "x"), "catalogue.no_edition")):
        with pytest.raises(core.CatalogueError) as exc:
            step()
        assert exc.value.code == code


def test_the_edition_in_force_is_read_again_once_an_edition_is_published(conn: Connection):
    """Which edition is in force is kept a second per process (every subject's records call asks); an
    edition published here is in force at once, not a second later."""
    assert catalogue.edition_in_force(conn, 2028) is None
    catalogue.draft_edition(conn, 2026, "河北省发展改革委")
    _publish(conn, 2026)
    found = catalogue.edition_in_force(conn, 2028)
    assert found is not None and found.year == 2026
    catalogue.draft_edition(conn, 2027, "河北省发展改革委")
    _publish(conn, 2027)
    found = catalogue.edition_in_force(conn, 2028)
    assert found is not None and found.year == 2027
    assert catalogue.edition_in_force(conn, 2027) == catalogue.latest_published(conn, before=2027)


def test_in_december_the_edition_in_force_is_this_years_though_next_years_is_published(conn: Connection):
    catalogue.draft_edition(conn, 2026, "河北省发展改革委")
    _publish(conn, 2026)
    catalogue.draft_edition(conn, 2027, "河北省发展改革委")
    _publish(conn, 2027)
    for year, at in ((2026, datetime.datetime(2025, 12, 20, 2, tzinfo=datetime.UTC)),
                     (2027, datetime.datetime(2026, 11, 30, 20, tzinfo=datetime.UTC))):  # 1 December in Beijing
        conn.execute(update(catalogue_editions).where(catalogue_editions.c.year == year).values(published_at=at))
    for today in (datetime.date(2026, 12, 7), datetime.date(2027, 1, 1)):
        periods = catalogue.in_force_periods(conn, today)
        in_force = catalogue.latest_published(conn, before=today.year + 1)
        assert in_force is not None and [y for y, p in periods.items() if p.now] == [in_force.year]
    december = catalogue.in_force_periods(conn, datetime.date(2026, 12, 7))
    assert (december[2026].state, december[2026].since, december[2026].until) == \
        ("now", datetime.date(2026, 1, 1), datetime.date(2027, 1, 1))
    assert (december[2027].state, december[2027].since) == ("future", datetime.date(2027, 1, 1))
    assert catalogue.shown_year(conn, None) == 2027  # `catalogue show` still shows the newest, and says it waits


def test_an_item_is_read_as_its_edition_is(conn: Connection):
    """readable_item: the edition's item for whom may read the edition; for the public a draft's item is no
    edition at all, as the draft is; a code without an item is named, with the year (a personal number masked),
    and one that cannot be a directory code says what one is."""
    catalogue.draft_edition(conn, 2026, "发改委")
    _publish(conn, 2026)
    catalogue.draft_edition(conn, 2027, "发改委")
    assert catalogue.readable_item(conn, 2026, "JJJ-03-001", False) == core.default_item("JJJ-03-001")
    assert catalogue.readable_item(conn, 2027, "JJJ-03-001", True) == core.default_item("JJJ-03-001")
    with pytest.raises(core.CatalogueError) as hidden:
        catalogue.readable_item(conn, 2027, "JJJ-03-001", False)
    with pytest.raises(core.CatalogueError) as none:
        catalogue.readable_item(conn, 2028, "JJJ-03-001", False)
    assert (hidden.value.code, str(hidden.value)) == (none.value.code, str(none.value).replace("2028", "2027"))
    with pytest.raises(core.CatalogueError) as unknown:
        catalogue.readable_item(conn, 2026, "11010519491231002X", False)
    assert unknown.value.code == "catalogue.unknown_item" and unknown.value.field == "code"
    assert '"110105********002X"' in str(unknown.value) and "2026" in str(unknown.value)
    with pytest.raises(core.CatalogueError, match="a directory code is letters and digits"):
        catalogue.readable_item(conn, 2026, "JJJ 03/001", False)
