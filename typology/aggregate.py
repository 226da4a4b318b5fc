"""Weights and aggregation: indicators → dimension scores → composite.

A unit gets a dimension score only when the indicators it has carry at least ``min_share``
of the dimension's weight; otherwise the score is missing and the reason is recorded.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .errors import TypologyError
from .registry import Registry

Aggregator = Callable[[pd.DataFrame, pd.Series], pd.Series]
AGGREGATORS: Registry[Aggregator] = Registry("aggregation")


@AGGREGATORS.register("arithmetic")
def arithmetic(values: pd.DataFrame, weights: pd.Series) -> pd.Series:
    w = values.notna() * weights
    return (values.fillna(0) * weights).sum(axis=1) / w.sum(axis=1).replace(0, np.nan)


@AGGREGATORS.register("geometric")
def geometric(values: pd.DataFrame, weights: pd.Series) -> pd.Series:
    if (values <= 0).any().any():
        col = values.columns[(values <= 0).any()][0]
        raise TypologyError(
            f"config key scoring.aggregate.method: geometric needs positive inputs, but {col!r} has values "
            f"<= 0; choose scoring.normalise.method=rank or distance_to_mean, whose values are positive"
        )
    w = values.notna() * weights
    logs = np.log(values.where(values > 0)).fillna(0) * weights
    return np.exp(logs.sum(axis=1) / w.sum(axis=1).replace(0, np.nan))


def indicator_weights(keys: list[str], explicit: dict[str, float], where: str) -> pd.Series:
    """Equal weights unless the config gives some; always normalised to sum to 1."""
    unknown = [k for k in explicit if k not in keys]
    if unknown:
        raise TypologyError(f"config key {where}: weights given for {unknown}, which are not in use here")
    raw = pd.Series({k: float(explicit.get(k, 1.0)) for k in keys})
    if (raw < 0).any() or raw.sum() <= 0:
        raise TypologyError(f"config key {where}: weights must be non-negative and not all zero")
    return raw / raw.sum()


def score_dimension(values: pd.DataFrame, weights: pd.Series, method: str, min_share: float,
                    ) -> tuple[pd.Series, pd.Series]:
    """Return (score, share of weight observed) per unit; score is NaN below ``min_share``."""
    share = (values.notna() * weights).sum(axis=1)
    score = AGGREGATORS.get(method, "scoring.aggregate.method")(values, weights)
    return score.where(share + 1e-12 >= min_share), share
