"""Imputation (``scoring.impute``): fill missing indicator values, flag every filled cell.

Every imputer is fitted on the observed values and only ever fills cells that are missing:
``fit_transform`` puts the observed values back on top of whatever the method returns, so no
method can change an observed value. Which cells were filled is returned with the values, so
the run can list them per unit and count them in the audit.

Imputation runs after the data-availability rule is decided (``scoring.min_share`` counts
observed values only), so a unit is never given a dimension score on imputed values alone.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..core.registry import Registry
from ..errors import TypologyError

IMPUTERS: Registry[type] = Registry("imputation")
KEY = "scoring.impute"


class _Imputer:
    needs_groups = False
    # Whether a column's filled values come from that column alone (leave-one-out's matrix path
    # relies on it: dropping another indicator then changes nothing here).
    columnwise = False

    def fit(self, X: pd.DataFrame, groups: pd.Series | None = None) -> _Imputer:
        return self

    def _fill(self, X: pd.DataFrame) -> pd.DataFrame:
        return X

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        # Observed values win over anything the method returns.
        return X.where(X.notna(), self._fill(X))

    def fit_transform(self, X: pd.DataFrame, groups: pd.Series | None = None) -> pd.DataFrame:
        return self.fit(X, groups).transform(X)

    def details(self) -> dict[str, Any]:
        return {}


@IMPUTERS.register("none")
class NoImputation(_Imputer):
    """Leaves missing values missing; aggregation then uses the indicators a unit has."""

    columnwise = True


class _Statistic(_Imputer):
    stat = "mean"
    columnwise = True

    def fit(self, X: pd.DataFrame, groups: pd.Series | None = None) -> _Statistic:
        self.values_ = X.agg(self.stat)
        return self

    def _fill(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.fillna(self.values_)


@IMPUTERS.register("mean")
class MeanImputation(_Statistic):
    """The national mean of the indicator."""

    stat = "mean"


@IMPUTERS.register("median")
class MedianImputation(_Statistic):
    """The national median of the indicator."""

    stat = "median"


class _GroupStatistic(_Imputer):
    """The mean or median of the indicator within the unit's 시도.

    A 시도 with no observed value for the indicator (세종 and 제주 are each a 시도 of one unit)
    falls back to the national value; those cells are counted in ``details()``.
    """

    needs_groups = True
    stat = "mean"
    columnwise = True

    def fit(self, X: pd.DataFrame, groups: pd.Series | None = None) -> _GroupStatistic:
        if groups is None:
            raise TypologyError(f"config key {KEY}.method: group imputation needs the 시도 of every unit")
        self.groups_ = groups.reindex(X.index)
        if self.groups_.isna().any():
            raise TypologyError(f"config key {KEY}.method: no 시도 for units {list(X.index[self.groups_.isna()])}")
        self.group_values_ = X.groupby(self.groups_).agg(self.stat)
        self.national_ = X.agg(self.stat)
        return self

    def _fill(self, X: pd.DataFrame) -> pd.DataFrame:
        by_unit = self.group_values_.reindex(self.groups_.to_numpy())
        by_unit.index = X.index
        self.fallback_ = {c: int((X[c].isna() & by_unit[c].isna()).sum()) for c in X.columns}
        return X.fillna(by_unit).fillna(self.national_)

    def details(self) -> dict[str, Any]:
        return {"national_fallback": {k: v for k, v in getattr(self, "fallback_", {}).items() if v}}


@IMPUTERS.register("group_mean")
class GroupMeanImputation(_GroupStatistic):
    stat = "mean"


@IMPUTERS.register("group_median")
class GroupMedianImputation(_GroupStatistic):
    stat = "median"


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise TypologyError(f"config key {KEY}.k: expected a positive whole number, got {k!r}")
    return k


class _Standardised(_Imputer):
    """Works on z-scores of the observed values, so no indicator dominates by its unit."""

    def _standardise(self, X: pd.DataFrame) -> None:
        self.mean_ = X.mean()
        self.scale_ = X.std(ddof=0).replace(0, 1.0).fillna(1.0)

    def _z(self, X: pd.DataFrame) -> np.ndarray:
        # A writable copy: scikit-learn writes into its input, pandas may hand out read-only views.
        return np.array((X - self.mean_) / self.scale_, dtype=float, copy=True)

    def _model_fill(self, Z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _fill(self, X: pd.DataFrame) -> pd.DataFrame:
        Z = self._z(X)
        filled = self._model_fill(Z)
        return pd.DataFrame(filled, index=X.index, columns=X.columns) * self.scale_ + self.mean_


@IMPUTERS.register("knn")
class KNNImputation(_Standardised):
    """The mean of the ``k`` units nearest on the other indicators (z-scores, NaN-aware Euclidean)."""

    def __init__(self, k: int = 5) -> None:
        self.k = k

    def fit(self, X: pd.DataFrame, groups: pd.Series | None = None) -> KNNImputation:
        from sklearn.impute import KNNImputer

        _check_k(self.k)
        self._standardise(X)
        self.model_ = KNNImputer(n_neighbors=self.k, keep_empty_features=True).fit(self._z(X))
        return self

    def _model_fill(self, Z: np.ndarray) -> np.ndarray:
        return self.model_.transform(Z)


@IMPUTERS.register("regression")
class RegressionImputation(_Standardised):
    """Each indicator regressed on the others, in turn (scikit-learn's IterativeImputer, BayesianRidge).

    ``seed`` fixes the order-breaking randomness, so the same data give the same values.
    """

    def __init__(self, seed: int = 0, max_iter: int = 25) -> None:
        self.seed = seed
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame, groups: pd.Series | None = None) -> RegressionImputation:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401 - enables the import below
        from sklearn.impute import IterativeImputer

        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypologyError(f"config key {KEY}.seed: expected a whole number, got {self.seed!r}")
        self._standardise(X)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            self.model_ = IterativeImputer(max_iter=self.max_iter, random_state=self.seed,
                                           keep_empty_features=True).fit(self._z(X))
        self.converged_ = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        return self

    def _model_fill(self, Z: np.ndarray) -> np.ndarray:
        return self.model_.transform(Z)

    def details(self) -> dict[str, Any]:
        return {"converged": self.converged_, "iterations": int(self.model_.n_iter_)}
