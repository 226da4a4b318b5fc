"""Normalisation methods, as small estimators chosen by name.

Each works column by column, ignores NaN when fitting, and leaves NaN in place. Direction
is applied after scaling so that, for every method, higher always means "better".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .registry import Registry

NORMALISERS: Registry[type] = Registry("normalisation")


class _Normaliser:
    higher_is_better_max: float | None = None  # the value "best" maps to, for flipping

    def fit(self, X: pd.DataFrame) -> _Normaliser:
        raise NotImplementedError

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        raise NotImplementedError

    def fit_transform(self, X: pd.DataFrame, directions: pd.Series | None = None) -> pd.DataFrame:
        out = self.fit(X).transform(X)
        if directions is not None:
            out = self.orient(out, directions.reindex(out.columns).fillna(1))
        return out

    def orient(self, Z: pd.DataFrame, directions: pd.Series) -> pd.DataFrame:
        return Z * directions


def _flip(Z: pd.DataFrame, directions: pd.Series, flipped: pd.DataFrame) -> pd.DataFrame:
    out = Z.copy()
    negative = [c for c in Z.columns if directions[c] < 0]
    out[negative] = flipped[negative]
    return out


@NORMALISERS.register("zscore")
class ZScore(_Normaliser):
    """(x - mean) / standard deviation (population SD, ddof=0)."""

    def fit(self, X: pd.DataFrame) -> ZScore:
        self.mean_ = X.mean()
        self.scale_ = X.std(ddof=0).replace(0, np.nan)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return (X - self.mean_) / self.scale_


@NORMALISERS.register("minmax")
class MinMax(_Normaliser):
    """Rescaled to [0, 100]: the minimum region scores 0 and the maximum 100."""

    def fit(self, X: pd.DataFrame) -> MinMax:
        self.min_ = X.min()
        self.range_ = (X.max() - X.min()).replace(0, np.nan)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return (X - self.min_) / self.range_ * 100.0

    def orient(self, Z: pd.DataFrame, directions: pd.Series) -> pd.DataFrame:
        return _flip(Z, directions, 100.0 - Z)


@NORMALISERS.register("rank")
class PercentileRank(_Normaliser):
    """Percentile rank in (0, 100]; ties share their average rank."""

    def fit(self, X: pd.DataFrame) -> PercentileRank:
        self.n_ = X.notna().sum()
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.rank(method="average", pct=True) * 100.0

    def orient(self, Z: pd.DataFrame, directions: pd.Series) -> pd.DataFrame:
        return _flip(Z, directions, (100.0 + 100.0 / self.n_.reindex(Z.columns)) - Z)


@NORMALISERS.register("distance_to_mean")
class DistanceToMean(_Normaliser):
    """x / national mean × 100: the mean region scores 100."""

    def fit(self, X: pd.DataFrame) -> DistanceToMean:
        self.mean_ = X.mean().replace(0, np.nan)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return 100.0 * X / self.mean_

    def orient(self, Z: pd.DataFrame, directions: pd.Series) -> pd.DataFrame:
        return _flip(Z, directions, 200.0 - Z)
