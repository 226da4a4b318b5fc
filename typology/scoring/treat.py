"""Outlier treatment (``scoring.treat``): flag heavy-tailed indicators, then winsorise or log.

An indicator is flagged when |skew| > ``skew`` and kurtosis > ``kurtosis`` (sample skewness and
excess kurtosis, the bias-corrected estimators of Excel's SKEW and KURT that the JRC's COIN tool
uses). Flags and bounds are fitted on observed values only; the fitted treatment is then applied
to the whole column, so an imputed cell is treated like its neighbours but never decides what is
treated. What was done to which indicator is kept in ``report_`` for the run log and the audit.

Flags with two values (0/1) are never treated: moving the top "point" of a 0/1 column to the next
value down would recode regions from 1 to 0, and a log of two values changes nothing after
normalisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.registry import Registry
from ..errors import TypologyError

TREATMENTS: Registry[type] = Registry("outlier treatment")
KEY = "scoring.treat"
FALLBACKS = ("log", "none")


def shape(x: pd.Series) -> tuple[float, float]:
    """(skewness, excess kurtosis) of the observed values; NaN when fewer than 4 or all equal."""
    x = x.dropna()
    if len(x) < 4 or x.nunique() < 2:
        return float("nan"), float("nan")
    return float(x.skew()), float(x.kurt())


def is_outlier(skew: float, kurtosis: float, skew_max: float, kurtosis_max: float) -> bool:
    return bool(abs(skew) > skew_max and kurtosis > kurtosis_max)  # NaN compares False: not flagged


@dataclass(frozen=True)
class Clip:
    """Winsorised: values beyond the bounds are set to the bounds."""

    lower: float
    upper: float

    def apply(self, x: pd.Series) -> pd.Series:
        return x.clip(self.lower, self.upper)


@dataclass(frozen=True)
class Log:
    """The COIN tool's log, log(x − min + a) with a = 1% of the range; mirrored for a left skew.

    Both forms are increasing in x, so the indicator's direction is kept. Values outside the
    observed range (imputed ones) are first capped to it so the log stays defined.
    """

    low: float
    high: float
    left: bool  # negative skew: −log(max + a − x)

    def apply(self, x: pd.Series) -> pd.Series:
        a = 0.01 * (self.high - self.low)
        x = x.clip(self.low, self.high)
        return -np.log(self.high + a - x) if self.left else np.log(x - self.low + a)


@dataclass
class Treatment:
    """What the treatment step did to one indicator."""

    indicator: str
    skew: float
    kurtosis: float
    outlier: bool
    action: str  # none | flagged | skipped | winsorised | log
    detail: str = ""
    points: list[str] = field(default_factory=list)  # unit codes whose values were changed by winsorising
    skew_after: float = float("nan")
    kurtosis_after: float = float("nan")

    def as_step(self) -> dict[str, Any]:
        def num(v: float) -> float | None:
            return None if np.isnan(v) else round(float(v), 6)

        return {"indicator": self.indicator, "skew": num(self.skew), "kurtosis": num(self.kurtosis),
                "outlier": self.outlier, "action": self.action, "detail": self.detail, "points": list(self.points),
                "skew_after": num(self.skew_after), "kurtosis_after": num(self.kurtosis_after)}


class _Treat:
    # ``fit`` decides each column from its own values, so dropping another indicator changes
    # nothing here (leave-one-out's matrix path relies on it); a subclass that fits otherwise says so.
    columnwise = True

    def __init__(self, skew: float = 2.0, kurtosis: float = 3.5, skip: Sequence[str] | None = None) -> None:
        self.skew = skew
        self.kurtosis = kurtosis
        self.skip = skip

    def _check(self, columns: pd.Index) -> None:
        for name in ("skew", "kurtosis"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise TypologyError(f"config key {KEY}.{name}: expected a number, got {value!r}")
        if self.skew <= 0:
            raise TypologyError(f"config key {KEY}.skew: expected a positive number, got {self.skew!r}")
        skip = self.skip or []
        if not isinstance(skip, list) or not all(isinstance(k, str) for k in skip):
            raise TypologyError(f"config key {KEY}.skip: expected a list of indicator keys, got {self.skip!r}")
        unknown = [k for k in skip if k not in columns]
        if unknown:
            raise TypologyError(f"config key {KEY}.skip: {unknown} are not indicators in use")

    def fit(self, X: pd.DataFrame) -> _Treat:
        """Decide per indicator from its observed values in ``X``."""
        self._check(X.columns)
        self.plans_: dict[str, Clip | Log] = {}
        self.report_: list[Treatment] = []
        for col in X.columns:
            x = X[col].dropna().astype(float)
            skew, kurt = shape(x)
            flagged = is_outlier(skew, kurt, self.skew, self.kurtosis)
            record = Treatment(col, skew, kurt, flagged, "none", skew_after=skew, kurtosis_after=kurt)
            if flagged and col in (self.skip or []):
                record.action, record.detail = "skipped", f"listed in {KEY}.skip"
            elif flagged and x.nunique() <= 2:
                record.action, record.detail = "skipped", "two values only (a flag): treating would recode regions"
            elif flagged:
                plan = self._plan(x, record)
                if plan is not None:
                    self.plans_[col] = plan
                    record.skew_after, record.kurtosis_after = shape(plan.apply(x))
            self.report_.append(record)
        return self

    def _plan(self, x: pd.Series, record: Treatment) -> Clip | Log | None:
        record.action, record.detail = "flagged", "not treated (method none)"
        return None

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.astype(float).copy()
        for col, plan in self.plans_.items():
            out[col] = plan.apply(out[col])
        return out

    def fit_transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return self.fit(X).transform(X)


def _log_plan(x: pd.Series, record: Treatment, why: str = "") -> Log:
    left = record.skew < 0
    record.action = "log"
    record.detail = (why + "; " if why else "") + ("−log(max + a − x)" if left else "log(x − min + a)") \
        + ", a = 1% of the range"
    return Log(float(x.min()), float(x.max()), left)


@TREATMENTS.register("none")
class FlagOnly(_Treat):
    """Flags outliers for the audit and leaves every value as it is."""


@TREATMENTS.register("log")
class LogTransform(_Treat):
    """Log-transforms each flagged indicator (the COIN tool's log, mirrored for a left skew)."""

    def _plan(self, x: pd.Series, record: Treatment) -> Log:
        return _log_plan(x, record)


@TREATMENTS.register("winsorise")
class Winsorise(_Treat):
    """Winsorises each flagged indicator, one extreme point at a time, up to ``max_points`` units.

    The point furthest out on the side of the skew takes the value of the next point in, until
    the indicator is no longer flagged. If ``max_points`` is not enough, ``fallback: log`` logs the
    original values instead (as COINr does), ``fallback: none`` keeps the winsorised values and
    says the indicator is still flagged.
    """

    def __init__(self, skew: float = 2.0, kurtosis: float = 3.5, skip: Sequence[str] | None = None,
                 max_points: int = 5, fallback: str = "log") -> None:
        super().__init__(skew, kurtosis, skip)
        self.max_points = max_points
        self.fallback = fallback

    def _check(self, columns: pd.Index) -> None:
        super()._check(columns)
        if isinstance(self.max_points, bool) or not isinstance(self.max_points, int) or self.max_points < 1:
            raise TypologyError(f"config key {KEY}.max_points: expected a positive whole number, got "
                                f"{self.max_points!r}")
        if self.fallback not in FALLBACKS:
            raise TypologyError(f"config key {KEY}.fallback: unknown value {self.fallback!r}; expected one of "
                                f"{', '.join(FALLBACKS)}")

    def _plan(self, x: pd.Series, record: Treatment) -> Clip | Log:
        y, points, done = winsorise(x, self.max_points, self.skew, self.kurtosis)
        if not done and self.fallback == "log":
            skew, kurt = shape(y)
            return _log_plan(x, record, f"winsorising {len(points)} points left skew {skew:.2f}, "
                                        f"kurtosis {kurt:.2f}; log transform instead")
        record.action = "winsorised"
        record.points = points
        record.detail = f"{len(points)} points ({', '.join(points)})" \
            + ("" if done else f"; still flagged after {self.max_points} points")
        return Clip(float(y.min()), float(y.max()))


def winsorise(x: pd.Series, max_points: int, skew_max: float, kurtosis_max: float,
              ) -> tuple[pd.Series, list[str], bool]:
    """Winsorise ``x`` (no NaN) until it is not flagged or ``max_points`` units have been moved.

    Returns the new values, the labels of the units moved (in the order they were moved), and
    whether the indicator is within the thresholds. Ties at the extreme move together.
    """
    y = x.astype(float).copy()
    moved: list[str] = []
    while True:
        skew, kurt = shape(y)
        if not is_outlier(skew, kurt, skew_max, kurtosis_max):
            return y, moved, True
        high = skew > 0
        extreme = y.max() if high else y.min()
        at = y.index[y == extreme]
        rest = y[y != extreme]
        new = [str(i) for i in at if str(i) not in moved]
        if rest.empty or len(moved) + len(new) > max_points:
            return y, moved, False
        y[at] = rest.max() if high else rest.min()
        moved += new
