"""Load and validate the long variable tables (bundled and user-supplied).

Contract: columns code, year, variable, value, source_id; one row per (unit, year,
variable); numeric values; codes that resolve to a unit; variables the catalogue knows;
no negative counts. Every breach is an error naming the file, row and column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .catalog import Catalog
from .errors import TypologyError
from .units import RegionMatcher

COLUMNS = ["code", "year", "variable", "value", "source_id"]
MISSING_MARKERS = {"", "-", "…", "X", "NA", "nan"}


def read_variable_table(path: Path, catalog: Catalog, matcher: RegionMatcher) -> pd.DataFrame:
    if not path.is_file():
        raise TypologyError(f"{path}: data file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise TypologyError(f"{path}: cannot read as UTF-8 CSV ({exc})") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise TypologyError(f"{path}: missing columns {missing}; expected {COLUMNS}")
    known = set(catalog.variables)
    rows = frame.index + 2  # header is line 1
    unknown = ~frame["variable"].isin(known)
    if unknown.any():
        i = int(np.argmax(unknown.to_numpy()))
        raise TypologyError(f"{path}: row {rows[i]}, column variable: {frame['variable'].iat[i]!r} "
                            f"is not a variable of the catalogue {catalog.path}")
    units = frame["code"].map(matcher.match_code)
    if units.isna().any():
        i = int(np.argmax(units.isna().to_numpy()))
        raise TypologyError(f"{path}: row {rows[i]}, column code: {frame['code'].iat[i]!r} matches no unit "
                            f"(expected a 5-digit KOSTAT, 행정표준 or 10-digit 행정기관 code of a 자치단체)")
    year = pd.to_numeric(frame["year"], errors="coerce")
    bad_year = year.isna() | (year != year.round())
    if bad_year.any():
        i = int(np.argmax(bad_year.to_numpy()))
        raise TypologyError(f"{path}: row {rows[i]}, column year: {frame['year'].iat[i]!r} is not a whole year")
    text = frame["value"].str.strip()
    value = pd.to_numeric(text.where(~text.isin(MISSING_MARKERS)), errors="coerce")
    bad_value = value.isna() & ~text.isin(MISSING_MARKERS)
    if bad_value.any():
        i = int(np.argmax(bad_value.to_numpy()))
        raise TypologyError(f"{path}: row {rows[i]}, column value: {frame['value'].iat[i]!r} is not a number "
                            f"(missing values are written as empty, '-', '…' or 'X')")
    out = pd.DataFrame({"code": units, "year": year.astype(int), "variable": frame["variable"],
                        "value": value, "source_id": frame["source_id"], "row": rows})
    for variable, part in out.groupby("variable"):
        spec = catalog.variables.get(variable, {})
        if spec.get("unit") in ("persons", "count", "million KRW") and not spec.get("signed"):
            negative = part[part["value"] < 0]
            if not negative.empty:
                r = negative.iloc[0]
                raise TypologyError(f"{path}: row {r['row']}, column value: {variable} is {r['value']}, "
                                    f"but a {spec['unit']} count cannot be negative")
    dup = out.duplicated(["code", "year", "variable"], keep=False)
    if dup.any():
        r = out[dup].iloc[:2]
        raise TypologyError(f"{path}: rows {r['row'].tolist()}: {r['variable'].iat[0]} {r['year'].iat[0]} "
                            f"given twice for unit {r['code'].iat[0]}")
    return out


def combine(tables: list[pd.DataFrame], names: list[str]) -> pd.DataFrame:
    """Later tables may add variables or years, but never silently overwrite a value."""
    merged = pd.concat([t.assign(table=n) for t, n in zip(tables, names)], ignore_index=True)
    dup = merged.duplicated(["code", "year", "variable"], keep=False)
    if dup.any():
        r = merged[dup].iloc[:2]
        raise TypologyError(f"{r['table'].iat[1]}: row {r['row'].iat[1]}: {r['variable'].iat[0]} "
                            f"{r['year'].iat[0]} for unit {r['code'].iat[0]} is already given by {r['table'].iat[0]}")
    return merged.drop(columns=["row"])
