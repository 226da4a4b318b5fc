"""Matched rows → one value per unit, year and variable, and the fate of every input row.

A row may name a unit, a part of one (일반구, 제주's 행정시), a place that no longer exists
(청원군, merged into 청주시 in 2014), or a 시도 or national total. Parts are summed into their
parent, and predecessors into today's unit, when the catalogue's ``aggregation`` allows a sum
(counts; rates are formed later from summed numerators and denominators). A variable with
``aggregation: none`` (a rate or a flag) cannot be summed, so such a roll-up is an error.
Nothing is dropped silently: each row ends ``matched``, ``rolled_up``, or in unmatched.csv as
``unmatched`` (a problem), ``aggregate`` (a total) or ``covered`` (the parent's own row is used).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.catalog import Catalog
from ..errors import TypologyError
from .places import Place
from .units import RegionMatcher

# Fates of an input row. Only UNMATCHED rows are a problem that ``on_unmatched`` acts on.
MATCHED, ROLLED_UP, UNMATCHED, AGGREGATE, COVERED = "matched", "rolled_up", "unmatched", "aggregate", "covered"


@dataclass
class RollupResult:
    values: pd.DataFrame  # code, year, variable, value, source_id, row
    fates: pd.DataFrame  # index of the input rows → status, reason, unit


def _total(values: list[float]) -> float:
    # A missing part makes the whole sum missing, never a partial sum.
    return float("nan") if any(np.isnan(v) for v in values) else float(sum(values))


def _refuse(path: Path | str, lines: list[int], variable: str, year: int, target: Place, what: str) -> None:
    raise TypologyError(
        f"{path}: rows {sorted(lines)}: {variable} {year} for {target.label} comes only from {what}, but "
        f"{variable} has aggregation: none in the catalogue (a rate or flag cannot be summed); give "
        f"the row for {target.label} itself, or its numerator and denominator as count variables")


VALUE_COLUMNS = ["code", "year", "variable", "value", "source_id", "row"]
Status = dict[int, tuple[str, str, str]]  # input row index → (fate, reason, unit)
Derived = dict[str, tuple[float, list[int]]]  # place key → (summed value, the rows summed)


@dataclass
class _Group:
    """The rows of one variable and year, with the lookups every phase of the roll-up reads."""

    variable: str
    year: int
    place_key: dict[int, str]  # the place key of each of its rows
    agg: str
    on: date
    line: dict[int, int]
    value: dict[int, float]
    by_place: dict[str, int]
    source: dict[int, str]
    place: dict[str, Place | None]
    matcher: RegionMatcher
    status: Status
    path: Path | str

    @classmethod
    def of(cls, variable: str, year: int, index: list[int], columns: dict[str, list], catalog: Catalog,
           matcher: RegionMatcher, status: Status, path: Path | str) -> _Group:
        """The group of the input rows ``index``, whose cells ``columns`` holds by row label."""
        keys = [columns["place_key"][i] for i in index]
        by_place = dict(zip(keys, index))
        return cls(variable, year, dict(zip(index, keys)), catalog.variables[variable]["aggregation"],
                   columns["ref_date"][index[0]], {i: columns["line"][i] for i in index},
                   {i: columns["value"][i] for i in index}, by_place, {i: columns["source_id"][i] for i in index},
                   {key: matcher.place(key) if not key.startswith(("sido:", "nation")) else None for key in by_place},
                   matcher, status, path)

    def set_aside(self, idxs: list[int], reason: str) -> None:
        for i in idxs:
            self.status[i] = (UNMATCHED, reason, "")

    def refuse(self, idxs: list[int], target: Place, what: str) -> None:
        _refuse(self.path, [self.line[i] for i in idxs], self.variable, self.year, target, what)


def roll_up(rows: pd.DataFrame, catalog: Catalog, matcher: RegionMatcher, vintage: str,
            path: Path | str) -> RollupResult:
    """``rows``: matched input rows with place_key, ref_date, year, variable, value, line, source_id."""
    status: Status = {}
    values: list[tuple] = []
    labels = rows.index.tolist()
    # Cells by row label, read once: a frame per group and its columns were most of the roll-up's time
    columns = {c: dict(zip(labels, rows[c].tolist())) for c in ("place_key", "ref_date", "line", "source_id")}
    columns["value"] = dict(zip(labels, rows["value"].astype(float).tolist()))
    groups: dict[tuple[str, int], list[int]] = {}
    for i, key, variable, year in zip(labels, rows["place_key"].tolist(), rows["variable"].tolist(),
                                      rows["year"].tolist()):
        if key != "":
            groups.setdefault((variable, year), []).append(i)
    for (variable, year), index in sorted(groups.items()):
        g = _Group.of(variable, year, index, columns, catalog, matcher, status, path)
        _mark_totals(g)
        derived = _roll_parts(g)
        _roll_predecessors(g, derived, vintage)
        values += _unit_values(g, derived)
    for i, reason in zip(labels, rows["reason"].tolist()):
        status.setdefault(i, (UNMATCHED, reason, ""))
    fates = pd.DataFrame([status[i] for i in labels], index=rows.index, columns=["status", "reason", "unit"])
    out = pd.DataFrame(values, columns=VALUE_COLUMNS)
    return RollupResult(out, fates)


def _mark_totals(g: _Group) -> None:
    """시도 and national totals: set aside as aggregates, never a problem."""
    for key, i in g.by_place.items():
        if key.startswith("nation"):
            g.status[i] = (AGGREGATE, "national total, not a 시군구", "")
        elif key.startswith("sido:"):
            g.status[i] = (AGGREGATE, f"시도 total ({g.matcher.sido_label(key.split(':')[1])}), not a 시군구", "")


def _roll_parts(g: _Group) -> Derived:
    """1. parts (일반구, 행정시) → their parent, a unit or a predecessor such as the old 청주시."""
    derived: Derived = {}
    parts_of: dict[str, list[str]] = defaultdict(list)
    for key, p in g.place.items():
        if p is not None and p.kind == "part":
            parts_of[g.matcher.parent_of(p).key].append(key)
    for parent_key, keys in sorted(parts_of.items()):
        parent = g.matcher.place(parent_key)
        idxs = [g.by_place[k] for k in keys]
        if parent_key in g.by_place:
            _parts_covered(g, parent_key, parent, idxs)
            continue
        expected = g.matcher.subunits(parent_key, g.on)
        missing = [p.label for p in expected if p.key not in keys]
        if missing:
            g.set_aside(idxs, f"only {len(keys)} of the {len(expected)} parts of {parent.label} on {g.on} are given "
                              f"(missing {', '.join(missing)}): a partial sum would understate it")
            continue
        if g.agg != "sum":
            g.refuse(idxs, parent, f"its parts ({', '.join(g.place[k].label for k in keys)})")
        derived[parent_key] = (_total([g.value[i] for i in idxs]), idxs)
    return derived


def _parts_covered(g: _Group, parent_key: str, parent: Place, idxs: list[int]) -> None:
    """Parts whose parent has a row of its own: that row is used, and a sum that disagrees is noted."""
    own = g.by_place[parent_key]
    note = ""
    if g.agg == "sum":
        total = _total([g.value[i] for i in idxs])
        if not np.isnan(total) and abs(total - g.value[own]) > max(0.5, 1e-6 * abs(g.value[own])):
            note = f"; its parts sum to {total:g}, the row says {g.value[own]:g}"
    for i in idxs:
        g.status[i] = (COVERED, f"part of {parent.label}, whose own row (row {g.line[own]}) is used{note}",
                       g.matcher.final_unit(parent) or "")


def _predecessors(g: _Group, derived: Derived) -> dict[str, list[tuple[Place, list[int], float]]]:
    """Today's unit → the predecessors given for it: (place, its rows, its value), from rows or from summed parts."""
    olds: dict[str, list[tuple[Place, list[int], float]]] = defaultdict(list)
    for key, p in g.place.items():
        if p is not None and p.kind == "predecessor":
            olds[p.unit or ""].append((p, [g.by_place[key]], g.value[g.by_place[key]]))
    for key, (total, idxs) in derived.items():
        p = g.matcher.place(key)
        if p.kind == "predecessor":
            olds[p.unit or ""].append((p, idxs, total))
    return olds


def _roll_predecessors(g: _Group, derived: Derived, vintage: str) -> None:
    """2. predecessors (places merged or abolished) → today's unit."""
    for unit, items in sorted(_predecessors(g, derived).items()):
        unit_place = g.matcher.place(f"unit:{unit}")
        idxs = [i for _, ii, _ in items for i in ii]
        if unit_place.key in g.by_place or unit_place.key in derived:
            for p, ii, _ in items:
                for i in ii:
                    g.status[i] = (COVERED, f"{p.label} existed before {p.change_date}; the table's row for "
                                            f"{unit_place.label} is used", unit)
        elif vintage == "report":
            for p, ii, _ in items:
                g.set_aside(ii, _reported(p, unit_place))
        elif _harmonisable(g, unit, unit_place, items, idxs):
            derived[unit_place.key] = (_total([v for _, _, v in items]), idxs)


def _reported(p: Place, unit_place: Place) -> str:
    """Why ``vintage: report`` lists a predecessor's row instead of adding it into today's unit."""
    if p.change == "transfer_part":
        return f"{p.label} before {p.change_date} covered another area ({p.note}); vintage: report lists it here"
    return (f"{p.label} no longer exists ({p.note}); vintage: report lists it here "
            f"(vintage: harmonise would add it into {unit_place.label})")


def _harmonisable(g: _Group, unit: str, unit_place: Place, items: list[tuple[Place, list[int], float]],
                  idxs: list[int]) -> bool:
    """Whether the predecessors' rows add up to today's unit; if not, they are set aside with the reason."""
    broken = [p for p, _, _ in items if not p.comparable]
    if broken:
        g.set_aside(idxs, f"{broken[0].note}: {unit_place.label}'s territory is no sum of earlier places "
                          f"(comparable: no), so it cannot be harmonised")
        return False
    given = {p.key for p, _, _ in items}
    dates = sorted({p.change_date for p, _, _ in items if p.change_date})
    expected = [p for d in dates for p in g.matcher.predecessors(unit, d)]
    missing = [p.label for p in expected if p.key not in given]
    if missing:
        g.set_aside(idxs, f"only part of what became {unit_place.label} is given (missing {', '.join(missing)}): "
                          f"a partial sum would understate it")
        return False
    if g.agg != "sum":
        g.refuse(idxs, unit_place, f"places that no longer exist ({', '.join(p.label for p, _, _ in items)})")
    return True


def _unit_values(g: _Group, derived: Derived) -> list[tuple]:
    """3. one value per unit: its own row, or the sum rolled up into it (as VALUE_COLUMNS)."""
    values = []
    for key, i in g.by_place.items():
        p = g.place[key]
        if p is not None and p.kind == "unit":
            g.status[i] = (MATCHED, "", p.unit or "")
            values.append((p.unit, int(g.year), g.variable, g.value[i], g.source[i], int(g.line[i])))
    for key, (total, idxs) in sorted(derived.items()):
        p = g.matcher.place(key)
        if p.kind != "unit":
            continue
        labels = ", ".join(sorted({g.matcher.place(g.place_key[i]).label for i in idxs}))
        for i in idxs:
            g.status[i] = (ROLLED_UP, f"summed into {p.label} with {labels}", p.unit or "")
        first = min(idxs, key=lambda i: g.line[i])
        values.append((p.unit, int(g.year), g.variable, total, g.source[first], int(g.line[first])))
    return values
