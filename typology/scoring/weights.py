"""Weighting (``scoring.weights``): indicator weights within each dimension, dimension weights in the composite.

Weights are always normalised: the indicator weights of each dimension sum to 1, and the
dimension weights sum to 1. The weights in use go to the run log, ``indicators.csv`` and the audit.

- ``equal``: every indicator of a dimension the same, every dimension the same.
- ``explicit``: ``indicators: {key: w}`` and ``dimensions: {dim: w}``; anything not named weighs 1.
- ``pca``: within each dimension, the squared loadings of the first principal component of the
  indicators' correlation matrix (the OECD/JRC Handbook's factor-analysis weights with one
  factor kept; they sum to 1 by construction). The sign of a loading does not enter the weight,
  so an indicator that pulls against the others still counts; the audit names such indicators.
  Dimension weights are equal unless ``dimensions`` gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.registry import Registry
from ..errors import TypologyError

WEIGHTINGS: Registry[type] = Registry("weighting")
KEY = "scoring.weights"


def indicator_weights(keys: list[str], explicit: Mapping[str, float], where: str) -> pd.Series:
    """Weights of ``keys``: 1 unless ``explicit`` says otherwise, then normalised to sum to 1."""
    unknown = [k for k in explicit if k not in keys]
    if unknown:
        raise TypologyError(f"config key {where}: weights given for {unknown}, which are not in use here")
    raw = {}
    for k in keys:
        value = explicit.get(k, 1.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise TypologyError(f"config key {where}.{k}: expected a number, got {value!r}")
        raw[k] = float(value)
    series = pd.Series(raw, dtype=float)
    if (series < 0).any() or series.sum() <= 0:
        raise TypologyError(f"config key {where}: weights must be non-negative and not all zero")
    return series / series.sum()


def first_component(frame: pd.DataFrame) -> tuple[pd.Series, float, int]:
    """PC1 of the correlation matrix over complete rows: (loadings, variance share, rows used).

    Loadings are the unit-length eigenvector, signed so that they sum to a non-negative number;
    the variance share is the largest eigenvalue over the number of indicators.
    """
    complete = frame.dropna()
    k = frame.shape[1]
    if k == 1:
        return pd.Series(1.0, index=frame.columns), 1.0, len(complete)
    if len(complete) < 3 or (complete.std(ddof=0) == 0).any():
        nan = pd.Series(np.nan, index=frame.columns)
        return nan, float("nan"), len(complete)
    corr = np.corrcoef(complete.to_numpy(dtype=float), rowvar=False)
    values, vectors = np.linalg.eigh(corr)
    vector = vectors[:, -1]
    if vector.sum() < 0:
        vector = -vector
    return pd.Series(vector, index=frame.columns), float(values[-1] / k), len(complete)


def _mapping(value: Any, name: str) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypologyError(f"config key {KEY}.{name}: expected a mapping key: weight, got {value!r}")
    return dict(value)


class _Weighting:
    uses = ("indicators", "dimensions")

    def __init__(self, indicators: Mapping[str, float] | None = None,
                 dimensions: Mapping[str, float] | None = None) -> None:
        self.indicators = indicators
        self.dimensions = dimensions

    def fit(self, X: pd.DataFrame, dimension_of: Mapping[str, str], dimensions: list[str]) -> _Weighting:
        """``X``: the normalised indicators; ``dimension_of``: indicator → dimension."""
        given = {"indicators": _mapping(self.indicators, "indicators"),
                 "dimensions": _mapping(self.dimensions, "dimensions")}
        for name, mapping in given.items():
            if mapping and name not in self.uses:
                users = [m for m in WEIGHTINGS.names() if name in WEIGHTINGS.get(m, KEY).uses]
                raise TypologyError(f"config key {KEY}.{name}: given, but {KEY}.method {self.method!r} does not "
                                    f"use it; methods that do: {', '.join(users)}")
        unknown = [k for k in given["indicators"] if k not in X.columns]
        if unknown:
            raise TypologyError(f"config key {KEY}.indicators: {unknown} are not indicators in use")
        self.details_: dict[str, Any] = {}
        parts = []
        for dim in dimensions:
            keys = [k for k in X.columns if dimension_of[k] == dim]
            parts.append(self._within(X[keys], dim, given["indicators"]))
        self.indicator_weights_ = pd.concat(parts)
        self.dimension_weights_ = indicator_weights(dimensions, given["dimensions"], f"{KEY}.dimensions")
        return self

    def _within(self, X: pd.DataFrame, dim: str, explicit: dict[str, float]) -> pd.Series:
        keys = list(X.columns)
        return indicator_weights(keys, {k: v for k, v in explicit.items() if k in keys}, f"{KEY}.indicators")

    @property
    def method(self) -> str:
        return next(m for m in WEIGHTINGS.names() if WEIGHTINGS.get(m, KEY) is type(self))


@WEIGHTINGS.register("equal")
class EqualWeights(_Weighting):
    uses = ()
    words = ("차원 안에서 지표별 동일 가중치", "equal weights for the indicators within a dimension")


@WEIGHTINGS.register("explicit")
class ExplicitWeights(_Weighting):
    uses = ("indicators", "dimensions")
    words = ("설정 파일에 적은 가중치 (차원 안에서 합 1로 맞춤)",
             "weights given in the config (rescaled to sum to 1 within a dimension)")


@WEIGHTINGS.register("pca")
class PCAWeights(_Weighting):
    uses = ("dimensions",)
    words = ("주성분 가중치: 차원마다 지표 상관행렬의 제1주성분 적재값의 제곱 (차원 안에서 합 1)",
             "PCA: within each dimension, the squared loadings of the first principal component of the "
             "indicators' correlation matrix (they sum to 1)")

    def _within(self, X: pd.DataFrame, dim: str, explicit: dict[str, float]) -> pd.Series:
        loadings, share, rows = first_component(X)
        if loadings.isna().any():
            raise TypologyError(f"config key {KEY}.method: pca cannot weight dimension {dim!r}: fewer than 3 units "
                                f"have all of {list(X.columns)}, or one of them does not vary")
        self.details_[dim] = {"loadings": {k: round(float(v), 6) for k, v in loadings.items()},
                              "pc1_share": round(share, 6), "rows": rows}
        squared = loadings**2
        return squared / squared.sum()
