"""The code as it was before the loading and typing stretch was made faster, for equivalence tests.

Each function here is the replaced version, kept verbatim where it is a loop over frame rows, so
the tests can compare old and new on generated inputs: the same frames, values, messages and
warnings. Not used by the package.
"""

from __future__ import annotations

import re
import warnings
from datetime import date

import numpy as np
import pandas as pd

from typology.data import rollup
from typology.data.matching import SIDO_LIKE, _NameContext, _names_a_sido
from typology.data.places import NATION_NAMES, Place, norm
from typology.data.readers import TIDY_COLUMNS, _config_year, _first_header_row, year_of
from typology.data.values import COUNT_UNITS, PERCENT_HINTS, count_words, declared_range
from typology.errors import TypologyError, excerpt
from typology.typologies.rules import RuleTypology, _arrays, first_match


def match_name(matcher, sido_text, region, on, ctx):
    text = " ".join(region.split())
    if norm(text).lower() in {norm(n).lower() for n in NATION_NAMES}:
        return Place("nation", "nation", "전국"), "", True
    sido = matcher.sido_code(sido_text) if sido_text else None
    if sido_text and sido is None:
        return None, f"is not under a known 시도 ({excerpt(sido_text)} is not a 시도 name)", True
    tokens = text.split(" ")
    rest = text
    first = matcher.sido_code(tokens[0]) if tokens else None
    explicit = sido is not None
    if first is not None and (sido is None or first == sido):
        sido, rest, explicit = first, " ".join(tokens[1:]), True
    if first is None and not sido_text and " " not in text and SIDO_LIKE.search(text):
        ctx.sido, ctx.city = None, {}
        return None, ("looks like a 시도 name that boundaries/sido.csv and admin_changes.csv do not know; the rows "
                      "below it are matched by name alone"), False
    if sido is None and not sido_text:
        sido = ctx.sido
    if not rest:
        place = matcher.resolve_name(matcher.sido_label(sido), "", on) if sido else None
        ctx.sido = sido
        return place, "" if place else "matches no 시도", explicit
    if sido is None:
        place, sidos = matcher.resolve_bare_name(rest, on)
        if place is not None:
            return place, "", True
        if len(sidos) > 1:
            return None, f"names a 시군구 in several 시도 ({', '.join(sidos)}); give the 시도", False
        return None, "matches no unit (no 시군구 has this name)", False
    label = matcher.sido_label(sido)
    place = matcher.resolve_name(label, rest, on)
    if place is None and sido in ctx.city:
        place = matcher.resolve_name(label, ctx.city[sido] + rest, on)
    if place is None:
        return None, f"matches no unit (no 시군구 {excerpt(rest)} in {label})", explicit
    if place.kind in ("unit", "predecessor"):
        ctx.city[sido] = rest
    return place, "", explicit


def match_rows(tidy, spec, matcher, system):
    ctx = _NameContext()
    keys, reasons, dates, sido_rows = [], [], [], []
    misnamed, by_name = [], []
    for row in tidy.itertuples():
        on = spec.reference_date or (date(int(row.year_int), 12, 31) if row.year_int > 0 else None)
        when = None if spec.legacy else on
        code_place = name_place = None
        reason, sure = "", False
        if row.region:
            name_place, reason, sure = match_name(matcher, row.sido, row.region, when, ctx)
        if row.code:
            code_place = matcher.resolve_code(row.code, system, when)
            hint = matcher.code_hint(row.code, system) if code_place is None else ""
            if code_place is None and hint and sure and name_place is not None \
                    and name_place.kind not in ("sido", "nation"):
                by_name.append(f"row {row.line}: {row.code} {excerpt(row.region)}")
                code_place = name_place
            elif code_place is None:
                reason = (f"matches no unit (expected a 5-digit KOSTAT, 행정표준 or 10-digit 행정기관 code of a "
                          f"자치단체 in code system {system}){hint}")
            elif sure and name_place is not None and name_place.kind not in ("sido", "nation") \
                    and matcher.final_unit(code_place) != matcher.final_unit(name_place):
                raise TypologyError(
                    f"{spec.path}: row {row.line}: code {row.code} is {code_place.label} in code system {system}, but "
                    f"the region cell says {excerpt(row.region)} ({name_place.label}); the table probably uses another "
                    f"code system: set {spec.key}.code_system")
            elif code_place.kind in ("sido", "nation") and code_place.key != "nation":
                ctx.sido = code_place.key.split(":")[1]
            elif row.region and name_place is None and reason.startswith("matches no unit"):
                misnamed.append(f"row {row.line}: {excerpt(row.region)} beside code {row.code} ({code_place.label})")
        place = code_place if row.code else name_place
        if place is not None and place.kind == "successor":
            place, reason = None, place.note
        elif place is None and name_place is not None and name_place.kind == "successor":
            reason = f"{name_place.note} (its code {row.code} matches no unit either)"
        if place is not None and place.kind == "unit" and _names_a_sido(matcher, row.code, row.region):
            sido_rows.append(len(keys))
        keys.append(place.key if place is not None else "")
        reasons.append("" if place is not None else reason)
        dates.append(on)
    if misnamed:
        column = spec.columns.get("region", "region")
        warnings.warn(f"{spec.path}: column {column}: {len(misnamed)} region name(s) match no place although their "
                      f"code does; the rows are used by their code. Check the names: {'; '.join(misnamed[:3])}",
                      stacklevel=2)
    if by_name:
        warnings.warn(f"{spec.path}: {len(by_name)} row(s) matched by their region names, since their codes belong "
                      f"to an administrative change whose codes are not verified here "
                      f"({'; '.join(matcher.unverified_changes())}): {'; '.join(by_name[:3])}", stacklevel=2)
    groups = {}
    for i, group in enumerate(zip(keys, tidy["year_int"], tidy["variable"])):
        groups.setdefault(group, []).append(i)
    marked = set(sido_rows)
    for i in sido_rows:
        same = groups[(keys[i], tidy["year_int"].iat[i], tidy["variable"].iat[i])]
        if len(same) > 1 and len(set(same) - marked) == 1:
            keys[i] = f"sido:{keys[i].split(':')[1][:2]}"
    out = tidy.copy()
    out["place_key"], out["reason"], out["ref_date"] = keys, reasons, dates
    return out


def roll_up(rows, catalog, matcher, vintage, path):
    """The grouping and frames of the old roll-up around today's phases (which are unchanged)."""
    status, values = {}, []
    located = rows[rows["place_key"] != ""]
    for (variable, year), group in located.groupby(["variable", "year"], sort=True):
        by_place = dict(zip(group["place_key"], group.index))
        g = rollup._Group(variable, year, dict(zip(group.index, group["place_key"])),
                          catalog.variables[variable]["aggregation"], group["ref_date"].iat[0],
                          dict(zip(group.index, group["line"])), dict(zip(group.index, group["value"].astype(float))),
                          by_place, dict(zip(group.index, group["source_id"])),
                          {key: matcher.place(key) if not key.startswith(("sido:", "nation")) else None
                           for key in by_place}, matcher, status, path)
        rollup._mark_totals(g)
        derived = rollup._roll_parts(g)
        rollup._roll_predecessors(g, derived, vintage)
        values += [dict(zip(rollup.VALUE_COLUMNS, v)) for v in rollup._unit_values(g, derived)]
    for i, reason in zip(rows.index, rows["reason"]):
        status.setdefault(i, (rollup.UNMATCHED, reason, ""))
    fates = pd.DataFrame.from_dict(status, orient="index", columns=["status", "reason", "unit"]).reindex(rows.index)
    out = pd.DataFrame(values, columns=["code", "year", "variable", "value", "source_id", "row"])
    return rollup.RollupResult(out, fates)


def _tidy(records):
    frame = pd.DataFrame.from_records(records, columns=TIDY_COLUMNS)
    for col in TIDY_COLUMNS:
        if col != "line":
            frame[col] = frame[col].fillna("").astype(str)
    frame["line"] = frame["line"].astype(int)
    return frame


def long_records(grid, opts):
    """The old ``long_layout`` after its header checks: a dict per row, then ``_tidy``."""
    width = max((len(r) for r in grid.cells), default=0)
    rows = [r + [""] * (width - len(r)) for r in grid.cells]
    h = _first_header_row(rows, opts)
    header = rows[h]
    names = {"code": "code", "region": "region", "sido": "sido", "year": "year", "variable": "variable",
             "value": "value", "source_id": "source_id", "unit": "unit", **opts.columns}
    idx = {k: (header.index(v) if v in header else None) for k, v in names.items()}
    records = []
    for line, row in zip(grid.lines[h + 1:], rows[h + 1:]):
        if not any(c.strip() for c in row):
            continue

        def cell(key, row=row):
            return row[idx[key]] if idx[key] is not None else ""

        raw_var = cell("variable")
        variable = opts.variables.get(raw_var, raw_var) if raw_var else (opts.variable or "")
        records.append({"line": line, "sido": cell("sido"), "region": cell("region"), "code": cell("code"),
                        "year": cell("year") if idx["year"] is not None else _config_year(opts, grid.path),
                        "variable": variable, "value": cell("value"), "column": names["value"],
                        "unit_hint": cell("unit"), "source_id": cell("source_id") or opts.source_id})
    return _tidy(records)


def parse_years(tidy, spec):
    strict = spec.layout == "long"
    years = []
    for line, text in zip(tidy["line"], tidy["year"]):
        text = str(text).strip()
        year = (int(float(text)) if re.fullmatch(r"\d{4}(\.0+)?", text) else None) if strict else year_of(text)
        if year is None:
            col = "year" if strict else "시점"
            raise TypologyError(f"{spec.path}: row {line}, column {col}: {excerpt(text)} is not a whole year")
        if spec.years is not None and year not in spec.years:
            raise TypologyError(f"{spec.path}: row {line}: year {year}, but the config says {spec.key}.year: "
                                f"{spec.years if len(spec.years) > 1 else spec.years[0]} for this table")
        years.append(year)
    absent = sorted(set(spec.years or []) - set(years))
    if absent and years:
        raise TypologyError(f"{spec.path}: config key {spec.key}.year says the table holds {spec.years}, but it has "
                            f"no row for {absent} (it holds {sorted(set(years))})")
    return pd.Series(years, index=tidy.index, dtype=int)


def check_units(tidy, catalog, spec):
    for variable, part in tidy.groupby("variable"):
        vspec = catalog.variables[variable]
        unit = str(vspec.get("unit"))
        values = part["value"].dropna()
        hints = {h for h in part["unit_hint"] if h}
        first = part.iloc[0]
        where = f"{spec.path}: column {excerpt(first['column'])}"
        if (unit in COUNT_UNITS or unit == "%") and not vspec.get("signed"):
            negative = part[part["value"] < 0]
            if not negative.empty:
                r = negative.iloc[0]
                what = count_words(unit) if unit in COUNT_UNITS else f"a share ({unit})"
                raise TypologyError(f"{spec.path}: row {r['line']}, column {r['column']}: {variable} is "
                                    f"{r['value']:g}, but {what} cannot be negative (the catalogue does not "
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
    for variable, part in tidy.groupby("variable"):
        bounds = declared_range(catalog.variables[variable])
        if bounds is None:
            continue
        low, high, binary, words = bounds
        values = part["value"]
        bad = values.notna() & (((values < low) if low is not None else False)
                                | ((values > high) if high is not None else False)
                                | (~values.isin([0.0, 1.0]) if binary else False))
        if bad.any():
            r = part[bad].iloc[0]
            raise TypologyError(f"{spec.path}: row {r['line']}, column {excerpt(r['column'])}: {variable} is "
                                f"{r['value']:g}, but the catalogue declares {words}; fix the value, or declare "
                                f"another range: for {variable} in a project catalogue")


def parts_sum(parts: list[pd.Series]) -> pd.Series:
    """The old ``transform._sum`` of parts already read."""
    frame = pd.concat(parts, axis=1)
    return frame.sum(axis=1).where(frame.notna().all(axis=1))


def wide_column(variables: pd.DataFrame, codes: pd.Index, variable: str, year: int) -> pd.Series:
    """The old reading of one variable and year: the pivot table's column, reindexed on the codes."""
    observed = variables[variables["value"].notna()]
    wide = observed.pivot_table(index="code", columns=["variable", "year"], values="value", aggfunc="first")
    return wide[(variable, year)].reindex(codes).astype(float)


class RulesBefore(RuleTypology):
    """``explain`` and ``position`` reading a frame row per unit, as they did."""

    def explain(self, scores):
        axes = self.axis_scores(scores)
        hits = first_match(self.conditions_, _arrays(axes), self.thresholds_)
        names = self.dimension_names or {}
        rows = [self._reason(row, {n: self._axis_text(n, row[n], scores.loc[code], names) for n in self.axes}, hit)
                for (code, row), hit in zip(axes.iterrows(), hits)]
        out = pd.DataFrame(rows, index=scores.index, columns=["type", "type_ko", "type_en", "reason", "why"])
        for name in self.axes:
            out[f"axis_{name}"] = axes[name]
        return out

    def position(self, scores):
        axes = self.axis_scores(scores)
        names = self.dimension_names or {}
        return pd.Series([", ".join(self._axis_text(n, row[n], scores.loc[code], names) for n in self.axes)
                          for code, row in axes.iterrows()], index=scores.index, dtype=object)


def corr(a: pd.Series, b: pd.Series) -> float:
    """The old ``audit._corr``: a Series pair per call."""
    if not a.index.equals(b.index):
        a, b = a.align(b, join="outer")
    x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    both = ~np.isnan(x) & ~np.isnan(y)
    x, y = x[both], y[both]
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(pd.Series(x).corr(pd.Series(y)))
