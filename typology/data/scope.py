"""``units.scope``: the units a run types, chosen by 시도, by class (시, 군, 자치구) or by code.

Everything after the load is relative to the scope: normalisation, rule thresholds, clustering
and its k, the bootstrap and the Monte Carlo see only the units in it. The units outside it are
not lost: each is listed in exclusions.csv with the scope as its reason, and the maps show them
greyed out around it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import TypologyError
from .units import RegionMatcher

SCOPE_KEYS = ("sido", "class", "codes")
# Scores are relative to the scope: one or two units have no spread to normalise against.
MIN_UNITS = 3


@dataclass(frozen=True)
class Scope:
    """The selected units (``codes``, in the unit table's order) and how the config chose them."""

    spec: dict[str, list[str]] | None
    codes: tuple[str, ...]
    total: int

    @property
    def whole(self) -> bool:
        return self.spec is None

    def describe_ko(self) -> str:
        if self.spec is None:
            return f"전국 {self.total}개 지방자치단체"
        return f"{_parts(self.spec, ko=True)}: {len(self.codes)}개 (전국 {self.total}개 중)"

    def describe_en(self) -> str:
        if self.spec is None:
            return f"all {self.total} local governments"
        return f"{_parts(self.spec, ko=False)}: {len(self.codes)} of {self.total} local governments"


def _parts(spec: dict[str, list[str]], ko: bool) -> str:
    labels = {"sido": ("시도", "sido"), "class": ("유형", "class"), "codes": ("코드", "codes")}
    return "; ".join(f"{labels[k][0 if ko else 1]} {', '.join(v) if k != 'codes' or len(v) <= 6 else f'{len(v)}개'}"
                     for k, v in spec.items())


def select(units: pd.DataFrame, raw: dict[str, Any] | None, matcher: RegionMatcher) -> Scope:
    """The units ``raw`` (the config's ``units.scope``) selects; every name in it must select something."""
    if not raw:
        return Scope(None, tuple(units["code"]), len(units))
    unknown = [k for k in raw if k not in SCOPE_KEYS]
    if unknown:
        raise TypologyError(f"config key units.scope.{unknown[0]}: unknown; expected one of {', '.join(SCOPE_KEYS)}")
    keep = pd.Series(True, index=units.index)
    spec: dict[str, list[str]] = {}
    for key in SCOPE_KEYS:
        if key not in raw:
            continue
        values = [str(v).strip() for v in raw[key]]
        if not values:
            raise TypologyError(f"config key units.scope.{key}: expected at least one value, got []")
        values, held = _CONDITIONS[key](units, values, matcher)
        keep &= held
        spec[key] = values
    chosen = tuple(units.loc[keep, "code"])
    if not chosen:
        raise TypologyError(f"config key units.scope: {raw!r} selects no unit (all conditions given must hold)")
    if len(chosen) < MIN_UNITS:
        raise TypologyError(f"config key units.scope: {raw!r} selects {len(chosen)} unit(s) ({', '.join(chosen)}); "
                            f"scores are relative to the scope, so it needs at least {MIN_UNITS} units")
    return Scope(spec, chosen, len(units))


# Each scope key's condition: the values as the scope records them, and which units meet it.
Condition = Callable[[pd.DataFrame, list[str], RegionMatcher], tuple[list[str], pd.Series]]


def _in_sido(units: pd.DataFrame, values: list[str], matcher: RegionMatcher) -> tuple[list[str], pd.Series]:
    codes = [matcher.sido_code(v) for v in values]
    bad = [v for v, c in zip(values, codes) if c is None]
    if bad:
        raise TypologyError(f"config key units.scope.sido: {bad[0]!r} is not a 시도 name; expected e.g. "
                            f"서울특별시, 서울 or Seoul")
    # a merged 시도 (전남광주통합특별시) stands for its members
    return values, units["sido_code"].isin([m for c in codes if c for m in matcher.sido_members(c)])


def _of_class(units: pd.DataFrame, values: list[str], matcher: RegionMatcher) -> tuple[list[str], pd.Series]:
    kinds = sorted(set(units["kind"]))
    bad = [v for v in values if v not in kinds]
    if bad:
        raise TypologyError(f"config key units.scope.class: {bad[0]!r}; expected some of {', '.join(kinds)}")
    return values, units["kind"].isin(values)


def _with_code(units: pd.DataFrame, values: list[str], matcher: RegionMatcher) -> tuple[list[str], pd.Series]:
    values = [v.zfill(5) if v.isdigit() else v for v in values]
    bad = [v for v in values if v not in set(units["code"])]
    if bad:
        raise TypologyError(f"config key units.scope.codes: {bad[0]!r} is not a unit code (5-digit KOSTAT "
                            f"code of a 자치단체, as in scores.csv)")
    return values, units["code"].isin(values)


_CONDITIONS: dict[str, Condition] = {"sido": _in_sido, "class": _of_class, "codes": _with_code}


def outside(units: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """exclusions.csv rows for the units a scope leaves out."""
    out = units[~units["code"].isin(scope.codes)]
    reason = f"outside units.scope ({scope.describe_en()})"
    return pd.DataFrame({"code": out["code"], "name": out["name_ko"], "sido": out["sido_ko"],
                         "excluded_from": "run (scope)", "reason": reason})
