"""``jjjcredit demo-data`` end to end, and its files through ``jjjcredit records check``."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.cli import command


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return command.run_text(list(args), timeout=300)


def test_writes_files_and_a_summary(tmp_path):
    result = _run("demo-data", "--count", "500", "--out", str(tmp_path), "--seed", "3",
                  "--regions", "beijing,hebei")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "500 organizations" in result.stderr and "manifest.json" in result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert manifest["seed"] == 3 and manifest["regions"] == ["beijing", "hebei"]
    assert (tmp_path / "hebei-market-regulation.csv").exists()
    assert not (tmp_path / "tianjin-market-regulation.csv").exists()


@pytest.mark.parametrize(("args", "code"), [
    (["--count", "0"], "usage.count"),
    (["--count", "10", "--regions", "beijing,shanghai"], "usage.regions"),
    (["--count", "10", "--mistakes", "2"], "usage.mistakes"),
    (["--count", "10", "--jobs", "0"], "usage.jobs"),
])
def test_bad_options_exit_2_with_one_line(tmp_path, args, code):
    result = _run("demo-data", "--out", str(tmp_path / "out"), *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error [{code}]: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_out_that_is_a_file_exits_2(tmp_path):
    (tmp_path / "x").write_text("")
    result = _run("demo-data", "--count", "5", "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and result.stderr.startswith("error [usage.out]: ")


_SUMMARY = re.compile(r"([\d,]+) rows? read: ([\d,]+) valid, ([\d,]+) with warnings, ([\d,]+) rejected")


def _check(path: Path, source: str) -> tuple[int, int, int]:
    """(exit code, rows read, rows rejected) of ``records check``."""
    result = _run("records", "check", str(path), "--source", source)
    found = _SUMMARY.search(result.stderr)
    assert found, result.stderr
    return result.returncode, int(found[1].replace(",", "")), int(found[4].replace(",", ""))


@pytest.mark.slow
def test_clean_files_pass_the_records_check(tmp_path):
    assert _run("demo-data", "--count", "2000", "--out", str(tmp_path), "--mistakes", "0").returncode == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    for report in manifest["files"]:
        code, rows, rejected = _check(tmp_path / report["file"], report["source"])
        assert (code, rows, rejected) == (0, report["rows"], 0), report["file"]


@pytest.mark.slow
def test_rejected_rows_match_the_injected_mistakes(tmp_path):
    """Every injected mistake rejects its row, so the rejected count is the injected count less the
    rows that carry two mistakes: a typo, impossible date or duplicate that falls inside the
    mixed-encoding block is one rejected row (duplicates only copy rows outside that block, whose
    originals can be read). A typo can, rarely, look like a warning-only code to a checker; hence
    a small tolerance."""
    assert _run("demo-data", "--count", "8000", "--out", str(tmp_path), "--mistakes", "0.03").returncode == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    for report in manifest["files"]:
        if report["kind"] != "full":
            continue
        injected = sum(m["count"] for m in report["mistakes"].values())
        block = set(report["mistakes"].get("mixed_encoding", {}).get("rows", []))
        overlaps = sum(1 for kind, m in report["mistakes"].items() if kind != "mixed_encoding"
                       for row in m["rows"] if row in block)
        code, rows, rejected = _check(tmp_path / report["file"], report["source"])
        assert rows == report["rows"]
        expected = injected - overlaps
        assert expected - max(1, expected // 100) <= rejected <= expected, (report["file"], expected, rejected)
        assert code == (1 if rejected else 0)
