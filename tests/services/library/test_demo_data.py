"""Department files of synthetic data: layouts, encodings, determinism, declared mistakes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from jjjcredit.core.codes import uscc
from jjjcredit.core.library import synthetic, transforms
from jjjcredit.services.library import crosswalks, demo_data


def _read(path: Path, encoding: str) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig" if encoding.startswith("utf") else encoding)
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, demo_data.Manifest]:
    out = tmp_path_factory.mktemp("clean")
    return out, demo_data.write_demo_data(out, 6000, seed=5, mistake_rate=0)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, demo_data.Manifest]:
    out = tmp_path_factory.mktemp("dirty")
    return out, demo_data.write_demo_data(out, 6000, seed=5, mistake_rate=0.03)


def test_one_file_per_region_and_department_and_the_manifest_adds_up(clean):
    out, manifest = clean
    full = [f for f in manifest.files if f.kind == "full"]
    assert [f.source for f in full] == [p.source for p in demo_data.plan(6000, list(synthetic.REGIONS))]
    assert len(full) == 18
    assert sum(f.organizations for f in full) == 6000 == manifest.count
    data = json.loads((out / "manifest.json").read_text("utf-8"))
    assert data["rows"] == sum(f["rows"] for f in data["files"]) == manifest.rows
    assert data["mistakes"] == dict.fromkeys(demo_data.MISTAKE_KINDS, 0)
    for report in manifest.files:
        rows = _read(out / report.file, report.encoding)
        assert len(rows) - 1 == report.rows
    changes = [f for f in manifest.files if f.kind == "changes"]
    assert 0.02 < sum(f.rows for f in changes) / 6000 < 0.06


def test_department_mix_resembles_reality():
    plans = demo_data.plan(100_000, list(synthetic.REGIONS))
    share: dict[str, float] = {}
    for p in plans:
        share[p.department] = share.get(p.department, 0) + p.rows / 100_000
    assert 0.92 <= share["market-regulation"] <= 0.94
    assert share["institutional-establishment"] > share["civil-affairs"] > share["judicial-administration"]
    assert share["religious-affairs"] < 0.005


def test_files_use_the_layout_headers_and_encoding(clean):
    out, manifest = clean
    for report in manifest.files:
        crosswalk = crosswalks.load(report.source)
        raw = (out / report.file).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (crosswalk.encoding == "utf-8-sig")
        header = _read(out / report.file, crosswalk.encoding)[0]
        assert header == [c.header for c in demo_data.layout(crosswalk)]
        assert report.encoding == crosswalk.encoding


def test_every_value_reads_back_through_its_transform(clean):
    out, manifest = clean
    for report in manifest.files:
        crosswalk = crosswalks.load(report.source)
        columns = demo_data.layout(crosswalk)
        for row in _read(out / report.file, report.encoding)[1:]:
            assert len(row) == len(columns)
            for column, cell in zip(columns, row, strict=True):
                if cell:
                    transforms.TRANSFORMS[column.transform_name].apply(cell)
            code = row[[c.element for c in columns].index("uscc")]
            assert uscc.is_valid(code) and code[0] == crosswalk.department_code


def test_the_same_seed_writes_byte_identical_files(tmp_path, clean):
    out, manifest = clean
    again = demo_data.write_demo_data(tmp_path, 6000, seed=5, mistake_rate=0)
    assert [f.file for f in again.files] == [f.file for f in manifest.files]
    for report in manifest.files:
        assert (tmp_path / report.file).read_bytes() == (out / report.file).read_bytes(), report.file
    assert (tmp_path / "manifest.json").read_bytes() == (out / "manifest.json").read_bytes()


def test_any_number_of_processes_writes_the_same_files(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_data, "SEGMENT", 400)
    one = demo_data.write_demo_data(tmp_path / "one", 3000, seed=2, regions=["tianjin"], jobs=1)
    two = demo_data.write_demo_data(tmp_path / "two", 3000, seed=2, regions=["tianjin"], jobs=2)
    assert one.to_json() == two.to_json()
    for report in one.files:
        assert (tmp_path / "one" / report.file).read_bytes() == (tmp_path / "two" / report.file).read_bytes()
    assert not list((tmp_path / "one").glob(".*.part"))


def test_mistakes_are_there_as_declared(dirty, clean):
    out, manifest = dirty
    totals = manifest.mistakes()
    assert all(totals[k] > 0 for k in demo_data.MISTAKE_KINDS), totals
    assert 0.02 < (totals["code_typo"] + totals["impossible_date"] + totals["duplicate_row"]) / 6000 < 0.04
    mixed = [f for f in manifest.files if demo_data.MIXED_ENCODING in f.mistakes]
    assert len(mixed) == 1
    for report in manifest.files:
        if not report.mistakes:
            continue
        crosswalk = crosswalks.load(report.source)
        columns = demo_data.layout(crosswalk)
        encoding = demo_data._codec(report.encoding)
        lines = (out / report.file).read_bytes().split(b"\r\n")
        block = set(report.mistakes[demo_data.MIXED_ENCODING].rows) if report in mixed else set()
        other = demo_data._other_encoding(encoding)
        for number in block:  # written in the other encoding: not the same text in the file's own
            assert lines[number - 1].decode(encoding, errors="replace") != lines[number - 1].decode(other)
        for kind, log in report.mistakes.items():
            assert log.count == len(log.rows)  # small files: every row is listed
            for number in log.rows:
                line = lines[number - 1]
                text = line.decode(other if number in block else encoding)
                if kind == demo_data.CODE_TYPO:
                    cells = next(csv.reader([text]))
                    assert not uscc.is_valid(cells[[c.element for c in columns].index("uscc")])
                elif kind == demo_data.IMPOSSIBLE_DATE:
                    cells = next(csv.reader([text]))
                    dates = [cells[i] for i, c in enumerate(columns) if c.transform_name == "date" and cells[i]]
                    with pytest.raises(transforms.TransformError):
                        for cell in dates:
                            transforms.date(cell)
                elif kind == demo_data.DUPLICATE_ROW:
                    assert line in set(lines[1 : number - 1])
    # The organizations are the same with and without mistakes: a clean row is in the clean file.
    clean_out, clean_manifest = clean
    for report in clean_manifest.files:
        if report.kind == "changes":
            assert (clean_out / report.file).read_bytes() == (out / report.file).read_bytes()


def test_impossible_dates_in_every_style():
    import random

    for style in demo_data.DATE_STYLES:
        value = demo_data.impossible_date(style, 2023, random.Random(1))
        with pytest.raises(transforms.TransformError):
            transforms.date(value)


@pytest.mark.parametrize(("options", "code"), [
    ({"count": 0}, "usage.count"),
    ({"regions": ["shanghai"]}, "usage.regions"),
    ({"regions": []}, "usage.regions"),
    ({"mistake_rate": 0.9}, "usage.mistakes"),
    ({"jobs": 0}, "usage.jobs"),
])
def test_bad_options_are_refused(tmp_path, options, code):
    arguments: dict[str, object] = {"count": 10} | options
    with pytest.raises(demo_data.DemoDataError) as caught:
        demo_data.write_demo_data(tmp_path, **arguments)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_out_must_be_a_folder(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(demo_data.DemoDataError) as caught:
        demo_data.write_demo_data(target, 10)
    assert caught.value.code == "usage.out"


def test_a_failure_leaves_no_part_files(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
        yield

    monkeypatch.setattr(demo_data.synthetic, "organizations", broken)
    with pytest.raises(RuntimeError):
        demo_data.write_demo_data(tmp_path, 100)
    assert not list(tmp_path.glob(".*.part"))
