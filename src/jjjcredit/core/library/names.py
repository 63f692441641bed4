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
