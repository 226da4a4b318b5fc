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

import re
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.catalog import Catalog
from ..errors import TypologyError, excerpt
from .places import NATION_NAMES, Place, norm
from .readers import TableOptions, read_tidy
from .rollup import AGGREGATE, COVERED, MATCHED, ROLLED_UP, UNMATCHED, roll_up
from .specs import TableSpec, check_variable, table_specs
from .units import RegionMatcher
from .values import check_units, parse_values, parse_years

__all__ = ["Loaded", "UnmatchedRowsError", "load_tables", "read_table", "read_variable_table"]

COLUMNS = ["code", "year", "variable", "value", "source_id"]
SIDO_LIKE = re.compile(r"(특별시|광역시|특별자치시|특별자치도|[^시군구]도)$")  # no 시군구 name ends so
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


# ---- matching --------------------------------------------------------------------------------

def detect_code_system(codes: list[str], matcher: RegionMatcher, path: Path, key: str) -> str:
    """A table's code system, only when its codes leave no doubt (5-digit codes collide)."""
    # codes of no known 시도 (a change whose codes are not verified) say nothing about the system
    five = sorted({c for c in codes if len(c) == 5 and c.isdigit() and matcher.prefix_known(c)})
    if not five:
        return "code10" if codes and all(len(c) == 10 for c in codes) else "kostat"
    hits = {s: sum(matcher.resolve_code(c, s) is not None for c in five) for s in ("kostat", "std5")}
    best, other = sorted(hits, key=lambda s: -hits[s])
    # A system that explains a sizeable share of the codes is one the table could be using: then a
    # code of both systems may name either of two units, and no value may be put on one by a guess.
    sizeable = max(2, SIZEABLE_SHARE * len(five))
    if hits[best] > hits[other] and hits[best] >= 0.9 * len(five) and hits[other] < sizeable:
        return best
    both = " (both explain a sizeable share)" if hits[other] >= sizeable else ""
    raise TypologyError(
        f"{path}: cannot tell the code system of its {len(five)} five-digit codes (KOSTAT matches {hits['kostat']}, "
        f"행정표준코드 {hits['std5']}){both}; set {key}.code_system: {best} if the table uses "
        f"{SYSTEM_NAMES[best]}, else {other} or code10")


SIZEABLE_SHARE = 0.25
SYSTEM_NAMES = {"kostat": "KOSTAT codes", "std5": "행정표준코드", "code10": "10-digit 행정기관코드"}


def suggest_system(codes: list[str], matcher: RegionMatcher, used: str) -> str:
    """For rows whose codes matched no unit: the code system under which most of them would match."""
    codes = [c for c in codes if c]
    if not codes:
        return ""
    hits = {s: sum(matcher.resolve_code(c, s) is not None for c in codes) for s in SYSTEM_NAMES if s != used}
    best = max(hits, key=lambda s: hits[s])
    if not hits[best]:
        return ""
    return f"; {hits[best]} of their {len(codes)} codes would match with code_system: {best} ({SYSTEM_NAMES[best]})"


class _NameContext:
    """KOSIS lists a 시도 row, then its 시군구 by bare name, and 일반구 after their city."""

    def __init__(self) -> None:
        self.sido: str | None = None
        self.city: dict[str, str] = {}


def _match_name(matcher: RegionMatcher, sido_text: str, region: str, on: date | None,
                ctx: _NameContext) -> tuple[Place | None, str, bool]:
    """The place a region cell names, why not, and whether the 시도 was explicit (not from context)."""
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
        # a 시도 this project does not know: the bare names below it are not read as the previous 시도's
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
    if place is None and sido in ctx.city:  # a bare 일반구 name under its city: 장안구 after 수원시
        place = matcher.resolve_name(label, ctx.city[sido] + rest, on)
    if place is None:
        return None, f"matches no unit (no 시군구 {excerpt(rest)} in {label})", explicit
    if place.kind in ("unit", "predecessor"):
        ctx.city[sido] = rest
    return place, "", explicit


def match_rows(tidy: pd.DataFrame, spec: TableSpec, matcher: RegionMatcher, system: str) -> pd.DataFrame:
    """Adds place_key ('' when nothing matched), reason and ref_date to the tidy rows."""
    ctx = _NameContext()
    keys, reasons, dates, sido_rows = [], [], [], []
    misnamed: list[str] = []  # a code that matches beside a name that matches nothing: used, but said
    by_name: list[str] = []  # an unverified new code beside a name that matches: used by the name, and said
    for row in tidy.itertuples():
        on = spec.reference_date or (date(int(row.year_int), 12, 31) if row.year_int > 0 else None)
        when = None if spec.legacy else on  # a unit code in a legacy table names today's unit
        code_place = name_place = None
        reason, sure = "", False
        if row.region:
            name_place, reason, sure = _match_name(matcher, row.sido, row.region, when, ctx)
        if row.code:
            code_place = matcher.resolve_code(row.code, system, when)
            hint = matcher.code_hint(row.code, system) if code_place is None else ""
            if code_place is None and hint and sure and name_place is not None \
                    and name_place.kind not in ("sido", "nation"):
                # a code of a change this project could not verify (전남광주 2026): the name decides
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
        if place is not None and place.kind == "successor":  # 인천's 2026 구: no unit has their area
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
    # 세종 is a 시도 and a unit: KOSIS lists it as a 시도 row and again as a 시군구 row. The 시군구
    # row is the unit's value; the 시도 row is then a total like any other.
    groups: dict[tuple, list[int]] = {}
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


def _names_a_sido(matcher: RegionMatcher, code: str, region: str) -> bool:
    code = code.strip()
    if code:
        return len(code) == 2 or (len(code) == 10 and code.endswith("00000000"))
    return matcher.sido_code(region) is not None


# ---- one table ---------------------------------------------------------------------------------

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
