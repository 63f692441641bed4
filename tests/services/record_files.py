"""Writing record files the way departments send them, for the tests of readers and checks."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path
from xml.etree import ElementTree

from jjjcredit.core.codes import uscc


def code(seed: int = 1, region: str = "130102", department: str = "9") -> str:
    return uscc.generate(random.Random(seed), department, None, region)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8",
              delimiter: str = ",", newline: str = "\r\n") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]], title: str | None = None) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    if title is not None:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_jsonl(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    lines = [json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def write_xml(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    root = ElementTree.Element("records")
    for row in rows:
        record = ElementTree.SubElement(root, "record")
        for name, value in zip(header, row, strict=True):
            field = ElementTree.SubElement(record, "field", name=name)
            field.text = value
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "jsonl": write_jsonl, "xml": write_xml}
