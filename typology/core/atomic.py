"""Writes that never leave a half-written file behind, and table text a spreadsheet cannot run.

Which files the tool may replace or remove, and the atomic run folder, are in ``ownership``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a frame is used: the command line starts without it
    import pandas as pd


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Line and field breaks become a space; every other control character (C0, C1) and the bidi
# controls that can make a cell read backwards are dropped.
_BREAKS = re.compile("[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]")


def cell_text(text: str) -> str:
    """``text`` for a spreadsheet cell or a CSV field: no control character that could split a row or
    hide a formula (``"\\r=cmd|..."`` would otherwise start a new row with a live formula)."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub("", _BREAKS.sub(" ", text)).strip()


def _formula_like(text: str) -> bool:
    if len(text) < 2 or not text.startswith(_FORMULA_START):
        return False
    try:
        float(text)  # "-3.5" is a number, and Excel reads it as one
    except ValueError:
        return True
    return False


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and header that a spreadsheet would run as a formula quoted.

    Text from configs and user tables (type names, reasons, raw cells) reaches the CSV files that
    people open in Excel; a cell such as ``=HYPERLINK(...)`` would run there. Following OWASP's
    rule for CSV injection, such a cell gets a leading apostrophe, which Excel shows as text.
    """
    import pandas as pd

    def quote(value: object) -> object:
        if not isinstance(value, str):
            return value
        value = cell_text(value)  # first, so that no control character hides a formula from the test
        return f"'{value}" if _formula_like(value) else value

    columns = [quote(c) if isinstance(c, str) else c for c in frame.columns]
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    if not text and columns == list(frame.columns):
        return frame
    out = frame.copy()
    for c in text:
        out[c] = out[c].map(quote)
    out.columns = columns
    return out


def write_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False) -> None:
    """CSV with '\\n' line ends and fixed float text, so equal tables are equal bytes.

    ``bom`` writes UTF-8 with a byte-order mark, which Excel needs to show Hangul. Cells that a
    spreadsheet would run as formulas are written as text (``spreadsheet_safe``).
    """
    with atomic_file(path) as tmp:
        spreadsheet_safe(frame).to_csv(tmp, index=False, encoding="utf-8-sig" if bom else "utf-8",
                                       lineterminator="\n", float_format="%.10g")
