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

Each method has a frame form (one set of weights, a DataFrame of units × items) and, in
``MATRIX_AGGREGATORS``, a matrix form for many sets of weights at once (the Monte Carlo
replicates): the same weighted mean over the values a unit has, as NumPy products. A method
registered in the frame form only still works in matrix form through ``matrix_aggregator``,
one set of weights at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..core.registry import Registry
from ..errors import TypologyError

Aggregator = Callable[[pd.DataFrame, pd.Series], pd.Series]
AGGREGATORS: Registry[Aggregator] = Registry("aggregation")
# values (units × items, shared by every row of weights; or rows × units × items), weights rows × items
# → rows × units. NaN values are missing. Inputs are not checked: the caller checks positivity once.
MatrixAggregator = Callable[[np.ndarray, np.ndarray], np.ndarray]
MATRIX_AGGREGATORS: Registry[MatrixAggregator] = Registry("aggregation")

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


# What the report says of each method (ko, en): the words live with the method, as a normaliser's do.
arithmetic.words = ("가중 산술평균", "weighted arithmetic mean")  # type: ignore[attr-defined]
geometric.words = ("가중 기하평균 (한 지표의 약점을 다른 지표가 완전히 메우지 못함)",  # type: ignore[attr-defined]
                   "weighted geometric mean (strengths compensate weaknesses only partly)")


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


# --- matrix forms ---------------------------------------------------------------------------------


def _weighted_mean_rows(present: np.ndarray, inner: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ w·inner / Σ w over the values ``present``, for every row of ``weights``.

    Shared values (2-D) go through one matrix product per block of rows; values per row (3-D)
    through an element-wise product summed over the items.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if inner.ndim == 2:
            total = weights @ present.T.astype(float)
            return (weights @ inner.T) / np.where(total > 0, total, np.nan)
        total = (present * weights[:, None, :]).sum(axis=2)
        return (inner * weights[:, None, :]).sum(axis=2) / np.where(total > 0, total, np.nan)


@MATRIX_AGGREGATORS.register("arithmetic")
def arithmetic_rows(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``arithmetic`` for every row of ``weights``."""
    present = ~np.isnan(values)
    return _weighted_mean_rows(present, np.where(present, values, 0.0), weights)


@MATRIX_AGGREGATORS.register("geometric")
def geometric_rows(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``geometric`` for every row of ``weights``; the values must be > 0 (the caller checks, once)."""
    present = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        logs = np.log(np.where(present & (values > 0), values, 1.0))
        return np.exp(_weighted_mean_rows(present, logs, weights))


def matrix_aggregator(method: str, where: str) -> MatrixAggregator:
    """The matrix form of ``method``; for a method with a frame form only, that form row by row."""
    if method in MATRIX_AGGREGATORS:
        return MATRIX_AGGREGATORS.get(method, where)
    func = AGGREGATORS.get(method, where)

    def by_row(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        per_row = values if values.ndim == 3 else [values] * len(weights)
        return np.stack([func(pd.DataFrame(v), pd.Series(w)).to_numpy(dtype=float) for v, w in zip(per_row, weights)])

    return by_row
