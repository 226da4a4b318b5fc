"""Read a user table (CSV in any Korean encoding, or XLSX) into tidy text rows.

Three layouts are understood (``layout:`` in the table's config entry):

- ``long``: one row per region, year and variable (columns code/region, year, variable, value);
- ``wide``: one row per region (and year), one column per variable, or one column per year;
- ``kosis``: a KOSIS download: title rows, one or two header rows (years and/or items, with
  units in parentheses), a 시점 column or year columns, region cells such as
  ``서울특별시 종로구`` (or a 시도 row followed by bare 시군구 names), optional code column,
  and note rows at the bottom.

Every layout ends in the same ``Tidy`` frame of text cells with the file line (or sheet row)
of each value, so matching and validation never depend on the layout.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.registry import Registry
from ..errors import TypologyError, excerpt
from .grid import Grid, header_names, read_grid

TIDY_COLUMNS = ["line", "sido", "region", "code", "year", "variable", "value", "column", "unit_hint", "source_id"]
REGION_HEADER = re.compile(r"행정구역|시군구|시·군·구|시도|지역|자치단체|행정기관|지자체|region", re.IGNORECASE)
CODE_HEADER = re.compile(r"코드|code", re.IGNORECASE)
PERIOD_HEADER = re.compile(r"^(시점|연도|년도|기준연도|기준년도|year|period)$", re.IGNORECASE)
ITEM_HEADER = re.compile(r"^(항목|item|variable)$", re.IGNORECASE)
YEAR_TEXT = re.compile(r"^\s*((?:19|20)\d\d)\s*(?:년|\.|-|/|$|\s)")
NOTE_ROW = re.compile(r"^\s*(주\s*[:)\d]|주석|자료\s*[:：]|출처|※|\*|note|source)", re.IGNORECASE)
UNIT_IN_HEADER = re.compile(r"[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$")


@dataclass
class TableOptions:
    """What the config says about one table (see specs.TableSpec for the keys)."""

    layout: str = "long"
    encoding: str = "auto"
    sheet: Any = None
    columns: dict[str, str] = field(default_factory=dict)
    variable: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    year: list[int] | None = None
    source_id: str = ""
    header_row: int | None = None
    required: tuple[str, ...] = ()
    known: frozenset[str] = frozenset()


# ---- layouts ------------------------------------------------------------------------------

Layout = Callable[[Grid, TableOptions], pd.DataFrame]
LAYOUTS: Registry[Layout] = Registry("table layout")


def _rectangular(grid: Grid) -> list[list[str]]:
    width = max((len(r) for r in grid.cells), default=0)
    # the rows are only read, never changed: rows of full width need no copy
    return [r if len(r) == width else r + [""] * (width - len(r)) for r in grid.cells]


def _is_empty(row: list[str]) -> bool:
    # every cell blank: the joined cells are all white space exactly when each cell is
    return not "".join(row).strip()


def _config_year(opts: TableOptions, path: Path) -> str:
    """A table without year cells holds the config's year, when it names exactly one (blank cells stay blank)."""
    if opts.year and len(opts.year) > 1:
        raise TypologyError(f"{path}: the table has no year column or year headers, and the config gives several "
                            f"years {opts.year}; add a year column, or give the one year it holds")
    return str(opts.year[0]) if opts.year else ""


def year_of(text: str) -> int | None:
    match = YEAR_TEXT.match(str(text))
    return int(match.group(1)) if match else None


def split_unit(header: str) -> tuple[str, str]:
    """``자원봉사자수 (명)`` → (``자원봉사자수``, ``명``)."""
    match = UNIT_IN_HEADER.search(header)
    if not match:
        return header.strip(), ""
    return header[: match.start()].strip(), match.group(1).strip()


def _column(header: list[str], name: str, path: Path, key: str, required: bool) -> int | None:
    if name in header:
        return header.index(name)
    if required:
        raise TypologyError(f"{path}: no column {name!r} (config key {key}); the header has {header_names(header)}")
    return None


def _tidy(records: list[dict[str, Any]]) -> pd.DataFrame:
    return _typed(pd.DataFrame.from_records(records, columns=TIDY_COLUMNS))


def _tidy_columns(columns: dict[str, list[Any]]) -> pd.DataFrame:
    """``_tidy`` of the records whose cells ``columns`` holds column by column (the same frame)."""
    return _typed(pd.DataFrame(columns, columns=TIDY_COLUMNS) if columns["line"] else
                  pd.DataFrame.from_records([], columns=TIDY_COLUMNS))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for col in TIDY_COLUMNS:
        if col != "line":
            frame[col] = frame[col].fillna("").astype(str)
    frame["line"] = frame["line"].astype(int)
    return frame


def _variable_for(item: str, opts: TableOptions) -> str | None:
    """The catalogue variable a column or item names: mapped, a catalogue key, or the table's one.

    ``""`` means the user mapped the column to null on purpose (left out); None means unmapped.
    """
    base, _ = split_unit(item)
    for text in (item, base):
        if text in opts.variables:
            return opts.variables[text] or ""
    for text in (item, base):
        if text in opts.known:
            return text
    if opts.variable and not opts.variables:
        return opts.variable
    return None


def _first_header_row(rows: list[list[str]], opts: TableOptions) -> int:
    if opts.header_row is not None:
        if not 1 <= opts.header_row <= len(rows):
            raise TypologyError(f"header_row {opts.header_row} is outside the table (1..{len(rows)})")
        return opts.header_row - 1
    for i, row in enumerate(rows):
        if not _is_empty(row):
            return i
    return 0


@LAYOUTS.register("long")
def long_layout(grid: Grid, opts: TableOptions) -> pd.DataFrame:
    rows = _rectangular(grid)
    if not rows:
        raise TypologyError(f"{grid.path}: the table is empty")
    h = _first_header_row(rows, opts)
    header = rows[h]
    names = {"code": "code", "region": "region", "sido": "sido", "year": "year", "variable": "variable",
             "value": "value", "source_id": "source_id", "unit": "unit", **opts.columns}
    if opts.required:
        missing = [c for c in opts.required if names[c] not in header]
        if missing:
            raise TypologyError(f"{grid.path}: missing columns {missing}; expected {list(opts.required)}")
    idx = {k: (header.index(v) if v in header else None) for k, v in names.items()}
    if idx["code"] is None and idx["region"] is None:
        raise TypologyError(f"{grid.path}: no region column: name a 'code' or 'region' column "
                            f"(config key columns.code / columns.region); the header has {header_names(header)}")
    if idx["value"] is None:
        raise TypologyError(f"{grid.path}: no column {names['value']!r} (config key columns.value); "
                            f"the header has {header_names(header)}")
    if idx["variable"] is None and not opts.variable:
        raise TypologyError(f"{grid.path}: no column {names['variable']!r}; add it or set variable: for the table")
    if idx["year"] is None and not opts.year:
        raise TypologyError(f"{grid.path}: no column {names['year']!r}; add it or set year: for the table")
    body = [(line, row) for line, row in zip(grid.lines[h + 1:], rows[h + 1:]) if not _is_empty(row)]

    def cells(key: str) -> list[str]:
        i = idx[key]
        return [row[i] for _, row in body] if i is not None else [""] * len(body)

    if idx["year"] is not None:
        years = cells("year")
    else:
        years = [_config_year(opts, grid.path)] * len(body) if body else []
    variables = [opts.variables.get(raw, raw) if raw else (opts.variable or "") for raw in cells("variable")]
    return _tidy_columns({"line": [line for line, _ in body], "sido": cells("sido"), "region": cells("region"),
                          "code": cells("code"), "year": years, "variable": variables, "value": cells("value"),
                          "column": [names["value"]] * len(body), "unit_hint": cells("unit"),
                          "source_id": [c or opts.source_id for c in cells("source_id")]})


def _key_columns(header: list[str], opts: TableOptions) -> dict[str, list[int]]:
    """Which columns name the region (one or two levels), its code, the period and the item."""
    named = {k: header.index(v) for k, v in opts.columns.items() if v in header}
    out: dict[str, list[int]] = {"region": [], "code": [], "year": [], "item": [], "sido": []}
    for key in ("region", "code", "year", "sido"):
        if key in named:
            out[key] = [named[key]]
    if "item" in named or "variable" in named:
        out["item"] = [named.get("item", named.get("variable"))]
    taken = {i for v in out.values() for i in v}
    for i, text in enumerate(header):
        if i in taken or not text:
            continue
        if not out["code"] and CODE_HEADER.search(text):
            out["code"].append(i)
        elif "region" not in named and REGION_HEADER.search(text) and not year_of(text):
            out["region"].append(i)
        elif not out["year"] and PERIOD_HEADER.match(text):
            out["year"].append(i)
        elif not out["item"] and ITEM_HEADER.match(text):
            out["item"].append(i)
    if len(out["region"]) >= 2 and not out["sido"]:  # 행정구역별(1), 행정구역별(2): 시도 then 시군구
        out["sido"], out["region"] = out["region"][:1], out["region"][-1:]
    return out


def _header_block(rows: list[list[str]], start: int, keys: dict[str, list[int]]) -> int:
    """How many rows the header spans: KOSIS puts years on one row and items or units below."""
    region = keys["region"][0] if keys["region"] else (keys["code"][0] if keys["code"] else 0)
    key_cols = {i for v in keys.values() for i in v}
    end = start + 1
    while end < len(rows):
        row = rows[end]
        values = [c for i, c in enumerate(row) if i not in key_cols and c]
        same_key = row[region] in ("", rows[start][region])
        if same_key and values and not any(_numberish(c) for c in values):
            end += 1
        else:
            break
    return end


def _numberish(text: str) -> bool:
    return bool(re.fullmatch(r"-?[\d,]+(\.\d+)?", text.strip())) and year_of(text) is None


@LAYOUTS.register("wide")
def wide_layout(grid: Grid, opts: TableOptions) -> pd.DataFrame:
    # A wide table read for a few of its columns: those variables: names are taken, the rest are
    # ignored (listed in the tidy frame's attrs["ignored_columns"] for the run's log).
    return _grid_layout(grid, opts, find_header=False, take_named=bool(opts.variables))


@LAYOUTS.register("kosis")
def kosis_layout(grid: Grid, opts: TableOptions) -> pd.DataFrame:
    return _grid_layout(grid, opts, find_header=True)


def _looks_like_header(row: list[str], opts: TableOptions) -> bool:
    """A header row has several cells, one naming the region column (a title row has one cell)."""
    cells = [c for c in row if c]
    if len(cells) < 2:
        return False
    return any(c in opts.columns.values() for c in cells) or any(
        len(c) <= 30 and REGION_HEADER.search(c) for c in cells)


def _grid_layout(grid: Grid, opts: TableOptions, find_header: bool, take_named: bool = False) -> pd.DataFrame:
    rows = _rectangular(grid)
    if not rows:
        raise TypologyError(f"{grid.path}: the table is empty")
    start = _header_start(grid, rows, opts, find_header)
    keys = _key_columns(rows[start], opts)
    if not keys["region"] and not keys["code"]:
        raise TypologyError(f"{grid.path}: line {grid.lines[start]}: no region column in the header "
                            f"({header_names(rows[start])}); set columns.region (or columns.code)")
    end = _header_block(rows, start, keys)
    columns = _value_columns(grid, rows, start, end, keys)
    items = sorted({split_unit(item)[0] for _, _, item, _, _ in columns if item})
    if opts.variable and not opts.variables and len(items) > 1:
        raise TypologyError(f"{grid.path}: the table has several item columns {items}; map each to a catalogue "
                            f"variable under variables: (null leaves one out) instead of one variable:")
    records, ignored = _records(grid, opts, rows, end, keys, columns, take_named)
    if not records and ignored:
        raise TypologyError(f"{grid.path}: none of the columns named under variables: "
                            f"({', '.join(map(repr, opts.variables))}) is in the header {header_names(rows[start])}")
    if not records:
        raise TypologyError(f"{grid.path}: no data rows below the header (line {grid.lines[start]})")
    tidy = _tidy(records)
    tidy.attrs["ignored_columns"] = list(ignored)
    return tidy


def _header_start(grid: Grid, rows: list[list[str]], opts: TableOptions, find_header: bool) -> int:
    """The header's first row: a KOSIS download has title rows above it, unless header_row: says where it is."""
    start = _first_header_row(rows, opts)
    if find_header and opts.header_row is None:
        found = next((i for i, r in enumerate(rows[:40]) if _looks_like_header(r, opts)), None)
        if found is None:
            raise TypologyError(f"{grid.path}: no header row found in the first 40 rows (a cell such as "
                                f"'행정구역별' or '시군구별'); set header_row: or columns.region")
        start = found
    return start


# A value column: its index, year from the header, item text, unit and label (its header cells joined)
ValueColumn = tuple[int, int | None, str, str, str]


def _value_columns(grid: Grid, rows: list[list[str]], start: int, end: int,
                   keys: dict[str, list[int]]) -> list[ValueColumn]:
    key_cols = {i for v in keys.values() for i in v}
    value_cols = [i for i in range(len(rows[start])) if i not in key_cols
                  and any(rows[r][i] for r in range(start, end))]
    if not value_cols:
        raise TypologyError(f"{grid.path}: line {grid.lines[start]}: no value columns beside the region, "
                            f"code and period columns")
    columns = []
    for i in value_cols:
        texts = [rows[r][i] for r in range(start, end) if rows[r][i]]
        years = [year_of(t) for t in texts if year_of(t)]
        items = [t for t in texts if not year_of(t)]
        item = items[-1] if items else ""
        name, unit = split_unit(item)
        if not unit:  # the unit may sit on a header row above the item's own
            unit = next((split_unit(t)[1] for t in items if split_unit(t)[1]), "")
        columns.append((i, years[0] if years else None, item, unit, " / ".join(texts)))
    return columns


def _records(grid: Grid, opts: TableOptions, rows: list[list[str]], end: int, keys: dict[str, list[int]],
             columns: list[ValueColumn], take_named: bool) -> tuple[list[dict[str, Any]], dict[str, None]]:
    """The data rows below the header as tidy records, and the columns left out as not named (in order)."""
    records = []
    ignored: dict[str, None] = {}
    last_sido = ""
    for line, row in zip(grid.lines[end:], rows[end:]):
        if _is_empty(row):
            continue
        first = next(c for c in row if c)
        if NOTE_ROW.match(first) and not any(_numberish(row[i]) for i, *_ in columns):
            continue  # footnotes and source lines under the table
        sido = row[keys["sido"][0]] if keys["sido"] else ""
        if keys["sido"]:
            sido = sido or last_sido  # merged cells: the 시도 is written once for its block
            last_sido = sido
        region = row[keys["region"][0]] if keys["region"] else ""
        code = row[keys["code"][0]] if keys["code"] else ""
        row_year = row[keys["year"][0]] if keys["year"] else ""
        row_item = row[keys["item"][0]] if keys["item"] else ""
        for i, header_year, item, unit, label in columns:
            if not row[i]:
                continue  # a blank cell of a grid is no data row ('-', '…', 'X' are: missing values)
            year = row_year if keys["year"] else (str(header_year) if header_year else _config_year(opts, grid.path))
            source = row_item or item
            variable = _variable_for(source, opts) if source else (opts.variable or "")
            if variable is None and take_named and not row_item:
                ignored[label] = None
                continue
            if variable is None:
                raise TypologyError(
                    f"{grid.path}: line {line}: column {excerpt(label)} (item {excerpt(source)}) is not mapped to a "
                    f"catalogue variable; add it under variables: {{'{split_unit(source)[0]}': <variable>}} "
                    f"(or null to leave it out), or set variable: when the table holds one")
            if variable == "":
                continue  # mapped to "" on purpose: a column the user chose to leave out
            unit_hint = unit if not row_item else split_unit(row_item)[1]
            records.append({"line": line, "sido": sido, "region": region, "code": code, "year": year,
                            "variable": variable, "value": row[i], "column": label, "unit_hint": unit_hint,
                            "source_id": opts.source_id})
    return records, ignored


def read_tidy(path: Path, opts: TableOptions, key: str) -> tuple[pd.DataFrame, Grid]:
    grid = read_grid(path, opts.encoding, opts.sheet)
    layout = LAYOUTS.get(opts.layout, f"{key}.layout")
    return layout(grid, opts), grid
