"""Doctests run wherever they are written: every module of the package that holds an example lies
under a test path of the pytest configuration, with --doctest-modules on and no ignore covering it."""

from __future__ import annotations

import doctest
import fnmatch
import importlib
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "jjjcredit"


def _config() -> tuple[list[Path], list[str]]:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["pytest"]["ini_options"]
    args = shlex.split(options["addopts"])
    assert "--doctest-modules" in args
    ignored = [a.split("=", 1)[1] for a in args if a.startswith("--ignore-glob=")]
    ignored += [args[i + 1] for i, a in enumerate(args) if a == "--ignore-glob"]
    return [ROOT / p for p in options["testpaths"]], ignored


def _modules_with_examples() -> list[Path]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>>" not in path.read_text("utf-8"):
            continue
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        module = importlib.import_module(name)
        if any(t.examples for t in doctest.DocTestFinder().find(module)):
            found.append(path)
    return found


def test_every_module_with_examples_is_collected():
    paths, ignored = _config()
    modules = _modules_with_examples()
    assert any("services" in p.parts for p in modules), "examples outside core/ are expected too"
    missed = [str(m.relative_to(ROOT)) for m in modules
              if not any(m.is_relative_to(p) for p in paths)
              or any(fnmatch.fnmatch(str(m), g) for g in ignored)]
    assert not missed, f"doctests that never run: {missed}"


def test_the_only_ignored_module_is_alembics_environment():
    _, ignored = _config()
    matched = [p for p in PACKAGE.rglob("*.py") if any(fnmatch.fnmatch(str(p), g) for g in ignored)]
    assert [p.relative_to(PACKAGE).as_posix() for p in matched] == ["storage/migrations/env.py"]
