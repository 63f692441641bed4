"""The diff of two editions (core/credit/catalogue_diff.py): items added, withdrawn, each attribute changed,
a record layout field by field — and a change kept in an edition's changes read the same way."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jjjcredit.core.credit import catalogue, catalogue_diff


def test_the_diff_lists_added_withdrawn_and_each_changed_attribute():
    items = catalogue.default_items()
    changed = catalogue.change_item(items[2], {"update_period": "实时", "security_level": 2})
    new = catalogue.item_from_dict({**catalogue.item_to_dict(items[0]), "code": "JJJ-99-001"})
    d = catalogue_diff.diff(items, [items[0], changed, new])
    assert d.added == ("JJJ-99-001",)
    assert set(d.withdrawn) == {i.code for i in items} - {items[0].code, items[2].code}
    assert [(c.code, c.attribute, c.old, c.new) for c in d.changed] == [
        (items[2].code, "update_period", "每日", "实时"), (items[2].code, "security_level", 1, 2)]
    assert catalogue_diff.diff(items, items).empty


def test_a_changed_layout_is_diffed_field_by_field_and_still_needs_its_reason():
    """A layout change reads as the fields added, dropped and the attributes of those kept that changed,
    keyed by element — never the two whole layouts — and approval still asks for its reason."""
    items = catalogue.default_items()
    penalty = catalogue.default_item("JJJ-03-001")
    old = penalty.fields
    new = (dataclasses.replace(old[0], max_length=64), dataclasses.replace(old[1], required=False, name="相对人类别"),
           *old[3:], catalogue.Field("备注", "CF_BZ", False, 512))
    changed = dataclasses.replace(penalty, fields=new)
    d = catalogue_diff.diff(items, [changed if i.code == penalty.code else i for i in items])
    [layout] = d.changed
    assert (layout.code, layout.attribute) == ("JJJ-03-001", "fields")
    assert [(f.change, f.element, f.name, f.attribute, f.old, f.new) for f in layout.field_changes] == [
        ("dropped", old[2].element, old[2].name, None, dataclasses.asdict(old[2]), None),
        ("changed", "CF_XDR_MC", "行政相对人名称", "max_length", 200, 64),
        ("changed", "CF_XDR_LB", "相对人类别", "name", "行政相对人类别", "相对人类别"),
        ("changed", "CF_XDR_LB", "相对人类别", "required", True, False),
        ("added", "CF_BZ", "备注", None, None, {"name": "备注", "element": "CF_BZ", "required": False,
                                              "max_length": 512})]
    edition = [changed if i.code == penalty.code else i for i in items]
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.check_approval(2027, items, edition, {}, [], "省人民政府")
    assert exc.value.code == "catalogue.reason" and "JJJ-03-001" in exc.value.message
    catalogue.check_approval(2027, items, edition, {"JJJ-03-001": "精简数据项"}, [], "省人民政府")


@given(st.permutations(range(6)), st.sets(st.integers(0, 5), max_size=3), st.sets(st.integers(0, 5), max_size=2))
def test_a_layout_diff_is_empty_exactly_when_the_layouts_are_equal(order: list[int], dropped: set[int],
                                                                  shortened: set[int]):
    old = catalogue.default_item("JJJ-03-001").fields[:6]
    new = tuple(dataclasses.replace(old[i], max_length=10) if i in shortened else old[i]
                for i in order if i not in dropped)
    changes = catalogue_diff.diff_fields(old, new)
    assert (changes == ()) == (new == old)
    assert {f.element for f in changes if f.change == "dropped"} == {old[i].element for i in dropped}
    assert not any(f.change == "added" for f in changes)


_TEXTS = ("provider", "name", "data_format", "right_to_use", "collection_scope", "collection_procedure",
          "collection_path", "collection_time_limit", "publication_method", "update_period", "legal_basis")


@given(st.dictionaries(st.sampled_from(_TEXTS), st.text(st.characters(categories=("Lo", "Nd")), min_size=1,
                                                         max_size=8), max_size=5),
       st.sampled_from(catalogue.default_items()))
def test_the_diff_names_exactly_the_attributes_changed(values: dict[str, str], item: catalogue.Item):
    changed = catalogue.item_from_dict({**catalogue.item_to_dict(item), **values})
    d = catalogue_diff.diff([item], [changed])
    assert {c.attribute for c in d.changed} == {k for k, v in values.items() if getattr(item, k) != v}
    assert all((c.old, c.new) == (getattr(item, c.attribute), values[c.attribute]) for c in d.changed)
    assert not d.added and not d.withdrawn


@given(st.sets(st.sampled_from([i.code for i in catalogue.default_items()]), max_size=3),
       st.sets(st.sampled_from([i.code for i in catalogue.default_items()]), max_size=3))
def test_approval_asks_a_reason_of_exactly_the_items_the_diff_names(withdrawn: set[str], changed: set[str]):
    items = catalogue.default_items()
    edition = [catalogue.change_item(i, {"update_period": "每周" if i.update_period != "每周" else "每月"})
               if i.code in changed else i for i in items if i.code not in withdrawn]
    d = catalogue_diff.diff(items, edition)
    named = {*d.added, *d.withdrawn, *(c.code for c in d.changed)}
    assert named == withdrawn | changed
    assessed = [i.code for i in items]
    catalogue.check_approval(2027, items, edition, {c: "理由" for c in named}, assessed, "省人民政府")
    for code in named:
        with pytest.raises(catalogue.CatalogueError) as exc:
            catalogue.check_approval(2027, items, edition, {c: "理由" for c in named - {code}}, assessed, "省人民政府")
        assert exc.value.code == "catalogue.reason" and code in exc.value.message


def test_a_change_kept_reads_as_the_diff_that_made_it():
    """What services/credit/catalogue.change_item keeps (each attribute's old and new, as JSON) reads back as
    the diff's changes, a record layout field by field."""
    penalty = catalogue.default_item("JJJ-03-001")
    fields = (dataclasses.replace(penalty.fields[0], max_length=64), *penalty.fields[2:-1],
              catalogue.Field("执行法院", "SX_ZXFY", False, 200))
    changed = catalogue.change_item(penalty, {"update_period": "实时",
                                              "fields": [dataclasses.asdict(f) for f in fields]})
    made = catalogue_diff.diff([penalty], [changed]).changed
    kept = json.loads(json.dumps({c.attribute: {"old": c.old, "new": c.new} for c in made}, sort_keys=True))
    assert catalogue_diff.recorded_changes(penalty.code, kept) == made
    assert [(f.change, f.element) for f in made[-1].field_changes] == [
        ("dropped", penalty.fields[1].element), ("dropped", "BZ"), ("changed", "CF_XDR_MC"), ("added", "SX_ZXFY")]
