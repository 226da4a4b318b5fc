"""Criteria declared in advance (``validation.criteria``): convergent and discriminant checks.

An entry is a variable or indicator name (reported, nothing expected), or a mapping::

    {variable: presidential_turnout, axis: society, expect: positive, source: "NEC 2022"}

declaring, before the run, the sign its rank correlation with ``axis`` should have and where the
measure comes from. The audit reports each criterion's Spearman ρ with every axis and the
composite, with n (``measure: criterion``), and for a declared one whether it holds
(``measure: convergent``: ρ has the expected sign and p < 0.05), and whether its axis relates to
it more strongly, in absolute value, than every other axis does (``measure: discriminant``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtr

from ..core.settings import RunSettings, as_settings, thaw
from ..errors import TypologyError

KEY = "validation.criteria"
EXPECT = {"positive": 1, "negative": -1}
ENTRY_KEYS = {"variable", "expect", "axis", "source"}
ALPHA = 0.05


@dataclass(frozen=True)
class Criterion:
    variable: str
    expect: str | None = None
    axis: str | None = None
    source: str = ""


def criteria_specs(config: RunSettings | Mapping[str, Any]) -> list[Criterion]:
    """Every entry of ``validation.criteria`` as a ``Criterion``; a malformed one is one line naming it."""
    settings = as_settings(config)
    axes = settings.typology.axes or {}
    out = []
    for i, entry in enumerate(thaw(settings.validation.criteria)):
        where = f"config key {KEY}[{i}]"
        if isinstance(entry, str):
            out.append(Criterion(entry))
            continue
        odd = sorted(set(map(str, entry)) - ENTRY_KEYS)
        if odd:
            raise TypologyError(f"{where}: unknown keys {odd}; expected some of {sorted(ENTRY_KEYS)}")
        if not isinstance(entry.get("variable"), str) or not entry["variable"]:
            raise TypologyError(f"{where}.variable: expected a variable or indicator name")
        expect = entry.get("expect")
        if expect is not None and expect not in EXPECT:
            raise TypologyError(f"{where}.expect: expected positive or negative, got {expect!r}")
        axis = entry.get("axis")
        if expect is not None and axis not in axes:
            raise TypologyError(f"{where}.axis: an expected sign needs the axis it is expected on, one of "
                                f"{list(axes)}; got {axis!r}")
        source = entry.get("source", "")
        if not isinstance(source, str):
            raise TypologyError(f"{where}.source: expected text")
        out.append(Criterion(entry["variable"], expect, axis, source.strip()))
    return out


def criteria_names(config: RunSettings | Mapping[str, Any]) -> list[str]:
    return [c.variable for c in criteria_specs(config)]


def spearman(x: pd.Series, y: pd.Series) -> tuple[float, float, int]:
    """Spearman's ρ, its two-sided p-value and n, over units with both observed.

    As ``scipy.stats.spearmanr`` gives them: ρ is the Pearson r of the average ranks, and the p-value
    is Student's t with n − 2 degrees of freedom of t = ρ √((n − 2) / (1 − ρ²)) (0 when |ρ| = 1).
    Computed here because importing scipy.stats cost a run more than a second.
    """
    both = pd.concat([x, y], axis=1).dropna().astype(float)
    if len(both) < 3 or both.iloc[:, 0].nunique() < 2 or both.iloc[:, 1].nunique() < 2:
        return float("nan"), float("nan"), len(both)
    # Ranks as one (n, 2) array, the layout spearmanr hands np.corrcoef, so that the sums run in the same order.
    ranks = np.ascontiguousarray(both.rank().to_numpy())
    rho = np.corrcoef(ranks, rowvar=False)[1, 0]
    dof = len(both) - 2
    with np.errstate(divide="ignore"):  # |ρ| = 1: t is infinite and p is 0
        t = rho * np.sqrt((dof / ((rho + 1.0) * (1.0 - rho))).clip(0))
    return float(rho), float(2 * stdtr(dof, -np.abs(t))), len(both)


def _row(measure: str, target: str, against: str, statistic: str, value: float, n: int, flag: str = "",
         detail: str = "") -> dict[str, Any]:
    return {"measure": measure, "target": target, "against": against, "statistic": statistic,
            "value": None if value is None or np.isnan(value) else round(float(value), 6), "n": int(n),
            "flag": flag, "detail": detail}


def partial_spearman(x: pd.Series, y: pd.Series, z: pd.Series) -> tuple[float, int]:
    """Spearman's ρ of x and y with z's ranks taken out of both (rank residuals' Pearson r)."""
    both = pd.concat([x, y, z], axis=1).dropna().astype(float).rank()
    if len(both) < 4 or (both.std() == 0).any():
        return float("nan"), len(both)
    zc = both.iloc[:, 2] - both.iloc[:, 2].mean()

    def resid(col: pd.Series) -> pd.Series:
        return col - col.mean() - zc * float((col - col.mean()) @ zc) / float(zc @ zc)

    return float(np.corrcoef(resid(both.iloc[:, 0]), resid(both.iloc[:, 1]))[0, 1]), len(both)


def criterion_rows(targets: pd.DataFrame, criteria: pd.DataFrame, specs: list[Criterion],
                   log_population: pd.Series | None = None) -> list[dict[str, Any]]:
    """ρ of every target with every criterion; convergent and discriminant verdicts for declared ones.
    With ``log_population``, the convergent ρ is also given with size's ranks taken out of both."""
    by_name = {c.variable: c for c in specs}
    rows = []
    for crit in criteria.columns:
        spec = by_name.get(crit, Criterion(crit))
        rhos = {}
        for name in targets.columns:
            rho, _, n = spearman(targets[name], criteria[crit])
            rhos[name] = rho
            rows.append(_row("criterion", name, crit, "spearman_rho", rho, n, "", spec.source))
        if spec.expect is None:
            continue
        target = f"axis:{spec.axis}"
        rho, p, n = spearman(targets[target], criteria[crit])
        sign = EXPECT[spec.expect]
        holds = bool(not np.isnan(rho) and np.sign(rho) == sign and p < ALPHA)
        rows.append(_row("convergent", target, crit, "spearman_rho", rho, n, "holds" if holds else "does not hold",
                         f"expected {spec.expect}; p = {p:.3g}; source: {spec.source or 'not given'}"))
        if log_population is not None:
            part, n_p = partial_spearman(targets[target], criteria[crit], log_population)
            rows.append(_row("convergent", target, crit, "partial_rho_log_population", part, n_p,
                             "", "Spearman ρ with log population's ranks taken out of both"))
        others = [t for t in targets.columns if t.startswith("axis:") and t != target]
        for other in others:
            stronger = bool(abs(rho) > abs(rhos.get(other, float("nan"))))
            rows.append(_row("discriminant", target, crit, "abs_rho_difference",
                             abs(rho) - abs(rhos[other]), n, "holds" if stronger else "does not hold",
                             f"|ρ| with {target} = {abs(rho):.3f} against {other} = {abs(rhos[other]):.3f}"))
    return rows
