"""Per-capita transforms: variables → indicator values, as the catalogue's formulas say.

Rates are always formed from unit-level sums (numerator and denominator summed first),
never by averaging sub-unit rates.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .catalog import Indicator, Ref
from .errors import TypologyError
from .registry import Registry

Formula = Callable[[Indicator, Callable[[Ref], pd.Series]], pd.Series]
FORMULAS: Registry[Formula] = Registry("indicator formula")


def _sum(refs: list[Ref], get: Callable[[Ref], pd.Series]) -> pd.Series:
    # A missing part makes the whole sum missing, never a partial sum.
    parts = pd.concat([get(r) for r in refs], axis=1)
    return parts.sum(axis=1).where(parts.notna().all(axis=1))


@FORMULAS.register("ratio")
def ratio(ind: Indicator, get: Callable[[Ref], pd.Series]) -> pd.Series:
    spec = ind.spec
    num = _sum([Ref(r["variable"], int(r["year"])) for r in spec["numerator"]], get)
    den = _sum([Ref(r["variable"], int(r["year"])) for r in spec["denominator"]], get)
    return float(spec["scale"]) * num / den.where(den > 0)


@FORMULAS.register("value")
def value(ind: Indicator, get: Callable[[Ref], pd.Series]) -> pd.Series:
    return get(ind.refs()[0]).astype(float)


@FORMULAS.register("growth")
def growth(ind: Indicator, get: Callable[[Ref], pd.Series]) -> pd.Series:
    start, end = ind.refs()
    base = get(start)
    return 100.0 * (get(end) / base.where(base > 0) - 1.0)


def compute_indicators(variables: pd.DataFrame, indicators: list[Indicator], codes: pd.Index) -> pd.DataFrame:
    """One column per indicator, one row per unit code (NaN where data are missing)."""
    wide = variables.pivot_table(index="code", columns=["variable", "year"], values="value", aggfunc="first")

    def get(ref: Ref) -> pd.Series:
        if (ref.variable, ref.year) not in wide.columns:
            return pd.Series(np.nan, index=codes)
        return wide[(ref.variable, ref.year)].reindex(codes).astype(float)

    out = {}
    for ind in indicators:
        missing = [f"{r.variable} {r.year}" for r in ind.refs() if (r.variable, r.year) not in wide.columns]
        if missing:
            hint = ("it has no bundled data; add a table with these variables under data.tables"
                    if not ind.bundled else "the variable table lacks them")
            raise TypologyError(f"indicator {ind.key!r} needs {', '.join(missing)}: {hint}")
        formula = FORMULAS.get(ind.kind, f"catalogue indicators.{ind.key}.kind")
        values = formula(ind, get)
        out[ind.key] = values.replace([np.inf, -np.inf], np.nan)
    return pd.DataFrame(out, index=codes)
