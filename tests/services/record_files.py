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


def swell_shared_string(path: Path, placeholder: str, size: int, char: str = "名") -> Path:
    """Rewrite an XLSX so that the cell holding ``placeholder`` refers to a shared string of ``size``
    copies of ``char``: Excel (and openpyxl) write at most 32,767 characters in a cell, a hostile file
    any number. The string is written a megabyte at a time and compresses to almost nothing."""
    import shutil
    import zipfile

    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    inline = f'<is><t>{placeholder}</t></is>'
    original = path.with_suffix(".orig.xlsx")
    shutil.move(path, original)
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item).decode("utf-8")
            if item.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(inline, 1)
                start = head.rindex('t="inlineStr"')
                data = head[:start] + 't="s"' + head[start + len('t="inlineStr"'):] + "<v>0</v>" + tail
            elif item.filename == "[Content_Types].xml":
                data = data.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace("</Relationships>", '<Relationship Id="rIdStrings" Type="http://schemas.'
                                    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                    'Target="sharedStrings.xml"/></Relationships>')
            out.writestr(item, data.encode("utf-8"))
        strings = zipfile.ZipInfo("xl/sharedStrings.xml")
        strings.compress_type = zipfile.ZIP_DEFLATED
        with out.open(strings, "w", force_zip64=True) as sink:
            sink.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{ns}" count="1" uniqueCount="1"><si><t>'
                       .encode())
            piece = (char * (1 << 20)).encode()
            left = size
            while left > 0:
                n = min(left, 1 << 20)
                sink.write(piece if n == 1 << 20 else (char * n).encode())
                left -= n
            sink.write(b"</t></si></sst>")
    original.unlink()
    return path


def swell_inline_string(path: Path, placeholder: str, size: int, char: str = "名") -> Path:
    """Rewrite an XLSX so that the inline cell holding ``placeholder`` holds ``size`` copies of ``char``
    instead, written a megabyte at a time (a hostile file: no spreadsheet program writes such a cell)."""
    import shutil
    import zipfile

    original = path.with_suffix(".orig.xlsx")
    shutil.move(path, original)
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, data)
                continue
            head, tail = data.split(placeholder.encode(), 1)
            sheet = zipfile.ZipInfo(item.filename)
            sheet.compress_type = zipfile.ZIP_DEFLATED
            with out.open(sheet, "w", force_zip64=True) as sink:
                sink.write(head)
                piece, left = (char * (1 << 20)).encode(), size
                while left > 0:
                    n = min(left, 1 << 20)
                    sink.write(piece if n == 1 << 20 else (char * n).encode())
                    left -= n
                sink.write(tail)
    original.unlink()
    return path
