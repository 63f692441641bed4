from __future__ import annotations

import datetime
import decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jjjcredit.core.library import elements, transforms
from jjjcredit.core.library.transforms import TRANSFORMS, TransformError

DAYS = st.dates(min_value=datetime.date(1927, 5, 18), max_value=datetime.date(2150, 12, 31))
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def written_forms(day: datetime.date) -> list[str]:
    y, m, d = day.year, day.month, day.day
    return [
        day.strftime("%Y%m%d"), day.isoformat(), f"{y}/{m}/{d}", f"{y}-{m}-{d}", f"{y}.{m}.{d}",
        f"{y}年{m}月{d}日", f"{y}年{m:02d}月{d:02d}日", f"{y} 年 {m} 月 {d} 号", f"{day.isoformat()} 00:00:00",
        f"{day.isoformat()}T12:30:00", str(transforms.to_excel_serial(day)),
        f"{transforms.to_excel_serial(day)}.0", day.strftime("%Y%m%d").translate(FULLWIDTH),
        f"{y}年{m}月{d}日".translate(FULLWIDTH),
    ]


@given(DAYS)
def test_a_date_written_any_supported_way_parses_to_the_same_day(day):
    expected = day.strftime("%Y%m%d")
    assert {transforms.date(v) for v in written_forms(day)} == {expected}


@given(st.text(max_size=20))
def test_date_either_parses_to_a_real_day_or_raises_a_transform_error(value):
    try:
        result = transforms.date(value)
    except TransformError as exc:
        assert exc.code == "record.date"
        return
    assert datetime.datetime.strptime(result, "%Y%m%d")


@pytest.mark.parametrize("value", ["2019-02-29", "2019-13-01", "2019-04-31", "20190230", "2019年2月30日",
                                   "2019", "190305", "3/5/2019", "yesterday", "1799-01-01", "9999"])
def test_impossible_or_partial_dates_are_refused(value):
    with pytest.raises(TransformError) as info:
        transforms.date(value)
    assert info.value.code == "record.date"
    assert f'"{value}"' in info.value.message


def test_leap_days():
    assert transforms.date("2020-02-29") == "20200229"
    assert transforms.date("2000/2/29") == "20000229"
    with pytest.raises(TransformError, match="not a leap year"):
        transforms.date("1900-02-29")


@given(st.decimals(min_value=0, max_value=10**12, places=4, allow_nan=False, allow_infinity=False))
def test_capital_in_wan_and_in_yuan_agree(amount):
    wan = transforms.capital_wan(f"{amount:f}")
    yuan = transforms.capital_yuan(f"{amount * 10000:f}")
    assert wan == yuan
    assert decimal.Decimal(wan) == amount
    assert transforms.capital_wan(f"{amount:f}万元") == wan
    assert transforms.capital_yuan(f"{amount:f}万元") == wan


@pytest.mark.parametrize(("value", "expected"), [
    ("100", "100"), ("100.00", "100"), ("1,000.5", "1000.5"), ("１００万元", "100"), ("100万元人民币", "100"),
    ("￥100万", "100"), ("2000000元", "200"), ("1E+3", "1000"), (".5", "0.5"), ("0", "0"),
])
def test_capital_wan_forms(value, expected):
    assert transforms.capital_wan(value) == expected


@pytest.mark.parametrize("value", ["-5", "abc", "100美元", "1.2.3", "", "万元", "1" * 30])
def test_capital_refuses_what_is_not_an_amount(value):
    with pytest.raises(TransformError) as info:
        transforms.capital_wan(value)
    assert info.value.code == "record.amount"


@pytest.mark.parametrize(("word", "code"), [
    ("存续", "1"), ("在营", "1"), ("开业", "1"), ("存续（在营、开业、在册）", "1"), ("正常", "1"),
    ("吊销", "3"), ("吊销，未注销", "3"), ("注销", "4"), ("已注销", "4"), ("撤销", "4"), ("迁出", "9"),
    ("异常", "2"), ("列入经营异常名录", "2"), ("1", "1"), ("４", "4"),
])
def test_status_words(word, code):
    assert transforms.status_words(word) == code


def test_every_status_value_name_is_a_status_word():
    for value in elements.STATUS.values():
        assert transforms.status_words(value.zh) == value.code


def test_every_value_list_name_is_a_word_of_its_transform():
    for value in elements.ID_TYPE.values():
        assert transforms.id_type_words(value.zh) == value.code
    for value in elements.TRANSACTION.values():
        if value.code != "03":  # 注销 as a transaction is written 注销登记 in files
            assert transforms.transaction_words(value.zh) == value.code
    for value in elements.CURRENCY.values():
        assert transforms.currency_words(value.zh) == value.code
    for value in elements.ECONOMIC_TYPE.values():
        assert transforms.economic_type_words(value.zh) == value.code
    for value in elements.DISCLOSURE.values():
        assert transforms.disclosure_words(value.zh) == value.code


def test_unknown_word_lists_the_accepted_words():
    with pytest.raises(TransformError) as info:
        transforms.status_words("活着")
    assert info.value.code == "record.value"
    assert "存续" in info.value.message and '"活着"' in info.value.message


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=1, max_size=18))
def test_code_undoes_what_people_paste(compact):
    pasted = " " + "-".join(compact[i:i + 4] for i in range(0, len(compact), 4)).lower() + "\u3000"
    assert transforms.code(pasted) == compact
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    wide = str.maketrans(alphabet, "".join(chr(ord(c) + 0xFEE0) for c in alphabet))
    assert transforms.code(compact.translate(wide)) == compact


def test_organization_code_with_hyphen():
    assert transforms.code("MA0C1234-5") == "MA0C12345"


def test_fullwidth_keeps_chinese_brackets():
    assert transforms.fullwidth("河北（１号）ＡＢ") == "河北（1号）AB"


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("count", "1,250人", "1250"), ("count", "０", "0"), ("division", "１３０１００", "130100"),
    ("division", "130102000000", "130102"), ("industry", "c3311", "3311"), ("number", "25.0", "25"),
    ("id_type_words", "中华人民共和国居民身份证", "10"), ("id_type_words", "护照", "50"),
    ("currency_words", "人民币", "CNY"), ("disclosure_words", "否", "2"), ("transaction_words", "变更", "02"),
])
def test_registry_transforms(name, value, expected):
    assert TRANSFORMS[name].apply(value) == expected


def test_every_transform_is_registered_under_its_own_name():
    for name, transform in TRANSFORMS.items():
        assert transform.name == name == transform.apply.__name__
        assert transform.description
