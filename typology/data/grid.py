"""A table file's raw cells: CSV in any Korean encoding, or an XLSX sheet, as rows of text.

The layouts (``readers``) work on this grid, so they never depend on the file format.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import TypologyError

ENCODINGS = {"auto": None, "utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "cp949": "cp949",
             "euc-kr": "cp949", "euckr": "cp949", "ms949": "cp949"}


@dataclass
class Grid:
    """The cells of a file as text, with the line (CSV) or row (XLSX) each row starts on."""

    path: Path
    cells: list[list[str]]
    lines: list[int]
    encoding: str | None = None


def header_names(header: list[str], limit: int = 12, width: int = 24) -> str:
    """A header as quoted in an error: its names, each cut short, at most ``limit`` of them.

    The "header" of a file that is not a table (a password file, a binary dump) is a line of its
    contents; an error names what is wrong, and never prints a whole line of someone's file.
    """
    if len(header) <= 1:
        return "a single column (is the file a CSV table with a header row?)"
    names = [h if len(h) <= width else f"{h[: width - 1]}…" for h in map(str, header[:limit])]
    more = f" and {len(header) - limit} more" if len(header) > limit else ""
    return f"{len(header)} columns {names}{more}"


def decode(path: Path, data: bytes, encoding: str) -> tuple[str, str]:
    """Text of a CSV: the configured encoding, or BOM → UTF-8 → CP949 (EUC-KR's superset).

    UTF-8 is strict enough that Korean CP949 bytes almost never decode as UTF-8, so trying
    it first is a safe detection, and deterministic, unlike statistical guessers.
    """
    if encoding not in ENCODINGS:
        raise TypologyError(f"{path}: encoding {encoding!r} is not supported; expected one of "
                            f"{', '.join(sorted(ENCODINGS))}")
    chosen = ENCODINGS[encoding]
    candidates = [chosen] if chosen else (["utf-8-sig"] if data.startswith(b"\xef\xbb\xbf") else ["utf-8", "cp949"])
    for name in candidates:
        try:
            return data.decode(name), name
        except UnicodeDecodeError as exc:
            last = exc
    where = f"byte {last.start}"
    hint = "set encoding: utf-8 or cp949 for this table" if chosen is None else "check the table's encoding"
    raise TypologyError(f"{path}: cannot decode as {' or '.join(candidates)} ({where}); {hint}")


def read_grid(path: Path, encoding: str = "auto", sheet: Any = None) -> Grid:
    if not path.is_file():
        raise TypologyError(f"{path}: data file not found")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if path.suffix.lower() == ".xls":
        raise TypologyError(f"{path}: old .xls workbooks are not read; save it as .xlsx or CSV")
    text, used = decode(path, path.read_bytes(), encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    cells, lines, start = [], [], 1
    try:
        for row in reader:
            cells.append([c.strip() for c in row])
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise TypologyError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
    return Grid(path, cells, lines, used)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


# A workbook is a zip: 400 KB can unpack to millions of (empty) rows. Tables of 시군구 values are far
# smaller than these limits; anything larger is refused before it is read.
MAX_XLSX_BYTES = 50 * 2**20
MAX_XLSX_ROWS = 200_000


def _read_xlsx(path: Path, sheet: Any) -> Grid:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size > MAX_XLSX_BYTES:
        raise TypologyError(f"{path}: a workbook of {size / 2**20:.0f} MB; tables larger than "
                            f"{MAX_XLSX_BYTES // 2**20} MB are not read (save the sheet as CSV)")
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise TypologyError(f"{path}: reading XLSX needs the openpyxl package") from None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TypologyError(f"{path}: cannot read as an XLSX workbook ({type(exc).__name__})") from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(book.worksheets):
                raise TypologyError(f"{path}: sheet index {sheet} out of range (the workbook has "
                                    f"{len(book.worksheets)} sheets)")
            ws = book.worksheets[sheet]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise TypologyError(f"{path}: no sheet {sheet!r}; the workbook has {book.sheetnames}")
        declared = ws.max_row or 0
        if declared > MAX_XLSX_ROWS:
            raise TypologyError(f"{path}: the sheet declares {declared:,} rows; at most {MAX_XLSX_ROWS:,} are read "
                                "(delete the empty rows below the table, or save it as CSV)")
        cells, lines = [], []
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if number > MAX_XLSX_ROWS:
                raise TypologyError(f"{path}: the sheet has more than {MAX_XLSX_ROWS:,} rows; at most that many are "
                                    "read (delete the empty rows below the table, or save it as CSV)")
            cells.append([_cell_text(v) for v in row])
            lines.append(number)
    finally:
        book.close()
    return Grid(path, cells, lines, None)
