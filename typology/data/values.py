"""A table's cells as values: numbers and years parsed, units and signs checked, with file, row and column.

Every check here stops the run with one line naming where the problem is, because a value that
slipped through (an ``inf``, a ratio where the catalogue says %, a negative count) would become a
silent missing value or a wrong score further on.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..core.catalog import Catalog
from ..errors import TypologyError, excerpt
from .readers import year_of
from .specs import TableSpec

MISSING_MARKERS = {"", "-", "…", "...", "X", "NA", "nan"}
COUNT_UNITS = ("persons", "count", "million KRW")
PERCENT_HINTS = {"%", "퍼센트", "percent", "％"}
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_values(tidy: pd.DataFrame, spec: TableSpec) -> pd.Series:
    text = tidy["value"].str.strip()
    missing = text.isin(MISSING_MARKERS)
    clean = text.where(~text.str.match(THOUSANDS), text.str.replace(",", "", regex=False))
    value = pd.to_numeric(clean.where(~missing), errors="coerce")
    bad = value.isna() & ~missing
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise TypologyError(f"{spec.path}: row {tidy['line'].iat[i]}, column {tidy['column'].iat[i]}: "
                            f"{excerpt(tidy['value'].iat[i])} is not a number (missing values are written as empty, "
                            f"'-', '…' or 'X')")
    value = value.astype(float)
    with np.errstate(over="ignore"):
        scaled = value * spec.multiply
    # "inf", "1e400" (parsed as inf) or a value that overflows once multiplied would become a
    # missing value further on: stop here, where the file, row and column are known.
    infinite = ~np.isfinite(scaled) & ~missing
    if infinite.any():
        i = int(np.argmax(infinite.to_numpy()))
        extra = f" once multiplied by {spec.multiply:g} (multiply:)" if np.isfinite(value.iat[i]) else ""
        raise TypologyError(f"{spec.path}: row {tidy['line'].iat[i]}, column {tidy['column'].iat[i]}: "
                            f"{excerpt(tidy['value'].iat[i])} is not a finite number{extra}")
    return scaled


def parse_years(tidy: pd.DataFrame, spec: TableSpec) -> pd.Series:
    strict = spec.layout == "long"
    years = []
    parsed: dict[str, int | None] = {}  # a table writes its few years thousands of times: each is read once
    for line, cell in zip(tidy["line"].tolist(), tidy["year"].tolist()):
        if cell in parsed:
            year = parsed[cell]
        else:
            text = str(cell).strip()
            year = parsed[cell] = (int(float(text)) if re.fullmatch(r"\d{4}(\.0+)?", text) else None) if strict \
                else year_of(text)
        if year is None:
            col = "year" if strict else "시점"
            raise TypologyError(f"{spec.path}: row {line}, column {col}: {excerpt(str(cell).strip())} is not a "
                                f"whole year")
        if spec.years is not None and year not in spec.years:
            raise TypologyError(f"{spec.path}: row {line}: year {year}, but the config says {spec.key}.year: "
                                f"{spec.years if len(spec.years) > 1 else spec.years[0]} for this table")
        years.append(year)
    absent = sorted(set(spec.years or []) - set(years))
    if absent and years:
        raise TypologyError(f"{spec.path}: config key {spec.key}.year says the table holds {spec.years}, but it has "
                            f"no row for {absent} (it holds {sorted(set(years))})")
    return pd.Series(years, index=tidy.index, dtype=int)


def count_words(unit: str) -> str:
    return "a count" if unit == "count" else f"a count ({unit})"


def _by_variable(tidy: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """The row positions of each variable, the variables sorted (``groupby`` without its frames)."""
    return sorted(tidy.groupby("variable", sort=True).indices.items())


def check_units(tidy: pd.DataFrame, catalog: Catalog, spec: TableSpec) -> None:
    value = tidy["value"].to_numpy(dtype=float)
    lines, columns, unit_hints = tidy["line"].tolist(), tidy["column"].tolist(), tidy["unit_hint"].tolist()
    for variable, rows in _by_variable(tidy):
        vspec = catalog.variables[variable]
        unit = str(vspec.get("unit"))
        part = value[rows]
        values = part[~np.isnan(part)]
        hints = {unit_hints[i] for i in rows if unit_hints[i]}
        where = f"{spec.path}: column {excerpt(columns[rows[0]])}"
        if (unit in COUNT_UNITS or unit == "%") and not vspec.get("signed"):
            negative = np.flatnonzero(part < 0)
            if len(negative):
                r = rows[negative[0]]
                what = count_words(unit) if unit in COUNT_UNITS else f"a share ({unit})"
                raise TypologyError(f"{spec.path}: row {lines[r]}, column {columns[r]}: {variable} is "
                                    f"{value[r]:g}, but {what} cannot be negative (the catalogue does not "
                                    f"mark {variable} signed: true)")
        if unit == "%":
            if hints and not hints & PERCENT_HINTS:
                raise TypologyError(f"{where}: unit {excerpt(sorted(hints)[0])}, but {variable} is a percentage (%) in "
                                    f"the catalogue")
            if len(values) >= 3 and 0 < values.max() <= 1:
                raise TypologyError(f"{where}: {variable} values look like ratios (all between 0 and "
                                    f"{values.max():g}), but the catalogue gives {variable} in %; multiply by 100 "
                                    f"(set multiply: 100 for this table)")
        elif hints & PERCENT_HINTS:
            raise TypologyError(f"{where}: the column is in %, but {variable} is in {unit} in the catalogue")
        elif unit.startswith("flag") or unit in ("ratio", "share"):
            top = 1
            if len(values) and values.max() > top:
                kind = "percentages" if values.max() <= 100 else "neither ratios nor flags"
                raise TypologyError(f"{where}: {variable} values look like {kind} (largest {values.max():g}), but "
                                    f"the catalogue gives {variable} as {unit} between 0 and 1")
    check_ranges(tidy, catalog, spec)


def declared_range(vspec: dict) -> tuple[float | None, float | None, bool, str] | None:
    """(lowest, highest, whole 0/1 only, in words) that a variable's values must keep; None: no bound.

    A ``range: [low, high]`` in the catalogue wins; else the unit says it: a percentage 0–100, a share
    or ratio 0–1, a flag 0 or 1 (a ``signed: true`` percentage may be negative or above 100).
    """
    given = vspec.get("range")
    if given is not None and not (isinstance(given, list) and len(given) == 2 and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in given)):
        raise TypologyError(f"catalogue variable {vspec.get('name_en') or ''}: range: expected [low, high] (numbers, "
                            f"or null for no bound), got {given!r:.60}")
    if given is not None:
        low, high = (None if v is None else float(v) for v in given)
        return low, high, False, f"values in [{given[0]}, {given[1]}] (its range:)"
    unit = str(vspec.get("unit"))
    if unit.startswith("flag"):
        return 0.0, 1.0, True, "a flag: 0 or 1"
    if unit in ("ratio", "share"):
        return 0.0, 1.0, False, f"a {unit} between 0 and 1"
    if unit == "%" and not vspec.get("signed"):
        return 0.0, 100.0, False, "a percentage between 0 and 100"
    return None


def check_ranges(tidy: pd.DataFrame, catalog: Catalog, spec: TableSpec) -> None:
    """Every value inside the range its catalogue entry declares, with file, row and column when not."""
    value = tidy["value"].to_numpy(dtype=float)
    for variable, rows in _by_variable(tidy):
        bounds = declared_range(catalog.variables[variable])
        if bounds is None:
            continue
        low, high, binary, words = bounds
        values = value[rows]
        bad = ~np.isnan(values) & (((values < low) if low is not None else False)
                                   | ((values > high) if high is not None else False)
                                   | (~np.isin(values, [0.0, 1.0]) if binary else False))
        if bad.any():
            r = rows[int(np.argmax(bad))]
            raise TypologyError(f"{spec.path}: row {tidy['line'].iat[r]}, column {excerpt(tidy['column'].iat[r])}: "
                                f"{variable} is {value[r]:g}, but the catalogue declares {words}; fix the value, "
                                f"or declare another range: for {variable} in a project catalogue")
