"""Organization names: the one form they are compared in, wherever names are compared.

Search keys (:mod:`jjjcredit.core.library.search`, stored in ``organization_search``) and identity
authentication (:mod:`jjjcredit.core.sharing.verify`) both compare names by :func:`normalize`, so a
name one of them takes for the organization's, the other takes too:

- full-width → half-width (NFKC: ``（某某）`` → ``(某某)``, ``ＡＢＣ`` → ``ABC``);
- no spaces of any kind;
- one bracket style: ``【】〔〕[]「」`` → ``()``;
- one company form: 有限责任公司 → 有限公司, 股份有限公司 → 股份公司;
- upper case.

The search keys stored in a library were made by this function: a change here changes what a
library holds, and needs the stored keys made again (a migration).

>>> normalize("北京[某某]科技股份有限公司") == normalize("北京(某某)科技股份有限公司")
True
>>> normalize("石家庄（某某） 机械有限责任公司")
'石家庄(某某)机械有限公司'
>>> same("北京「某某」科技 股份有限公司", "北京（某某）科技股份公司"), same("北京某某科技有限公司", "北京某某科技公司")
(True, False)
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")", "「": "(", "」": ")"})
_ODD_BRACKETS = re.compile("[【】〔〕\\[\\]「」]")
_FORMS = (("有限责任公司", "有限公司"), ("股份有限公司", "股份公司"))


def normalize(name: str) -> str:
    """The form names are compared in (see the module's description).

    >>> normalize("北京 [某某] 科技股份有限公司")
    '北京(某某)科技股份公司'
    """
    text = _SPACES.sub("", unicodedata.normalize("NFKC", name))
    if _ODD_BRACKETS.search(text):
        text = text.translate(_BRACKETS)
    for long, short in _FORMS:
        if long in text:
            text = text.replace(long, short)
    return text.upper()


def same(asked: str, held: str) -> bool:
    """Whether two names are the same once normalized (equal strings without normalizing them)."""
    return asked == held or normalize(asked) == normalize(held)


#: Categories of characters that show nothing of their own: format characters (zero widths, joiners,
#: direction marks, soft hyphens, tags), combining marks NFKC left alone, controls.
_UNSEEN = frozenset({"Cf", "Mn", "Me", "Cc"})


def same_party(a: str, b: str) -> bool:
    r"""Whether two names of who took a step (a department, an application party) show alike: :func:`same`,
    letter case aside, with every character that shows nothing dropped first — a name with a zero width
    or a direction mark in it is the name without (the search keys are not made so: this never changes
    what a library holds).

    >>> same_party("省发改委\u200b", "省发改委"), same_party("Staff", "ＳＴＡＦＦ"), same_party("省政府", "省发改委")
    (True, True, False)
    """
    def seen(name: str) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFKC", name) if unicodedata.category(ch) not in _UNSEEN)
    return normalize(seen(a)).casefold() == normalize(seen(b)).casefold()


def unseen(text: str) -> tuple[int, str] | None:
    r"""The first format character of ``text`` (a character that shows nothing: zero width, joiner, direction
    mark, soft hyphen, tag), with its position; ``None`` when there is none. Tabs and line breaks are not
    format characters.

    >>> unseen("省发改委\u200b"), unseen("第一行\n第二行")
    ((4, '\u200b'), None)
    """
    for i, ch in enumerate(text):
        if unicodedata.category(ch) == "Cf":
            return i, ch
    return None
