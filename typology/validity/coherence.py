"""Coherence before typing: do the indicators of a dimension, and the dimensions of an axis, measure one thing?

A composite adds its parts, which is only meaningful when the parts point the same way
(OECD/JRC *Handbook on Constructing Composite Indicators*, 2008, step 4 "multivariate
analysis"; COINr's ``get_cronbach`` and correlation checks). For every dimension with two or
more indicators and for every axis that a type rule uses:

* Cronbach's α, over the indicators as items (as pingouin computes it);
* McDonald's ω (total), from a one-factor model fitted by maximum likelihood on the
  standardised items, as semopy fits it (``one_factor_loadings``):
  (Σλ)² / ((Σλ)² + Σ(1 − λ²)); it needs three or more items to be identified, so a
  two-indicator dimension reports none and says why;
* each indicator's corrected item-total correlation (Pearson r with the sum of the *other*
  items of its dimension or axis);
* for an axis, the Pearson r of each pair of its dimension scores.

Everything is computed on the normalised, direction-oriented indicator values that the run
aggregates (``Scored.normalised``, after imputation, treatment, covariate adjustment and
normalisation), over units with every item observed (listwise), so it describes the scores
the types are made from. The threshold for an axis is α ≥ 0.6 by default: Nunnally (1978,
*Psychometric Theory*, 2nd ed.) gives 0.7 for established scales and lower values for early
research, and the JRC's practice for composite indicators uses 0.6 as the lower bound of
acceptable internal consistency; ``validation.coherence.alpha`` changes it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..core.catalog import Indicator
from ..core.settings import RunSettings, as_settings
from ..errors import TypologyError
from ..scoring.audit import cronbach_alpha

KEY = "validation.coherence"
ON_FAIL = ("warn", "error")


def one_factor_loadings(z: np.ndarray) -> np.ndarray | None:
    """Standardised loadings of a one-factor model of the columns of ``z``, fitted as semopy fits ``F =~ x0 + x1 + …``.

    semopy's defaults, reproduced without importing it (it loads sympy: a second and 40 MiB): the
    Wishart maximum-likelihood discrepancy log|Σ| + tr(SΣ⁻¹) − log|S| − p, with S the covariance
    of ``z`` over n (not n − 1; at the optimum the standardised loadings do not depend on it), and
    Σ = λψλᵀ + Θ with the first loading fixed at 1 and the variances ψ and Θ free and ≥ 0;
    semopy's start (each loading the least-squares slope of its item on the first, ψ = 0.05, Θ half
    the items' variances), its analytic gradient and scipy's SLSQP with its options. SLSQP stops
    at its default tolerance, short of the exact optimum (ω can differ from it in the fifth
    decimal), so only the same path gives semopy's values; tests/test_coherence.py compares them.

    Parameters
    ----------
    z : numpy.ndarray
        Complete rows, one column per item, at least three columns.

    Returns
    -------
    numpy.ndarray or None
        λ_j √ψ / √Σ_jj for each item; None when LAPACK's Cholesky factorisation finds the items'
        covariance not positive definite (an item a linear combination of others; semopy would
        replace the matrix by a nearby positive definite one).
    """
    from scipy.linalg import lapack  # on use, with scipy.optimize: nothing else in a run needs them
    from scipy.optimize import minimize

    def inverse(m: np.ndarray) -> tuple[np.ndarray, float]:
        """m⁻¹ and log|m| from LAPACK's Cholesky routines, as semopy takes them (the same bits)."""
        c, info = lapack.dpotrf(m)
        if info:
            raise np.linalg.LinAlgError
        d = c.diagonal()
        logdet = 2 * np.sum(np.log(d))
        lapack.dpotri(c, overwrite_c=1)
        return c + c.T - np.diag(d), logdet

    p = z.shape[1]

    def sigma(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lam = np.concatenate([[1.0], v[:p - 1]])[:, None]
        psi = v[p - 1:p][:, None]
        return lam @ psi @ lam.T + np.diag(v[p:]), lam, psi

    def discrepancy(v: np.ndarray) -> float:
        try:
            inv, logdet = inverse(sigma(v)[0])
        except np.linalg.LinAlgError:
            return np.inf
        f = np.einsum("ij,ji->", s, inv) - p + (logdet - s_logdet)
        return np.inf if f < 0 else f

    def gradient(v: np.ndarray) -> np.ndarray:
        cov, lam, psi = sigma(v)
        try:
            inv = inverse(cov)[0]
        except np.linalg.LinAlgError:
            return np.full(len(v), np.inf)
        d = psi @ lam.T
        parts = []  # ∂Σ/∂v for each parameter: loadings 2…p, ψ, then each item's variance
        for j in range(1, p):
            t = np.zeros((p, p))
            t[j] = d[0]
            parts.append(t + t.T)
        parts.append(lam @ lam.T)
        parts += [np.diag(np.eye(p)[i]) for i in range(p)]
        cs = inv - inv @ s @ inv
        return np.array([np.einsum("ij,ji->", cs, g) for g in parts])

    # One BLAS thread: with more, OpenBLAS's sums can round otherwise, and SLSQP's loose stop turns
    # that into a different fifth decimal of ω on machines with more cores.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")  # the optimiser's notes (a step clipped to a bound) say nothing about ω
        s = np.ma.cov(np.ma.array(z, mask=np.isnan(z)), bias=True, rowvar=False).data  # numpy.ma's sums, as semopy's
        try:
            s_logdet = inverse(s)[1]
        except np.linalg.LinAlgError:
            return None
        slopes = [np.cov(z[:, 0], z[:, j], bias=1) for j in range(1, p)]
        start = np.array([c[0, 1] / c[0, 0] for c in slopes] + [0.05] + list(np.diag(s) / 2))
        bounds = [(None, None)] * (p - 1) + [(0, None)] * (p + 1)
        fit = minimize(discrepancy, start, jac=gradient, bounds=bounds, constraints=[], method="SLSQP",
                       options={"maxiter": 10000})
        cov, lam, psi = sigma(fit.x)
        return lam[:, 0] * np.sqrt(psi[0, 0]) / np.sqrt(cov.diagonal())


def mcdonald_omega(items: pd.DataFrame) -> tuple[float, int]:
    """McDonald's ω total from a one-factor model (maximum likelihood, as semopy) on the standardised items."""
    complete = items.dropna().astype(float)
    if items.shape[1] < 3 or len(complete) <= items.shape[1] or (complete.std() == 0).any():
        return float("nan"), len(complete)
    z = ((complete - complete.mean()) / complete.std()).to_numpy()
    loadings = one_factor_loadings(z)
    if loadings is None:
        return float("nan"), len(complete)
    loadings = np.clip(loadings, -1.0, 1.0)
    # The factor's sign follows the first item; the items' own keying does not change, so orient the
    # factor to the majority of the loadings' weight.
    if loadings.sum() < 0:
        loadings = -loadings
    common = float(loadings.sum()) ** 2
    unique = float((1 - loadings ** 2).sum())
    return (common / (common + unique) if common + unique > 0 else float("nan")), len(complete)


def item_rest(items: pd.DataFrame) -> dict[str, tuple[float, int]]:
    """Each item's Pearson r with the sum of the other items (the corrected item-total correlation)."""
    complete = items.dropna().astype(float)
    out = {}
    for col in items.columns:
        rest = complete.drop(columns=col).sum(axis=1)
        ok = len(complete) > 2 and complete[col].std() > 0 and rest.std() > 0
        out[col] = (float(np.corrcoef(complete[col], rest)[0, 1]) if ok else float("nan"), len(complete))
    return out


def deciding_axes(typology: dict[str, Any]) -> list[str]:
    """The axes that some type's ``when`` names, in the config's axis order."""
    named = {axis for t in typology.get("types") or [] for axis in (t.get("when") or {})}
    return [a for a in typology.get("axes") or {} if a in named]


def _row(target: str, against: str, statistic: str, value: float, n: int, flag: str = "",
         detail: str = "") -> dict[str, Any]:
    return {"measure": "coherence", "target": target, "against": against, "statistic": statistic,
            "value": None if value is None or np.isnan(value) else round(float(value), 6), "n": int(n),
            "flag": flag, "detail": detail}


def _block(target: str, items: pd.DataFrame, threshold: float, note: str) -> list[dict[str, Any]]:
    alpha, n = cronbach_alpha(items, min_rows=3), len(items.dropna())
    flag = "" if np.isnan(alpha) or alpha >= threshold else f"alpha below {threshold:g}"
    rows = [_row(target, "", "cronbach_alpha", alpha, n, flag, note)]
    # ω is fitted when the table is first read (Coherence.table): nothing before the types needs it.
    omega_row = _row(target, "", "mcdonald_omega", float("nan"), 0, "",
                     "" if items.shape[1] >= 3 else "needs 3 or more indicators (one-factor model not identified)")
    omega_row["value"] = _Omega(items)
    rows.append(omega_row)
    for key, (r, n_r) in item_rest(items).items():
        rows.append(_row(target, key, "item_rest_r", r, n_r, "negative" if r < 0 else ""))
    return rows


@dataclass(frozen=True)
class _Omega:
    """McDonald's ω of ``items``, still to be fitted."""

    items: pd.DataFrame

    def row(self, row: dict[str, Any]) -> dict[str, Any]:
        omega, n = mcdonald_omega(self.items)
        return _row(row["target"], row["against"], row["statistic"], omega, n, row["flag"], row["detail"])


@dataclass
class Coherence:
    """The coherence rows, and the deciding axes' α (known at once, for ``on_fail``).

    ω, which needs a factor model (and scipy.optimize: half a second to import), is fitted when
    ``table`` is first read, so that the run can go on to the types, and the static maps can start,
    before it.
    """

    rows: list[dict[str, Any]]
    failing: list[str] = field(default_factory=list)  # deciding axes with α below the threshold
    alphas: dict[str, float] = field(default_factory=dict)  # deciding axis → α
    threshold: float = 0.6

    @cached_property
    def table(self) -> pd.DataFrame:
        rows = [r["value"].row(r) if isinstance(r["value"], _Omega) else r for r in self.rows]
        return pd.DataFrame(rows, columns=["measure", "target", "against", "statistic", "value", "n", "flag", "detail"])

    def line(self) -> str:
        if not self.alphas:
            return "일관성 coherence: no type rule rests on an axis"
        shown = ", ".join(f"{a} α = {v:.2f}" for a, v in self.alphas.items())
        verdict = (f"below {self.threshold:g}: {', '.join(self.failing)} — 유형을 정하는 축의 지표들이 한 가지를 "
                   f"측정하지 않는다 (the types rest on an axis whose parts do not measure one thing)"
                   if self.failing else f"all ≥ {self.threshold:g}")
        return f"일관성 coherence of deciding axes: {shown}; {verdict}"

    def note_ko(self, config: dict[str, Any]) -> str:
        """The Korean note beside a type whose rule rests on a failing axis."""
        if not self.failing:
            return ""
        axes = config["typology"]["axes"]
        names = ", ".join(f"{axes[a].get('name_ko', a)} (α = {self.alphas[a]:.2f})" for a in self.failing)
        return (f"주의: 이 유형을 정하는 {names}은(는) 내적 일관성이 기준({self.threshold:g}) 미만이다. "
                f"축을 이루는 지표들이 한 가지를 측정한다고 보기 어렵다.")


def coherence(normalised: pd.DataFrame, scores: pd.DataFrame, chosen: list[Indicator],
              config: RunSettings | Mapping[str, Any]) -> Coherence:
    """Coherence rows for every dimension and every deciding axis; raises on ``on_fail: error``."""
    settings = as_settings(config)
    threshold = settings.validation.alpha
    note = "on the normalised indicator values the run aggregates; listwise complete units"
    rows: list[dict[str, Any]] = []
    dims_of: dict[str, list[str]] = {}
    for ind in chosen:
        dims_of.setdefault(ind.dimension, []).append(ind.key)
    for dim, keys in dims_of.items():
        if len(keys) >= 2:
            rows += _block(dim, normalised[keys], threshold, note)
        else:
            rows.append(_row(dim, "", "cronbach_alpha", float("nan"), int(normalised[keys[0]].notna().sum()), "",
                             "one indicator: nothing to be coherent with"))
    typology = settings.typology.rules()
    alphas, failing = {}, []
    for axis in deciding_axes(typology):
        dims = list(typology["axes"][axis]["dimensions"])
        keys = [k for d in dims for k in dims_of.get(d, [])]
        axis_rows = _block(f"axis:{axis}", normalised[keys], threshold, note + f"; items: {', '.join(keys)}")
        # The axis is the mean of its dimension scores: their α as two (or more) items says whether
        # the halves it averages point the same way.
        halves, n_h = cronbach_alpha(scores[dims], min_rows=3), len(scores[dims].dropna())
        axis_rows.append(_row(f"axis:{axis}", " + ".join(dims), "cronbach_alpha_dimensions", halves, n_h, "",
                              "dimension scores as items"))
        for i, a in enumerate(dims):
            for b in dims[i + 1:]:
                both = scores[[a, b]].dropna()
                r = float(both[a].corr(both[b])) if len(both) > 2 else float("nan")
                axis_rows.append(_row(f"axis:{axis}", f"{a} ~ {b}", "pearson_r", r, len(both),
                                      "negative" if r < 0 else "", "dimension scores inside the axis"))
        alpha = axis_rows[0]["value"]
        alphas[axis] = float("nan") if alpha is None else float(alpha)
        if alpha is not None and alpha < threshold:
            failing.append(axis)
            axis_rows[0]["flag"] = f"alpha below {threshold:g}; decides types"
        rows += axis_rows
    if failing and settings.validation.on_fail == "error":
        a = failing[0]
        raise TypologyError(f"config key {KEY}.on_fail = error: axis {a} ({typology['axes'][a].get('name_ko', a)}) "
                            f"has Cronbach's alpha {alphas[a]:.2f} < {threshold:g} over its indicators, so its "
                            f"types rest on parts that do not measure one thing")
    return Coherence(rows, failing, alphas, threshold)
