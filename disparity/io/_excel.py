"""Workbooks: what a file really is, and its sheets as grids of cell values.

Excel 2007+ workbooks (.xlsx/.xlsm) are read with openpyxl, Excel 97-2003 workbooks (.xls, BIFF8)
with python-calamine (a maintained Rust reader, used through pandas for frames). A file is
identified by its first bytes, not its name: statistical websites often serve HTML pages or CSV
text under an ``.xls`` name, and a password-protected .xlsx is an OLE2 container like an .xls.
Whatever it is, a file that is not the workbook its name says gets a
:class:`~disparity.errors.DataFormatError` that says what it really is.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from ..errors import DataFormatError, SpecificationError

WORKBOOK_EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Bytes scanned for OLE2 directory entries (names are UTF-16LE); workbooks of tables are small.
_OLE2_SCAN_BYTES = 64 << 20


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def sniff(path: Path) -> tuple[str, str]:
    """(kind, description) of a file from its contents.

    ``kind`` is one of "xlsx", "xls", "encrypted", "ods", "zip", "ole2", "html", "xml-2003",
    "pdf", "text", "empty", "binary"; ``description`` says it in words for an error message.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
        if not head:
            return "empty", "an empty file (0 bytes)"
        if head.startswith(_OLE2):
            fh.seek(0)
            body = fh.read(_OLE2_SCAN_BYTES)
            if _utf16("EncryptedPackage") in body or _utf16("EncryptionInfo") in body:
                return "encrypted", "a password-protected (encrypted) Excel 2007+ workbook"
            if _utf16("Workbook") in body or _utf16("Book") in body:
                return "xls", "an Excel 97-2003 (.xls) workbook"
            if _utf16("WordDocument") in body:
                return "ole2", "a Word 97-2003 document"
            return "ole2", "an OLE2 compound file that holds no workbook"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return "zip", "a damaged or truncated ZIP container (an .xlsx workbook is one)"
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            return ("xlsx", "an Excel 2007+ (.xlsx) workbook") if "xl/workbook.xml" in names else (
                "zip", "an Excel binary (.xlsb) workbook, which is not supported; save it as .xlsx")
        if "content.xml" in names and "mimetype" in names:
            return "ods", "an OpenDocument spreadsheet (.ods); save it as .xlsx"
        if "word/document.xml" in names:
            return "zip", "a Word (.docx) document"
        return "zip", "a ZIP archive that holds no workbook"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text", "a UTF-16 text file (Excel's 'Unicode Text'); rename it to .csv or .txt"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"%pdf"):
        return "pdf", "a PDF document"
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head", b"<body")):
        return "html", ("an HTML page (what many websites' 'Excel' downloads really are); open it in "
                        "Excel or LibreOffice and save it as .xlsx")
    if text.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            return "xml-2003", "an Excel 2003 XML spreadsheet; open it in Excel and save it as .xlsx"
        return "binary", "an XML document, not a workbook"
    if b"\x00" not in head:
        return "text", "a text file (CSV or tab-separated); rename it to .csv"
    return "binary", "not a workbook of any known kind"


def check_workbook(path: Path) -> str:
    """The workbook kind ("xlsx" or "xls") of ``path``, or a DataFormatError saying what it is."""
    ext = path.suffix.lower()
    want = WORKBOOK_EXTENSIONS.get(ext)
    kind, what = sniff(path)
    if kind == want:
        return kind
    if kind == "encrypted":
        raise DataFormatError(
            f"{path}: the workbook is password-protected (encrypted), so its cells cannot be read. "
            "Open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
            "Password) and save a copy."
        )
    if kind in ("xlsx", "xls"):
        right = ".xlsx" if kind == "xlsx" else ".xls"
        raise DataFormatError(f"{path}: named {ext} but it is {what}; rename it to {right}.")
    if kind == "empty":
        raise DataFormatError(f"{path}: the file is empty (0 bytes); re-export or re-download it.")
    if kind == "zip" and want == "xlsx" and "damaged" in what:
        raise DataFormatError(f"{path}: not a readable .xlsx workbook: {what}. Re-download or re-save it.")
    raise DataFormatError(f"{path}: named {ext} but its contents are {what}.")


def _corrupt(path: Path, err: BaseException) -> DataFormatError:
    text = str(err).lower()
    if "password" in text or "encrypt" in text:
        return DataFormatError(
            f"{path}: the workbook is password-protected (encrypted), so its cells cannot be read. "
            "Remove the password in Excel and save a copy."
        )
    return DataFormatError(
        f"{path}: the workbook is damaged and cannot be read ({type(err).__name__}: {err}); it may be "
        "truncated. Re-download it, or open it in Excel and save a copy."
    )


def _pick(path: Path, names: list[str], sheet: str | int | None) -> int:
    if sheet is None:
        return 0
    if isinstance(sheet, bool) or not isinstance(sheet, (int, str)):
        raise SpecificationError(f"sheet= must be a sheet name or a 0-based position, not {sheet!r}.")
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise SpecificationError(f"{path}: sheet={sheet} does not exist; the workbook has sheets {names}.")
        return sheet
    if sheet not in names:
        raise SpecificationError(f"{path}: no sheet named {sheet!r}; the workbook has sheets {names}.")
    return names.index(sheet)


def sheet_names(path: Path) -> list[str]:
    kind = check_workbook(path)
    try:
        if kind == "xls":
            import python_calamine

            with python_calamine.CalamineWorkbook.from_path(str(path)) as wb:
                return list(wb.sheet_names)
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()
    except (DataFormatError, SpecificationError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as err:  # readers raise many unrelated types (and Rust panics) for damaged files
        raise _corrupt(path, err) from None


def read_grid(path: Path, sheet: str | int | None) -> tuple[list[list[Any]], str]:
    """All cells of one sheet (row-major, merged ranges filled with their top-left value) and its name."""
    kind = check_workbook(path)
    try:
        if kind == "xls":
            return _grid_xls(path, sheet)
        return _grid_xlsx(path, sheet)
    except (DataFormatError, SpecificationError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as err:  # readers raise many unrelated types (and Rust panics) for damaged files
        raise _corrupt(path, err) from None


def _grid_xlsx(path: Path, sheet: str | int | None) -> tuple[list[list[Any]], str]:
    from openpyxl import load_workbook

    wb = load_workbook(path, data_only=True, read_only=False)
    ws = wb.worksheets[_pick(path, wb.sheetnames, sheet)]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    for rng in ws.merged_cells.ranges:
        _fill(cells, rng.min_row - 1, rng.min_col - 1, rng.max_row - 1, rng.max_col - 1)
    return cells, ws.title


def _grid_xls(path: Path, sheet: str | int | None) -> tuple[list[list[Any]], str]:
    import python_calamine

    with python_calamine.CalamineWorkbook.from_path(str(path)) as wb:
        names = list(wb.sheet_names)
        ws = wb.get_sheet_by_index(_pick(path, names, sheet))
        rows = ws.to_python(skip_empty_area=False)
        merged = ws.merged_cell_ranges or []
        name = ws.name
    cells = [[None if v == "" else v for v in row] for row in rows]
    for (r0, c0), (r1, c1) in merged:
        _fill(cells, r0, c0, r1, c1)
    return cells, name


def _fill(cells: list[list[Any]], r0: int, c0: int, r1: int, c1: int) -> None:
    if r0 >= len(cells):
        return
    width = max(len(r) for r in cells)
    for r in range(r0, min(r1, len(cells) - 1) + 1):
        if len(cells[r]) < width:
            cells[r].extend([None] * (width - len(cells[r])))
    if c0 >= len(cells[r0]):
        return
    v = cells[r0][c0]
    for r in range(r0, min(r1, len(cells) - 1) + 1):
        for c in range(c0, min(c1, len(cells[r]) - 1) + 1):
            cells[r][c] = v


def read_frame(path: Path, sheet: str | int | None, columns: list[str] | None):
    """One sheet as a DataFrame (first row the header), through pandas."""
    import pandas as pd

    kind = check_workbook(path)
    names = sheet_names(path)
    pos = _pick(path, names, sheet)
    try:
        df = pd.read_excel(path, sheet_name=pos, engine="calamine" if kind == "xls" else "openpyxl")
    except (DataFormatError, SpecificationError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as err:  # readers raise many unrelated types (and Rust panics) for damaged files
        raise _corrupt(path, err) from None
    if columns is not None:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise SpecificationError(
                f"{path} [{names[pos]}]: columns {missing} are not in the sheet; it has "
                f"{[str(c) for c in df.columns][:12]}."
            )
        df = df[columns]
    return df, names[pos]
