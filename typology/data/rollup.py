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


def roll_up(rows: pd.DataFrame, catalog: Catalog, matcher: RegionMatcher, vintage: str,
            path: Path | str) -> RollupResult:
    """``rows``: matched input rows with place_key, ref_date, year, variable, value, line, source_id."""
    status: dict[int, tuple[str, str, str]] = {}

    def set_aside(idxs: list[int], reason: str) -> None:
        for i in idxs:
            status[i] = (UNMATCHED, reason, "")
    values: list[dict] = []
    located = rows[rows["place_key"] != ""]
    for (variable, year), group in located.groupby(["variable", "year"], sort=True):
        agg = catalog.variables[variable]["aggregation"]
        on: date = group["ref_date"].iat[0]
        line = dict(zip(group.index, group["line"]))
        value = dict(zip(group.index, group["value"].astype(float)))
        by_place = dict(zip(group["place_key"], group.index))
        source = dict(zip(group.index, group["source_id"]))  # one lookup per row; .at is slow in a loop
        place = {key: matcher.place(key) if not key.startswith(("sido:", "nation")) else None for key in by_place}

        for key, i in by_place.items():
            if key.startswith("nation"):
                status[i] = (AGGREGATE, "national total, not a 시군구", "")
            elif key.startswith("sido:"):
                status[i] = (AGGREGATE, f"시도 total ({matcher.sido_label(key.split(':')[1])}), not a 시군구", "")

        # 1. parts (일반구, 행정시) → their parent, a unit or a predecessor such as the old 청주시
        derived: dict[str, tuple[float, list[int]]] = {}
        parts_of: dict[str, list[str]] = defaultdict(list)
        for key, p in place.items():
            if p is not None and p.kind == "part":
                parts_of[matcher.parent_of(p).key].append(key)
        for parent_key, keys in sorted(parts_of.items()):
            parent = matcher.place(parent_key)
            idxs = [by_place[k] for k in keys]
            if parent_key in by_place:
                own = by_place[parent_key]
                note = ""
                if agg == "sum":
                    total = _total([value[i] for i in idxs])
                    if not np.isnan(total) and abs(total - value[own]) > max(0.5, 1e-6 * abs(value[own])):
                        note = f"; its parts sum to {total:g}, the row says {value[own]:g}"
                for i in idxs:
                    status[i] = (COVERED, f"part of {parent.label}, whose own row (row {line[own]}) is used{note}",
                                 matcher.final_unit(parent) or "")
                continue
            expected = matcher.subunits(parent_key, on)
            missing = [p.label for p in expected if p.key not in keys]
            if missing:
                reason = (f"only {len(keys)} of the {len(expected)} parts of {parent.label} on {on} are given "
                          f"(missing {', '.join(missing)}): a partial sum would understate it")
                set_aside(idxs, reason)
                continue
            if agg != "sum":
                names = ", ".join(place[k].label for k in keys)
                _refuse(path, [line[i] for i in idxs], variable, year, parent, f"its parts ({names})")
            derived[parent_key] = (_total([value[i] for i in idxs]), idxs)

        # 2. predecessors (places merged or abolished) → today's unit
        olds: dict[str, list[tuple[Place, list[int], float]]] = defaultdict(list)
        for key, p in place.items():
            if p is not None and p.kind == "predecessor":
                olds[p.unit or ""].append((p, [by_place[key]], value[by_place[key]]))
        for key, (total, idxs) in derived.items():
            p = matcher.place(key)
            if p.kind == "predecessor":
                olds[p.unit or ""].append((p, idxs, total))
        for unit, items in sorted(olds.items()):
            unit_place = matcher.place(f"unit:{unit}")
            idxs = [i for _, ii, _ in items for i in ii]
            if unit_place.key in by_place or unit_place.key in derived:
                for p, ii, _ in items:
                    for i in ii:
                        status[i] = (COVERED, f"{p.label} existed before {p.change_date}; the table's row for "
                                              f"{unit_place.label} is used", unit)
                continue
            if vintage == "report":
                for p, ii, _ in items:
                    if p.change == "transfer_part":
                        reason = (f"{p.label} before {p.change_date} covered another area ({p.note}); "
                                  f"vintage: report lists it here")
                    else:
                        reason = (f"{p.label} no longer exists ({p.note}); vintage: report lists it here "
                                  f"(vintage: harmonise would add it into {unit_place.label})")
                    set_aside(ii, reason)
                continue
            broken = [p for p, _, _ in items if not p.comparable]
            if broken:
                reason = (f"{broken[0].note}: {unit_place.label}'s territory is no sum of earlier places "
                          f"(comparable: no), so it cannot be harmonised")
                set_aside(idxs, reason)
                continue
            given = {p.key for p, _, _ in items}
            dates = sorted({p.change_date for p, _, _ in items if p.change_date})
            expected = [p for d in dates for p in matcher.predecessors(unit, d)]
            missing = [p.label for p in expected if p.key not in given]
            if missing:
                reason = (f"only part of what became {unit_place.label} is given (missing {', '.join(missing)}): "
                          f"a partial sum would understate it")
                set_aside(idxs, reason)
                continue
            if agg != "sum":
                names = ", ".join(p.label for p, _, _ in items)
                _refuse(path, [line[i] for i in idxs], variable, year, unit_place,
                        f"places that no longer exist ({names})")
            derived[unit_place.key] = (_total([v for _, _, v in items]), idxs)

        # 3. one value per unit
        for key, i in by_place.items():
            p = place[key]
            if p is not None and p.kind == "unit":
                status[i] = (MATCHED, "", p.unit or "")
                values.append({"code": p.unit, "year": int(year), "variable": variable, "value": value[i],
                               "source_id": source[i], "row": int(line[i])})
        for key, (total, idxs) in sorted(derived.items()):
            p = matcher.place(key)
            if p.kind != "unit":
                continue
            labels = ", ".join(sorted({matcher.place(k).label for k in group.loc[idxs, "place_key"]}))
            for i in idxs:
                status[i] = (ROLLED_UP, f"summed into {p.label} with {labels}", p.unit or "")
            first = min(idxs, key=lambda i: line[i])
            values.append({"code": p.unit, "year": int(year), "variable": variable, "value": total,
                           "source_id": source[first], "row": int(line[first])})
    for i, reason in zip(rows.index, rows["reason"]):
        status.setdefault(i, (UNMATCHED, reason, ""))
    fates = pd.DataFrame.from_dict(status, orient="index", columns=["status", "reason", "unit"]).reindex(rows.index)
    out = pd.DataFrame(values, columns=["code", "year", "variable", "value", "source_id", "row"])
    return RollupResult(out, fates)
