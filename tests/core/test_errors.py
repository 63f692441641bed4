"""The one error model: every code in the table has a status and an exit code, every exception class
of the platform derives from the base error, and every code the code raises is in the table."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import jjjcredit
from jjjcredit.core import errors
from jjjcredit.core.errors import ERROR_CODES, Error, ErrorCode

SRC = Path(jjjcredit.__file__).parent


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(jjjcredit.__path__, "jjjcredit.")]
    # migration scripts are run by Alembic, not imported
    return [n for n in names if ".migrations" not in n and n != "jjjcredit.__main__"]


def test_every_code_has_a_status_and_an_exit_code():
    assert ERROR_CODES, "the table is empty"
    for code, entry in ERROR_CODES.items():
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", code), code
        assert isinstance(entry, ErrorCode), code
        assert 400 <= entry.http_status <= 599, (code, entry.http_status)
        assert entry.exit_code in (1, 2, 3, 130), (code, entry.exit_code)
        assert entry.meaning.strip().endswith("."), code


@pytest.mark.parametrize(("code", "status", "exit_code"), [
    ("uscc.checksum", 400, 1),  # the data was judged: invalid
    ("library.not_found", 404, 1),
    ("crosswalk.source", 400, 2),  # the input cannot be used
    ("request.invalid", 422, 2),
    ("request.bad_characters", 400, 2),
    ("access.rate_limited", 429, 1),
    ("db.schema_behind", 503, 2),
    ("interrupted", 503, 130),
    ("internal", 500, 3),  # never taken for "some rows were rejected"
])
def test_statuses_and_exit_codes_come_from_the_table(code: str, status: int, exit_code: int):
    assert (errors.http_status(code), errors.exit_code(code)) == (status, exit_code)


def test_every_exception_class_of_the_platform_derives_from_the_base_error():
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                found[f"{name}.{cls.__qualname__}"] = cls
    # the classes the adapters used to catch one by one, and the web's own
    for expected in ("ReconcileError", "ClientError", "SearchError", "InputFileError", "LibraryError",
                     "DemoDataError", "SchemaBehind", "RedisUnavailable", "ForeignKeysBroken", "LayoutError",
                     "EvidenceError", "TransformError", "CrosswalkError", "ApiError", "IdentifierError"):
        assert any(key.endswith("." + expected) for key in found), expected
    outside = sorted(key for key, cls in found.items() if not issubclass(cls, Error))
    assert outside == [], f"derive these from jjjcredit.core.errors.Error: {outside}"


def test_every_code_raised_or_printed_is_in_the_table():
    pattern = re.compile(r'(?:Error|ApiError|Broken|fail|error|warning)\(\s*"([a-z_]+(?:\.[a-z_]+)?)"')
    used: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for code in pattern.findall(path.read_text("utf-8")):
            used.setdefault(code, str(path.relative_to(SRC)))
    assert len(used) > 40, "the pattern no longer finds the codes"
    missing = {code: where for code, where in used.items() if code not in ERROR_CODES}
    assert missing == {}, missing


def test_a_subclass_keeps_its_signature_and_carries_where():
    from jjjcredit.services.library.search import SearchError
    from jjjcredit.services.sharing.reconcile import ReconcileError

    e = SearchError("search.bad_limit", "The limit is 0: expected 1 to 100.", "limit")
    assert isinstance(e, Error) and (e.code, e.field, e.row, e.position) == ("search.bad_limit", "limit", None, None)
    r = ReconcileError("queries is not an object.")
    assert (r.code, r.field, r.message) == ("reconcile.bad_queries", "queries", "queries is not an object.")
