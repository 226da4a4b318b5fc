"""Per-capita transforms: variables → indicator values, as the catalogue's formulas say.

Rates are always formed from unit-level sums (numerator and denominator summed first),
never by averaging sub-unit rates. Each variable's year is resolved once per indicator
(fixed, relative, or nearest the reference year) and recorded, with its distance from the
reference year, so a stale value is never used without a flag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.catalog import Indicator, Ref
from ..core.registry import Registry
from ..errors import TypologyError

Getter = Callable[[Ref], pd.Series]
Formula = Callable[[Indicator, Getter], pd.Series]
FORMULAS: Registry[Formula] = Registry("indicator formula")
GAP_POLICIES = ("carry", "exclude")


def _sum(refs: list[Ref], get: Getter) -> pd.Series:
    # A missing part makes the whole sum missing, never a partial sum.
    parts = [get(r) for r in refs]
    values = [p.to_numpy(dtype=float) for p in parts]
    # The parts added left to right, each first added to +0.0: the sum pandas gives for the frame of
    # the parts (row by row, its zero a positive one), without building that frame.
    total = 0.0 + values[0]
    for v in values[1:]:
        total = total + (0.0 + v)
    total[np.logical_or.reduce([np.isnan(v) for v in values])] = np.nan
    return pd.Series(total, index=parts[0].index)


@FORMULAS.register("ratio")
def ratio(ind: Indicator, get: Getter) -> pd.Series:
    spec = ind.spec
    num = _sum([Ref.parse(r) for r in spec["numerator"]], get)
    den = _sum([Ref.parse(r) for r in spec["denominator"]], get)
    return float(spec["scale"]) * num / den.where(den > 0)


@FORMULAS.register("value")
def value(ind: Indicator, get: Getter) -> pd.Series:
    return get(ind.refs()[0]).astype(float)


@FORMULAS.register("growth")
def growth(ind: Indicator, get: Getter) -> pd.Series:
    start, end = ind.refs()
    base = get(start)
    return 100.0 * (get(end) / base.where(base > 0) - 1.0)


@dataclass(frozen=True)
class YearPolicy:
    reference_year: int
    max_gap: int = 3
    on_gap: str = "carry"


def resolve_years(ind: Indicator, available: dict[str, list[int]], policy: YearPolicy) -> dict[Ref, int]:
    """The year each of an indicator's references reads. Ties go to the later year."""
    resolved: dict[Ref, int] = {}
    anchor: int | None = None
    for ref in ind.refs():
        years = available.get(ref.variable, [])
        if ref.offset is not None:
            continue
        if ref.year is not None:
            year = ref.year
        elif anchor in years:
            # Parts of one formula read the same year where they can (votes and electorate
            # of one election; a count and the population of its year).
            year = anchor
        elif years:
            year = min(years, key=lambda y: (abs(y - policy.reference_year), -y))
        else:
            year = policy.reference_year
        resolved[ref] = year
        anchor = year if anchor is None else anchor
    for ref in ind.refs():
        if ref.offset is not None:
            resolved[ref] = anchor + ref.offset
    return resolved


def _columns(variables: pd.DataFrame, codes: pd.Index) -> dict[tuple[str, int], Callable[[], pd.Series]]:
    """Per variable and year with an observed value: the values of ``codes`` (NaN where not observed).

    Each column is built when an indicator first reads it, then kept: the column of the pivot table
    (code × variable, year, the first value of a code given twice) reindexed on ``codes``, without
    the pivot table of every variable and year.
    """
    observed = variables[variables["value"].notna()]
    code, value = observed["code"].to_numpy(), observed["value"].to_numpy(dtype=float)
    built: dict[tuple[str, int], pd.Series] = {}

    def column(key: tuple[str, int], rows: np.ndarray) -> Callable[[], pd.Series]:
        def build() -> pd.Series:
            if key not in built:
                index = pd.Index(code[rows])
                first = rows[~index.duplicated()] if index.has_duplicates else rows
                built[key] = pd.Series(value[first], index=code[first], name=key).reindex(codes)
            return built[key]
        return build

    groups = observed.groupby(["variable", "year"], sort=False).indices if len(observed) else {}
    return {key: column(key, rows) for key, rows in groups.items()}


def compute_indicators(variables: pd.DataFrame, indicators: list[Indicator], codes: pd.Index,
                       policy: YearPolicy | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One column per indicator and unit (NaN where data are missing), and the years used."""
    policy = policy or YearPolicy(reference_year=2020)
    if policy.on_gap not in GAP_POLICIES:
        raise TypologyError(
            f"config key data.on_year_gap: {policy.on_gap!r}; expected one of {', '.join(GAP_POLICIES)}"
        )
    wide = _columns(variables, codes)
    available: dict[str, list[int]] = {}
    for variable, year in sorted(wide):
        available.setdefault(variable, []).append(int(year))

    out, years = {}, []
    for ind in indicators:
        resolved = resolve_years(ind, available, policy)
        missing = [f"{r.variable} {y}" for r, y in resolved.items() if (r.variable, y) not in wide]
        if missing:
            hint = ("it has no bundled data; add a table with these variables under data.tables"
                    if not ind.bundled else "the variable table lacks them")
            raise TypologyError(f"indicator {ind.key!r} needs {', '.join(missing)}: {hint}")

        def get(ref: Ref, resolved: dict[Ref, int] = resolved) -> pd.Series:
            return wide[(ref.variable, resolved[ref])]()

        formula = FORMULAS.get(ind.kind, f"catalogue indicators.{ind.key}.kind")
        values = formula(ind, get).replace([np.inf, -np.inf], np.nan)
        # Staleness is judged on the anchor years; an offset (the base of a growth rate) is
        # meant to be in the past.
        gap = max(abs(y - policy.reference_year) for r, y in resolved.items() if r.offset is None)
        max_gap = ind.max_gap if ind.max_gap is not None else policy.max_gap
        stale = gap > max_gap
        if stale and policy.on_gap == "exclude":
            values = pd.Series(np.nan, index=codes)
        out[ind.key] = values
        years.append({"indicator": ind.key, "years": ";".join(str(y) for y in sorted(set(resolved.values()))),
                      "variables": ";".join(f"{r.variable}@{y}" for r, y in resolved.items()),
                      "gap": gap, "max_gap": max_gap,
                      "year_status": ("excluded: " if stale and policy.on_gap == "exclude" else
                                      "carried: " if stale else "") + (f"{gap} years from {policy.reference_year}"
                                                                       if stale else "within range")})
    return pd.DataFrame(out, index=codes), pd.DataFrame(years)
