"""Finding and reading crosswalk files (layouts): the package defaults, a deployment's own directory,
or one file a command is given.

Package defaults live in ``jjjcredit/core/data/crosswalks/<region>-<department>.yaml``. A deployment
that has the departments' real layouts puts its edited copies in a directory (setting
``JJJCREDIT_CROSSWALKS_DIR``); a file there replaces the default of the same name, and a source
without one keeps the default. A department with no shipped layout (``beijing/education``) is
described the same way — a file in that directory, or one given with ``--layout FILE`` — and
:func:`starter_layout` writes the first draft of it from one of its files' header.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from jjjcredit.core import limits as limits_
from jjjcredit.core.library import crosswalks
from jjjcredit.core.library.crosswalks import Crosswalk, CrosswalkError
from jjjcredit.services.tabular import readers

PACKAGE_DIRECTORY = "data/crosswalks"


def file_name(source: str) -> str:
    """``hebei/market-regulation`` → ``hebei-market-regulation.yaml``."""
    region, department = crosswalks.split_source(source)
    return f"{region}-{department}.yaml"


def sources(directory: Path | None = None) -> list[str]:
    """Every source id a crosswalk exists for, plus ``standard``: the shipped ones, then those only
    ``directory`` has (departments a deployment described itself), by name."""
    shipped = crosswalks.source_ids()
    extra: list[str] = []
    if directory is not None and directory.is_dir():
        for path in sorted(directory.glob("*.yaml")):
            region, _, department = path.stem.partition("-")
            source = f"{region}/{department}"
            if source not in shipped and region in crosswalks.REGIONS and department:
                extra.append(source)
    return [crosswalks.STANDARD, *shipped, *extra]


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
        other = (". Another department's files are read with a layout file of their own (the command "
                 "`jjjcredit records layout` writes a starter one from a file's header)")
        raise CrosswalkError("crosswalk.source", f'Source "{source}" is not known: expected '
                             + ("standard or one of " if standard else "one of ") + ", ".join(crosswalks.source_ids())
                             + (other if standard else "") + ".", field="source")
    return source


def load(source: str | None, directory: Path | None = None, layout: Path | None = None) -> Crosswalk:
    """The crosswalk for ``source`` (``standard`` for the standard layout): the file ``layout`` when
    given (``source``, if given too, must be the one it names), else from ``directory`` when it holds
    one, else the package default. Raises :class:`CrosswalkError`."""
    if layout is not None:
        crosswalk = crosswalks.parse(_read(layout, "crosswalk.file"), str(layout))
        if source is not None and source != crosswalk.source:
            raise CrosswalkError("crosswalk.source", f'--source "{source}" but the layout {layout} is for '
                                 f'"{crosswalk.source}": give the layout of that source, or leave --source out.',
                                 field="source")
        return crosswalk
    if source is None or source == crosswalks.STANDARD:
        return crosswalks.standard()
    crosswalks.split_source(source)
    name = file_name(source)
    if directory is not None:
        if not directory.is_dir():
            raise CrosswalkError("crosswalk.directory", f"{directory}: the crosswalks directory does not exist "
                                 "(setting JJJCREDIT_CROSSWALKS_DIR); create it or unset the setting.")
        path = directory / name
        if path.is_file():
            return _checked(crosswalks.parse(_read(path), str(path)), source, str(path))
    require_source(source)
    packaged = resources.files("jjjcredit.core").joinpath(PACKAGE_DIRECTORY, name)
    origin = f"{PACKAGE_DIRECTORY}/{name}"
    return _checked(crosswalks.parse(packaged.read_text("utf-8"), origin), source, origin)


def _read(path: Path, unreadable: str = "crosswalk.directory") -> str:
    try:
        return path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise CrosswalkError("crosswalk.syntax", f"{path}: is not UTF-8 text; save the crosswalk as UTF-8.") from None
    except OSError as exc:
        what = "the layout file" if unreadable == "crosswalk.file" else "the crosswalk"
        raise CrosswalkError(unreadable, f"{path}: {what} cannot be read ({exc.strerror}); expected a YAML layout "
                             "(`jjjcredit records layout` starts one).") from None


def starter_layout(path: str, source: str, limits: limits_.Limits = limits_.DEFAULT) -> str:
    """A starter layout for ``source`` from the header of the file ``path`` (any format records are
    read in): :func:`jjjcredit.core.library.crosswalks.starter`, recognizing the headers of the
    standard layout and of every shipped one."""
    crosswalks.split_source(source)
    known = [load(s) for s in crosswalks.source_ids()]
    with readers.open_table(path, limits=limits) as table:
        return crosswalks.starter(table.header, source, table.encoding or "utf-8", table.name, known)


def _checked(crosswalk: Crosswalk, source: str, origin: str) -> Crosswalk:
    if crosswalk.source != source:
        raise CrosswalkError("crosswalk.source", f'{origin}: says source "{crosswalk.source}" but is the file '
                             f'for "{source}"; correct the source line or the file name.')
    return crosswalk
