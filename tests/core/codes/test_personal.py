"""Personal numbers in text (core/codes/personal.py): identity and mobile numbers found however people
write them, and nothing else."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.codes import personal

MASKED = [
    ("130102 1985 0505 9977 2026年", "130102********9977 2026年"),
    ("身份证130102  19850505  9977。", "身份证130102********9977。"),
    ("130102 - 19850505 - 9977", "130102********9977"),
    ("130102\u200919850505\u20099977", "130102********9977"),
    ("id,130102,1985,0505,9977", "id,130102********9977"),
    ("1 11010519491231002X", "1 110105********002X"),
    ("+86 138 1234 5678", "138****5678"),
    ("008613812345678", "138****5678"),
    ("＋８６ １３８ １２３４ ５６７８", "１３８****５６７８"),
    ("138-1234-5678/139-8765-4321", "138****5678/139****4321"),
    ("1381 2345 678 与 138 123 45678", "138****5678 与 138****5678"),
    ("电话 13812345678 11010519491231002X", "电话 138****5678 110105********002X"),
    # Chinese and full-width punctuation, brackets, soft hyphens between the groups
    ("130102．19850505．9985", "130102********9985"),
    ("法定代表人130102，19850505，9926", "法定代表人130102********9926"),
    ("130102、19850505、990X", "130102********990X"),
    ("（130102）19850505（9969）", "（130102********9969）"),
    ("130102：19850505～9977", "130102********9977"),
    ("130102*19850505+9977", "130102********9977"),
    ("130102・1985・0505・9977", "130102********9977"),
    ("130102\u00ad19850505\u00ad9950", "130102********9950"),
    ("130102 -- 19850505 -- 9977", "130102********9977"),
    ("138．1234．5678", "138****5678"),
    ("（138）1234-5678", "（138****5678"),
    ("138，1234，5678", "138****5678"),
    # run into other digits (an identity number with its check character right), a trunk 0 before a mobile
    ("登记编号2026130102198505059977", "登记编号2026130102********9977"),
    ("京市监罚2026130102198505059977号", "京市监罚2026130102********9977号"),
    ("013912345678", "139****5678"),
    # a mobile before a surname, or a figure no amount is written as
    ("联系电话13812345678 万先生", "联系电话138****5678 万先生"),
    ("13612345678亿", "136****5678亿"),
    ("联系电话13812345678元旦后停机", "联系电话138****5678元旦后停机"),
    ("138-1234-5678元", "138****5678元"),
    # invisible characters, any punctuation or dashes between the groups, any script's digits
    ("违法130102\u3164198505059977", "违法130102********9977"),
    ("130102\x7f198505059977", "130102********9977"),
    ("130102\u2028198505059977", "130102********9977"),
    ("130102。198505059977", "130102********9977"),
    ("「130102」「19850505」「9977」", "「130102********9977」"),
    ("130102－－－－－198505059977", "130102********9977"),
    ("138。1234。5678", "138****5678"),
    ("𝟏𝟑𝟎𝟏𝟎𝟐𝟏𝟗𝟖𝟓𝟎𝟓𝟎𝟓𝟗𝟗𝟕𝟕", "𝟏𝟑𝟎𝟏𝟎𝟐********𝟗𝟗𝟕𝟕"),
    # run into other digits, grouped or not, its check character a digit or X
    ("登记编号202613010219850505018X", "登记编号2026130102********018X"),
    ("身份证13010219850505018X2026年入职", "身份证130102********018X2026年入职"),
    ("2026130102 19850505 9977", "2026130102********9977"),
    ("NO.2026130102-198505059977", "NO.2026130102********9977"),
    ("130102-19850505-99772026", "130102********99772026"),
    # the body without its check character
    ("身份证号13010219850505997（末位略）", "身份证号130102********997（末位略）"),
    # a first-generation number: 15 digits, its birth date of the 1900s as YYMMDD
    ("旧身份证130102800101123", "旧身份证130102*****1123"),
    ("130102 800101 123号", "130102*****1123号"),
    ("１３０１０２８００１０１１２３", "１３０１０２*****１１２３"),
]
LEFT_ALONE = ["许可证编号JY11301020012345 2026-04-25核发", "JY11301020012345 0311-87654321", "邮编050000 0311-87654321",
              "911301001043587202", "91130100104358720X", "罚款18228000000元", "冀市监罚〔2026〕0123456号",
              "2026-04-25 2026-05-01 2026-06-01", "账号6222021234567890123", "金额1,234,567,890.12万元",
              "依据第13、14、15、16、17、18条", "第1、3、5、7、9、11、13、15条", "（2026）冀0102执100号",
              "2026.04.25、2026.05.01、2026.06.01", "￥13812345678", "序号 1 2 3 4 5 6 7 8 9 10 11",
              "13812345678元", "检出值1.38、12.34、56.78mg/kg", "罚款分别为1.38、12.34、56.78万元",
              "13.8，12.34，56.78", "(010)62345678", "400-123-4567", "ISBN 978-7-111-12345-6",
              "坐标116.397128,39.916527", "时间2026-04-25 08:30:00至2026-04-26 17:00:00", "IP 192.168.100.200",
              "注册号110108000000016", "税号130100104358720", "订单202604251234567"]


@pytest.mark.parametrize(("text", "shown"), MASKED)
def test_identity_and_mobile_numbers_are_masked_however_they_are_written(text: str, shown: str):
    assert personal.shown_personal(text) == shown and personal.personal_in(text)
    assert personal.NUMBER_RUN.search(text)  # the fast path's prefilter finds every one


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_licence_numbers_codes_amounts_lists_and_dates_are_left_alone(text: str):
    assert personal.shown_personal(text) == text and not personal.personal_in(text)


#: Digits in other forms: NFKC's (superscript, subscript, circled) and Chinese numerals in a run of a whole number.
MASKED_FORMS = [
    ("¹¹⁰¹⁰⁵¹⁹⁴⁹¹²³¹⁹⁹⁶⁴", "¹¹⁰¹⁰⁵********⁹⁹⁶⁴"),
    ("身份证①①0①0⑤①⑨④⑨①②③①⑨⑨⑥④号", "身份证①①0①0⑤********⑨⑨⑥④号"),
    ("电话₁₃₈ ₁₂₃₄ ₅₆₇₈", "电话₁₃₈****₅₆₇₈"),
    ("身份证一一〇一〇五一九四九一二三一九九六四", "身份证一一〇一〇五********九九六四"),
    ("身份证一一零一零五一九四九一二三一九九六四。", "身份证一一零一零五********九九六四。"),
    ("手机一三八一二三四五六七八", "手机一三八****五六七八"),
    ("手机一三八 一二三四 五六七八，联系人王某", "手机一三八****五六七八，联系人王某"),
    ("电话138一二三四5678", "电话138****5678"),
    ("事实壹壹零壹零伍壹玖捌零零壹零壹壹贰叁捌。", "事实壹壹零壹零伍********壹贰叁捌。"),  # financial numerals
    ("某公司壹壹零壹零伍壹玖捌零零壹零壹壹贰參捌", "某公司壹壹零壹零伍********壹贰參捌"),  # a traditional 參
    ("电话壹叁捌 壹贰叁肆 伍陆柒捌", "电话壹叁捌****伍陆柒捌"),
    ("电话壹叄捌壹贰叁肆伍陆柒捌", "电话壹叄捌****伍陆柒捌"),  # 叄, a variant of 叁
    ("手机幺三八幺二三四五六七八", "手机幺三八****五六七八"),  # 幺 for 1, as a number is read out
]
#: Ordinary Chinese text with 一, 十, 零 and runs of numerals shorter than a number, or no personal number.
LEFT_ALONE_CHINESE = ["一般违法行为，依据第一条第十项", "零售一万二千三百元", "一一对应，逐一核查", "第一百一十一条",
                      "二〇二六年十一月一日", "一二三四五六七八九十", "零零星星", "统一社会信用代码",
                      "一、二、三、四、五、六、七、八、九、〇、一", "一二三四五六七八九〇一", "一九四九年十月一日成立",
                      "编号一二三四五六七八九〇一二三四五六七八", "一 二 三 四 五 六 七 八 九 十 一",
                      "人民币壹万贰仟叁佰肆拾伍元整", "壹、贰、叁、肆、伍、陆、柒、捌、玖、零、壹"]


@pytest.mark.parametrize(("text", "shown"), MASKED_FORMS)
def test_numbers_in_other_digit_forms_and_chinese_numerals_are_masked(text: str, shown: str):
    assert personal.shown_personal(text) == shown and personal.personal_in(text)
    assert personal.NUMBER_RUN.search(text) and personal.number_run_cells([text, "一般"]) == [0]


@pytest.mark.parametrize("text", LEFT_ALONE_CHINESE)
def test_ordinary_chinese_text_with_numerals_is_left_alone(text: str):
    assert personal.shown_personal(text) == text and not personal.personal_in(text)


def test_the_digit_forms_are_every_one_nfkc_makes_a_digit():
    forms = {chr(c) for c in range(0x110000) if not chr(c).isdecimal()
             and len(n := unicodedata.normalize("NFKC", chr(c))) == 1 and n.isdecimal()}
    assert forms == set(personal.DIGIT_FORMS)


def test_an_identity_number_run_into_digits_is_one_only_with_its_check_character_right():
    assert personal.shown_personal("2026130102198505059976") == "2026130102198505059976"  # wrong check character
    assert personal.personal_within("2026130102198505059976")  # (a request id is refused whatever its check)


@pytest.mark.parametrize(("code", "person"), [("130102198505010719", True), ("130102198505013039", True),
                                              ("13010219850505997701", True), ("91130100104358720X", False),
                                              ("911301001043587202", False), ("130102198505059976", False),
                                              ("130102198505059977AB", True), ("A1301021985050599771", True),
                                              ("01130102198505059977", True), ("13010219850505997", True),
                                              ("1301021985050599770a", True), ("130100104358720", False)])
def test_a_code_that_is_an_identity_number_is_told(code: str, person: bool):
    assert personal.is_identity_number(code) is person


def test_a_text_of_every_character_there_is_does_not_grow_what_is_kept_of_them():
    many = "".join(chr(c) for c in range(0x20000, 0x20000 + personal.SHADOW_KEPT + 5_000))  # CJK extension B
    text = many + "身份证130102 19850505 9977" + many[::-1]
    assert personal.shown_personal(text).count("130102********9977") == 1
    assert len(personal._SHADOW) <= personal.SHADOW_KEPT


def test_the_digits_counted_are_the_digits_number_run_matches():
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert set(re.findall(personal._ANY_DIGIT, every)) == {chr(c) for c in personal._decimal_table().nonzero()[0]}
    assert set(re.findall(personal._ANY_DIGIT, every)) == set(re.findall(r"\d", every)) | set(
        personal.DIGIT_FORMS + personal.CHINESE_DIGITS)
    assert personal.NUMBER_RUN.flags & re.ASCII == 0  # (its \d: any script's digit, as counted)


#: Digits of several scripts (ASCII, full-width, Arabic-Indic, Devanagari, Thai, mathematical bold), the
#: separators NUMBER_RUN allows between them, letters that end a run, and CJK text.
_PIECES = st.sampled_from(["1", "3", "8", "０", "９", "\u0661", "\u0968", "\u0e53", "\U0001d7d0", " ", "-", "、",
                           "\u3000", "ー", "_", "\u115f", "a", "X", "号", "罚款", "〔2026〕"])


@given(st.lists(st.lists(_PIECES, max_size=30).map("".join), min_size=1, max_size=8))
@settings(max_examples=400, deadline=None)
def test_a_cell_left_out_of_number_run_cells_holds_no_number_run(cells: list[str]):
    found = personal.number_run_cells(cells)
    assert found == personal.number_run_cells(cells, "".join(cells))
    for i, cell in enumerate(cells):
        if personal.NUMBER_RUN.search(cell) is not None:
            assert i in found, cell
        assert (i in found) == (sum(c.isdecimal() for c in cell) >= 11)


def test_what_a_spreadsheet_keeps_of_an_identity_number_typed_as_a_number_is_masked():
    """Excel keeps 15 significant digits of a number: an identity number typed into a cell as one comes out as
    ``1.10105198001011e+17`` (services/tabular/tables.number_text), its region and birth date in clear but for this."""
    for kept, shown in (("1.10105198001011e+17", "110105********1e+17"),
                        ("1.101051980011E+17", "110105********E+17"),  # a CSV export drops trailing zeros
                        ("1.30104198005069E+17", "130104********9E+17"),
                        ("原因：1.3010419800506998e+17。", "原因：130104********998e+17。")):
        assert personal.shown_personal(kept) == shown and personal.personal_in(kept)
        assert personal.number_run_cells([kept, "一般"]) == [0]
    for left in ("1.3e+17", "9.99999999999999e+17", "1.10105198001011e+15", "2.5e+16元"):  # no region and birth date
        assert personal.shown_personal(left) == left


@pytest.mark.parametrize(("text", "shown"), [
    ("王伍110105198001011234", "王伍110105********1234"), ("联系人陆13812345678", "联系人陆138****5678"),
    ("小一13812345678", "小一138****5678"), ("张叁110105198001011234号", "张叁110105********1234号")])
def test_a_numeral_that_is_a_names_character_next_to_a_number_does_not_hide_it(text: str, shown: str):
    """伍, 陆, 一 are characters of names too: one written against a number is no twelfth or nineteenth digit of it."""
    assert personal.shown_personal(text) == shown and personal.personal_in(text)
