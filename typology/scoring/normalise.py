"""Normalisation methods, as small estimators chosen by name (``scoring.normalise.method``).

Each works column by column, ignores NaN when fitting, and leaves NaN in place. Direction
(−1: lower raw values are better) is applied so that the method's scale is kept: a flipped
min-max value is still in [0, 100] (lower + upper − value), rank methods rank −x. For every
method, higher always means "better".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.ranks import percentile_rank
from ..core.registry import Registry
from ..errors import TypologyError

NORMALISERS: Registry[type] = Registry("normalisation")
KEY = "scoring.normalise"


def check_range(value: Any, key: str = f"{KEY}.range") -> tuple[float, float]:
    """A target interval ``[lower, upper]`` with lower < upper."""
    ok = isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2
    if ok:
        try:
            lower, upper = float(value[0]), float(value[1])
        except (TypeError, ValueError):
            ok = False
        else:
            ok = bool(np.isfinite([lower, upper]).all() and lower < upper)
    if not ok:
        raise TypologyError(f"config key {key}: expected two numbers [lower, upper] with lower < upper, got {value!r}")
    return lower, upper


class _Normaliser:
    # Whether each column is fitted and transformed on its own values (leave-one-out's matrix path
    # relies on it); every method here is, a method registered elsewhere says so itself.
    columnwise = False

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

    columnwise = True

    words = ("z-점수: 전국 평균을 빼고 표준편차로 나눈다 (평균 0, 표준편차 1)",
             "z-score: minus the national mean, divided by the standard deviation")
    reading = ("z-점수", "0 = 전국 평균, +1 = 평균보다 표준편차 1만큼 높음",
               "z-score: 0 = national mean, +1 = one standard deviation above it")

    def fit(self, X: pd.DataFrame) -> ZScore:
        self.mean_ = X.mean()
        self.scale_ = X.std(ddof=0).replace(0, np.nan)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return (X - self.mean_) / self.scale_


@NORMALISERS.register("minmax")
class MinMax(_Normaliser):
    """Rescaled to ``range`` (default [0, 100]): the minimum region scores lower, the maximum upper.

    A range such as [1, 100] keeps every value positive, which the geometric mean needs.
    """

    columnwise = True

    words = ("최소-최대: 가장 낮은 지역 0, 가장 높은 지역 100", "min-max: lowest region 0, highest 100")
    reading = ("0–100", "가장 낮은 지역 0, 가장 높은 지역 100", "min-max: lowest region 0, highest 100")

    def __init__(self, range: Sequence[float] = (0.0, 100.0)) -> None:
        self.range = range

    def fit(self, X: pd.DataFrame) -> MinMax:
        self.lower_, self.upper_ = check_range(self.range)
        self.min_ = X.min()
        self.span_ = (X.max() - X.min()).replace(0, np.nan)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return self.lower_ + (X - self.min_) / self.span_ * (self.upper_ - self.lower_)

    def orient(self, Z: pd.DataFrame, directions: pd.Series) -> pd.DataFrame:
        return _flip(Z, directions, self.lower_ + self.upper_ - Z)


class _RankBased(_Normaliser):
    """Ranks are taken of direction × x, so a flipped rank is exact and ties stay ties."""

    columnwise = True

    def fit_transform(self, X: pd.DataFrame, directions: pd.Series | None = None) -> pd.DataFrame:
        if directions is not None:
            X = X * directions.reindex(X.columns).fillna(1).apply(np.sign)
        return self.fit(X).transform(X)

    def fit(self, X: pd.DataFrame) -> _RankBased:
        self.n_ = X.notna().sum()
        return self


@NORMALISERS.register("rank")
class Rank(_RankBased):
    """Rank among the units observed: 1 for the worst, n for the best; ties share their mean rank."""

    words = ("순위: 관측된 지역 가운데 가장 나쁜 지역 1, 가장 좋은 지역 n (n = 관측 지역 수, 같은 값은 평균 순위)",
             "rank among the regions observed: 1 for the worst, n for the best (n = regions observed; ties share "
             "their mean rank)")
    reading = ("순위 점수", "낮은 지역 1 … 높은 지역 n", "rank: 1 for the lowest … n for the highest")

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.rank(method="average")


@NORMALISERS.register("percentile")
class PercentileRank(_RankBased):
    """Percentile rank in (0, 100]: rank / n × 100, n = units observed; ties share their mean rank."""

    words = ("백분위 순위 (0–100]: 순위 ÷ 관측 지역 수 × 100 (같은 값은 평균 순위)",
             "percentile rank in (0, 100]: rank / n × 100, n = regions observed (ties share their mean rank)")
    reading = ("백분위", "백분위 순위 (0–100], 50 = 가운데", "percentile rank in (0, 100], 50 = the middle")

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return percentile_rank(X)


@NORMALISERS.register("distance_to_mean")
class DistanceToMean(_Normaliser):
    """Distance to a reference, the national mean: x / mean × 100, so the mean region scores 100.

    Written as 100 + 100 · (x − mean) / |mean|, which is the same for a positive mean and keeps
    the order for a negative one (population decline). Direction −1 mirrors around 100
    (200 − value): as far below the mean as the raw value is above it.
    """

    columnwise = True

    words = ("전국 평균 대비 거리: 평균 지역이 100", "distance to the mean: the mean region scores 100")
    reading = ("평균 = 100", "전국 평균 지역이 100", "distance to the mean: the mean region scores 100")

    def fit(self, X: pd.DataFrame) -> DistanceToMean:
        self.mean_ = X.mean()
        self.scale_ = self.mean_.abs().replace(0, np.nan)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return 100.0 + 100.0 * (X - self.mean_) / self.scale_

    def orient(self, Z: pd.DataFrame, directions: pd.Series) -> pd.DataFrame:
        return _flip(Z, directions, 200.0 - Z)


@NORMALISERS.register("goalposts")
class Goalposts(_Normaliser):
    """Fixed goalposts per indicator, in raw units: ``{indicator: [worst, best]}`` given low → high.

    Values are capped at the goalposts and mapped onto ``range`` (default [0, 100]), so a score
    means the same thing whichever regions are in the data.
    """

    columnwise = True

    words = ("고정 목표치(goalposts): 지표마다 설정한 원값 [하한, 상한]을 정규화 범위의 양 끝(기본 0과 100)에 "
             "맞추고 그 밖의 값은 하한·상한에서 자른다",
             "goalposts: each indicator's fixed raw [low, high] from the config mapped onto the ends of the range "
             "(default 0 and 100), values beyond them capped")
    reading = ("기준점 점수", "설정의 기준점(goalposts) 사이 위치", "position between the config's goalposts")

    def __init__(self, goalposts: Mapping[str, Sequence[float]] | None = None,
                 range: Sequence[float] = (0.0, 100.0)) -> None:
        self.goalposts = goalposts
        self.range = range

    def fit(self, X: pd.DataFrame) -> Goalposts:
        self.lower_, self.upper_ = check_range(self.range)
        given = self.goalposts or {}
        if not isinstance(given, Mapping):
            raise TypologyError(f"config key {KEY}.goalposts: expected a mapping indicator: [low, high], got {given!r}")
        unknown = sorted(set(given) - set(X.columns))
        if unknown:
            raise TypologyError(f"config key {KEY}.goalposts: given for {unknown}, which are not indicators in use")
        missing = [c for c in X.columns if c not in given]
        if missing:
            raise TypologyError(f"config key {KEY}.goalposts: method goalposts needs [low, high] for every indicator "
                                f"in use; missing for {missing}")
        posts = {c: check_range(given[c], f"{KEY}.goalposts.{c}") for c in X.columns}
        self.low_ = pd.Series({c: p[0] for c, p in posts.items()})
        self.high_ = pd.Series({c: p[1] for c, p in posts.items()})
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        share = ((X - self.low_) / (self.high_ - self.low_)).clip(0.0, 1.0)
        return self.lower_ + share * (self.upper_ - self.lower_)

    def orient(self, Z: pd.DataFrame, directions: pd.Series) -> pd.DataFrame:
        return _flip(Z, directions, self.lower_ + self.upper_ - Z)
