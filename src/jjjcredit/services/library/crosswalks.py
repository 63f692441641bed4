"""Finding and reading crosswalk files: the package defaults, or a deployment's own directory.

Package defaults live in ``jjjcredit/core/data/crosswalks/<region>-<department>.yaml``. A deployment
that has the departments' real layouts puts its edited copies in a directory (setting
``JJJCREDIT_CROSSWALKS_DIR``); a file there replaces the default of the same name, and a source
without one keeps the default.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from jjjcredit.core.library import crosswalks
from jjjcredit.core.library.crosswalks import Crosswalk, CrosswalkError

PACKAGE_DIRECTORY = "data/crosswalks"


def file_name(source: str) -> str:
    """``hebei/market-regulation`` → ``hebei-market-regulation.yaml``."""
    region, department = crosswalks.split_source(source)
    return f"{region}-{department}.yaml"


def sources() -> list[str]:
    """Every source id a crosswalk exists for, plus ``standard``."""
    return [crosswalks.STANDARD, *crosswalks.source_ids()]


def require_source(source: str, standard: bool = True) -> str:
    """``source`` when it is a known source (``standard`` too, unless ``standard`` is false), else
    :class:`CrosswalkError` ``crosswalk.source`` — the one refusal of an unknown source, for every
    command that takes one.

    >>> require_source("hebei/market-regulation")
    'hebei/market-regulation'
    >>> try:
    ...     require_source("hebei/tax")
    ... except CrosswalkError as exc:
    ...     print(exc.code, exc.message[:50])
    crosswalk.source Source "hebei/tax" is not known: expected standard
    """
    known = sources() if standard else crosswalks.source_ids()
    if source not in known:
        raise CrosswalkError("crosswalk.source", f'Source "{source}" is not known: expected '
                             + ("standard or one of " if standard else "one of ") + ", ".join(crosswalks.source_ids())
                             + ".", field="source")
    return source


def load(source: str, directory: Path | None = None) -> Crosswalk:
    """The crosswalk for ``source`` (``standard`` for the standard layout), from ``directory`` when
    it holds one, else the package default. Raises :class:`CrosswalkError`."""
    if require_source(source) == crosswalks.STANDARD:
        return crosswalks.standard()
    name = file_name(source)
    if directory is not None:
        if not directory.is_dir():
            raise CrosswalkError("crosswalk.directory", f"{directory}: the crosswalks directory does not exist "
                                 "(setting JJJCREDIT_CROSSWALKS_DIR); create it or unset the setting.")
        path = directory / name
        if path.is_file():
            return _checked(crosswalks.parse(_read(path), str(path)), source, str(path))
    packaged = resources.files("jjjcredit.core").joinpath(PACKAGE_DIRECTORY, name)
    origin = f"{PACKAGE_DIRECTORY}/{name}"
    return _checked(crosswalks.parse(packaged.read_text("utf-8"), origin), source, origin)


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise CrosswalkError("crosswalk.syntax", f"{path}: is not UTF-8 text; save the crosswalk as UTF-8.") from None
    except OSError as exc:
        raise CrosswalkError("crosswalk.directory", f"{path}: cannot be read ({exc.strerror}).") from None


def _checked(crosswalk: Crosswalk, source: str, origin: str) -> Crosswalk:
    if crosswalk.source != source:
        raise CrosswalkError("crosswalk.source", f'{origin}: says source "{crosswalk.source}" but is the file '
                             f'for "{source}"; correct the source line or the file name.')
    return crosswalk
