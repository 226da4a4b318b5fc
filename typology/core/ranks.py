"""Ranks, with one rule everywhere: 1 = best, and units that tie share the better rank.

Pandas calls the tie rule ``method="min"`` (scores 9, 7, 7, 5 rank 1, 2, 2, 4). scores.csv's
``composite_rank``, the ranks map.html, report.html and the workbook show, the Monte Carlo
replicates' rank intervals and the k-selection table all rank through this module, so a rank
means the same wherever it is read.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

Ranked = TypeVar("Ranked", pd.Series, pd.DataFrame)


def rank(values: Ranked, *, higher_first: bool = True, missing_last: bool = False) -> Ranked:
    """Rank 1 for the best value; ties share the better rank.

    Parameters
    ----------
    values : pandas.Series or pandas.DataFrame
        Scores; a frame is ranked column by column.
    higher_first : bool, default True
        Rank 1 is the highest value; ``False`` makes it the lowest.
    missing_last : bool, default False
        A missing value is ranked after every other one instead of staying missing.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Integer ranks (``Int64``, missing where the value is, unless ``missing_last``), same index.

    Examples
    --------
    >>> rank(pd.Series([5.0, 9.0, 7.0, 7.0])).tolist()
    [4, 1, 2, 2]
    """
    ranks = values.rank(ascending=not higher_first, method="min", na_option="bottom" if missing_last else "keep")
    return ranks.astype("Int64")


def rank_rows(x: np.ndarray) -> np.ndarray:
    """``rank`` for each row of a matrix at once (the Monte Carlo's replicates × units), as floats.

    Parameters
    ----------
    x : numpy.ndarray
        Rows × units; NaN for a unit without a value.

    Returns
    -------
    numpy.ndarray
        Same shape: per row, 1 = highest, ties share the better rank; NaN stays NaN.
    """
    nan = np.isnan(x)
    neg = np.where(nan, np.inf, -x)
    order = np.argsort(neg, axis=1, kind="stable")
    ordered = np.take_along_axis(neg, order, axis=1)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(x.shape[1]), 0), axis=1)
    out = np.empty(x.shape)
    np.put_along_axis(out, order, first + 1.0, axis=1)
    out[nan] = np.nan
    return out


def percentile_rank(values: Ranked) -> Ranked:
    """Percentile rank in (0, 100] among the values present: rank / n × 100, ties sharing their mean rank.

    Parameters
    ----------
    values : pandas.Series or pandas.DataFrame
        A frame is ranked column by column; missing values stay missing and do not count in n.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Floats, same index; the highest value gets 100.

    Examples
    --------
    >>> percentile_rank(pd.Series([1.0, 2.0, 2.0, 4.0])).tolist()
    [25.0, 62.5, 62.5, 100.0]
    """
    return values.rank(method="average", pct=True) * 100.0
