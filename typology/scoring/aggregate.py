"""Aggregation: indicators → dimension scores (``scoring.aggregate``) and dimensions → composite
(``scoring.composite``), each level with its own method.

A unit gets a dimension score only when the indicators it has *observed* carry at least
``min_share`` of the dimension's weight; otherwise the score is missing and the reason is recorded.
Where a unit lacks some indicators but passes that rule, the weighted mean is taken over the
indicators it has (weights renormalised), unless imputation filled them.

The geometric mean is defined for positive values only. Nothing is shifted silently to make
values positive: the geometric level checks its inputs and, if any is zero or negative, stops
and names the normalisations whose values are positive by construction (``percentile``,
``rank``, ``minmax`` or ``goalposts`` with ``scoring.normalise.range: [1, 100]``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..core.registry import Registry
from ..errors import TypologyError

Aggregator = Callable[[pd.DataFrame, pd.Series], pd.Series]
AGGREGATORS: Registry[Aggregator] = Registry("aggregation")

POSITIVE_HINT = ("use a normalisation whose values are positive: scoring.normalise.method=percentile or rank, "
                 "or minmax / goalposts with scoring.normalise.range=[1,100]")


@AGGREGATORS.register("arithmetic")
def arithmetic(values: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Weighted mean over the values a unit has."""
    w = values.notna() * weights
    return (values.fillna(0) * weights).sum(axis=1) / w.sum(axis=1).replace(0, np.nan)


@AGGREGATORS.register("geometric")
def geometric(values: pd.DataFrame, weights: pd.Series, where: str = "scoring.aggregate.method") -> pd.Series:
    """Weighted geometric mean over the values a unit has; every value must be > 0."""
    bad = (values <= 0).any()
    if bad.any():
        col = values.columns[bad][0]
        raise TypologyError(
            f"config key {where}: geometric needs positive inputs, but {col!r} has values <= 0 "
            f"(minimum {values[col].min():.4g}); {POSITIVE_HINT}"
        )
    w = values.notna() * weights
    logs = np.log(values.where(values > 0)).fillna(0) * weights
    return np.exp(logs.sum(axis=1) / w.sum(axis=1).replace(0, np.nan))


def aggregate(values: pd.DataFrame, weights: pd.Series, method: str, where: str) -> pd.Series:
    func = AGGREGATORS.get(method, where)
    if func is geometric:
        return geometric(values, weights, where)
    return func(values, weights)


def score_dimension(values: pd.DataFrame, weights: pd.Series, method: str, min_share: float,
                    observed: pd.DataFrame | None = None, where: str = "scoring.aggregate.method",
                    ) -> tuple[pd.Series, pd.Series]:
    """Return (score, share of weight observed) per unit; score is NaN below ``min_share``.

    ``observed`` marks the cells that were measured (default: the non-missing ``values``); imputed
    cells take part in the mean but never count towards ``min_share``.
    """
    mask = values.notna() if observed is None else observed.reindex_like(values).fillna(False).astype(bool)
    share = (mask * weights).sum(axis=1)
    score = aggregate(values, weights, method, where)
    return score.where(share + 1e-12 >= min_share), share
