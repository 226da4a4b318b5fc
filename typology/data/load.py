"""Load and validate the variable tables (bundled and user-supplied).

Each entry of ``data.tables`` is a path (a long CSV with columns code, year, variable, value,
source_id and KOSTAT codes, as bundled) or a mapping that says how to read the table: its
layout (long, wide, kosis), encoding, code system, variable mapping, year, reference date and
what to do with rows that match no unit (``specs`` checks these entries). See the README section
"Configs".

Contract of the result: one row per (unit, year, variable); numeric values; codes that
resolve to a unit; variables the catalogue knows; no negative counts; percentages that look
like percentages. Every breach is an error naming the file, row and column. Every input row is
matched, rolled up into a unit, or listed in unmatched.csv with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.catalog import Catalog
from ..errors import TypologyError, excerpt
from .matching import detect_code_system, match_rows, suggest_system
from .readers import TableOptions, read_tidy
from .rollup import AGGREGATE, COVERED, MATCHED, ROLLED_UP, UNMATCHED, roll_up
from .specs import TableSpec, check_variable, table_specs
from .units import RegionMatcher
from .values import check_units, parse_values, parse_years

__all__ = ["Loaded", "UnmatchedRowsError", "load_tables", "read_table", "read_variable_table"]

COLUMNS = ["code", "year", "variable", "value", "source_id"]
UNMATCHED_COLUMNS = ["table", "row", "column", "sido", "region", "code", "year", "variable", "value", "status",
                     "reason"]


class UnmatchedRowsError(TypologyError):
    """Rows that match no unit, in a table whose config says ``on_unmatched: error``.

    ``unmatched`` holds every row set aside (the content of unmatched.csv); the CLI writes it
    beside the run folder, because a failed run writes no run folder.
    """

    def __init__(self, summary: str, unmatched: pd.DataFrame) -> None:
        super().__init__(f"{summary}; the full list is in this error's .unmatched table")
        self.summary = summary
        self.unmatched = unmatched


@dataclass
class Loaded:
    variables: pd.DataFrame
    unmatched: pd.DataFrame
    accounting: list[dict[str, Any]]
    inputs: list[Path]


# ---- matching ----------------------------------------------------------------------------------

def read_table(spec: TableSpec, catalog: Catalog, matcher: RegionMatcher) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                    dict[str, Any]]:
    """One table → (unit values, rows set aside, accounting)."""
    opts = TableOptions(layout=spec.layout, encoding=spec.encoding, sheet=spec.sheet, columns=spec.columns,
                        variable=spec.variable, variables=spec.variables, year=spec.years,
                        source_id=spec.source_id or spec.path.stem, header_row=spec.header_row,
                        required=tuple(COLUMNS) if spec.legacy else (), known=frozenset(catalog.variables))
    tidy, grid = read_tidy(spec.path, opts, spec.key)
    ignored = list(tidy.attrs.get("ignored_columns", []))
    if spec.sido:
        if matcher.sido_code(spec.sido) is None:
            raise TypologyError(f"config key {spec.key}.sido: {spec.sido!r} is not a 시도 name; expected e.g. "
                                f"서울특별시, 서울 or Seoul")
        # bare 시군구 names: the table's 시도 stands where a row gives none
        tidy["sido"] = tidy["sido"].where(tidy["sido"].astype(str).str.strip() != "", spec.sido)
    value_col = spec.columns.get("variable", "variable")
    unknown = ~tidy["variable"].isin(set(catalog.variables))
    if unknown.any():
        i = int(np.argmax(unknown.to_numpy()))
        check_variable(tidy["variable"].iat[i], catalog, f"{spec.path}: row {tidy['line'].iat[i]}, column {value_col}")
    tidy["year_int"] = parse_years(tidy, spec)
    tidy["value_text"] = tidy["value"]
    tidy["value"] = parse_values(tidy, spec)
    check_units(tidy, catalog, spec)
    system = spec.code_system
    if system == "auto":
        system = detect_code_system([c for c in tidy["code"] if c], matcher, spec.path, spec.key)
    matched = match_rows(tidy, spec, matcher, system)
    _check_duplicates(matched, spec, matcher)
    rows = matched.rename(columns={"year": "year_text"}).assign(year=matched["year_int"])
    result = roll_up(rows, catalog, matcher, spec.vintage, spec.path)
    fates = result.fates
    aside = fates["status"].isin([UNMATCHED, AGGREGATE, COVERED])
    code_col = spec.columns.get("code", "code")
    region_col = spec.columns.get("region", "region")
    listed = pd.DataFrame({
        "table": str(spec.path), "row": rows["line"], "column": np.where(rows["code"] != "", code_col, region_col),
        "sido": rows["sido"], "region": rows["region"], "code": rows["code"], "year": rows["year_int"],
        "variable": rows["variable"], "value": rows["value_text"], "status": fates["status"],
        "reason": fates["reason"]})[aside]
    counts = fates["status"].value_counts().to_dict()
    accounting = {"table": str(spec.path), "layout": spec.layout, "encoding": grid.encoding or "xlsx",
                  "code_system": system if (tidy["code"] != "").any() else "names", "vintage": spec.vintage,
                  "rows": int(len(tidy)),
                  **{s: int(counts.get(s, 0)) for s in (MATCHED, ROLLED_UP, UNMATCHED, AGGREGATE, COVERED)}}
    if ignored:  # columns of a wide table that variables: does not name
        accounting["ignored_columns"] = ignored
    return result.values, listed.reset_index(drop=True), accounting


def _check_duplicates(matched: pd.DataFrame, spec: TableSpec, matcher: RegionMatcher) -> None:
    located = matched[matched["place_key"] != ""]
    dup = located.duplicated(["place_key", "year_int", "variable"], keep=False)
    if dup.any():
        first = located[dup].iloc[0]
        same = located[dup & (located["place_key"] == first["place_key"]) & (located["year_int"] == first["year_int"])
                       & (located["variable"] == first["variable"])]
        key = first["place_key"]
        label = matcher.place(key).label if not key.startswith(("sido:", "nation")) else key
        # The code as the table writes it (its own code system), never the KOSTAT key: 11110 is 종로구 as
        # 행정표준코드 but 노원구 as KOSTAT code.
        codes = sorted({c for c in same["code"] if c})
        who = f"{label} (code {', '.join(codes)} in the table)" if codes else label
        raise TypologyError(f"{spec.path}: rows {same['line'].tolist()[:2]}: {first['variable']} {first['year_int']} "
                            f"given twice for {who}")


# ---- all tables ----------------------------------------------------------------------------------

def load_tables(config: dict[str, Any], catalog: Catalog, matcher: RegionMatcher, bundled: Path) -> Loaded:
    specs = table_specs(config, catalog, bundled)
    values, listed, accounting = [], [], []
    for spec in specs:
        v, aside, acc = read_table(spec, catalog, matcher)
        values.append(v)
        listed.append(aside)
        accounting.append(acc)
    variables = combine(values, [str(s.path) for s in specs])
    unmatched = pd.concat([df for df in listed if len(df)] or [pd.DataFrame(columns=UNMATCHED_COLUMNS)],
                          ignore_index=True)[UNMATCHED_COLUMNS]
    stopping = [s for s in specs if s.on_unmatched == "error"]
    problems = unmatched[(unmatched["status"] == UNMATCHED) & unmatched["table"].isin([str(s.path) for s in stopping])]
    if len(problems):
        first = problems.iloc[:3]
        shown = "; ".join(f"row {r.row}, column {r.column}: {excerpt(r.code or r.region)} {r.reason}"
                          for r in first.itertuples())
        tables = sorted(set(problems["table"]))
        first_table = problems[problems["table"] == tables[0]]
        used = next((a["code_system"] for a in accounting if a["table"] == tables[0]), "kostat")
        hint = suggest_system(list(first_table["code"]), matcher, used)
        raise UnmatchedRowsError(
            f"{tables[0]}: {len(problems)} input row(s) not used (on_unmatched: error); first: {shown}{hint}. "
            f"Fix them, or set on_unmatched: warn to run without them", unmatched)
    return Loaded(variables, unmatched, accounting, [s.path for s in specs])


def table_gaps(variables: pd.DataFrame, tables: list[Path], unit_table: pd.DataFrame) -> pd.DataFrame:
    """Per user table and variable, the units of the run it gives no value for (none at all, or only missing)."""
    names = dict(zip(unit_table["code"], unit_table["sido_ko"] + " " + unit_table["name_ko"]))
    rows = []
    for table in map(str, tables):
        mine = variables[variables["table"] == table]
        for variable, part in mine.groupby("variable", sort=True):
            given = set(part.loc[part["value"].notna(), "code"])
            if lacking := [c for c in unit_table["code"] if c not in given]:
                rows.append({"table": table, "variable": variable, "n": len(lacking),
                             "units": "; ".join(names[c] for c in lacking)})
    return pd.DataFrame(rows, columns=["table", "variable", "n", "units"])


def gap_notes(gaps: pd.DataFrame, chosen: list[Any]) -> dict[str, str]:
    """Per dimension, the ``table_gaps`` of the variables its indicators read (coverage.csv ``user_table_gaps``)."""
    by_variable = {v: f"{v} ({Path(t).name}): {u}" for t, v, u in zip(gaps["table"], gaps["variable"], gaps["units"])}
    out: dict[str, list[str]] = {}
    for ind in chosen:
        for variable in sorted({r.variable for r in ind.refs()} & set(by_variable)):
            if by_variable[variable] not in out.setdefault(ind.dimension, []):
                out[ind.dimension].append(by_variable[variable])
    return {d: " | ".join(notes) for d, notes in out.items()}


def read_variable_table(path: Path, catalog: Catalog, matcher: RegionMatcher) -> pd.DataFrame:
    """The original contract: a long table with KOSTAT codes; any row that matches no unit is an error."""
    spec = TableSpec(path, str(path), code_system="kostat", legacy=True)
    values, aside, _ = read_table(spec, catalog, matcher)
    problems = aside[aside["status"] == UNMATCHED]
    if len(problems):
        r = problems.iloc[0]
        raise TypologyError(f"{path}: row {r['row']}, column {r['column']}: {excerpt(r['code'] or r['region'])} "
                            f"{r['reason']}{suggest_system(list(problems['code']), matcher, 'kostat')}")
    return values


def combine(tables: list[pd.DataFrame], names: list[str]) -> pd.DataFrame:
    """Later tables may add variables or years, but never silently overwrite a value."""
    merged = pd.concat([t.assign(table=n) for t, n in zip(tables, names)], ignore_index=True)
    dup = merged.duplicated(["code", "year", "variable"], keep=False)
    if dup.any():
        r = merged[dup].iloc[:2]
        raise TypologyError(f"{r['table'].iat[1]}: row {r['row'].iat[1]}: {r['variable'].iat[0]} "
                            f"{r['year'].iat[0]} for unit {r['code'].iat[0]} is already given by {r['table'].iat[0]}")
    return merged.drop(columns=["row"])
