"""Variance-based sensitivity indices: first-order and total effect (Saltelli's and Jansen's estimators).

The design (Saltelli et al. 2010, "Variance based sensitivity analysis of model output"): two
independent samples A and B of M rows each (a row is one draw of every factor), and for each
factor i the matrix A_B^i, which is A with factor i taken from B. Then, per output,

- total effect: VT_i = mean((f(A) − f(A_B^i))²) / 2, the variance left when every factor but
  i is fixed (Jansen 1999);
- first order: V_i = mean(f(B) · (f(A_B^i) − f(A))) (Saltelli et al. 2010, their recommended
  form), since B and A_B^i share factor i only; f is first centred on its mean over A and B,
  which leaves the estimate unbiased and makes it less noisy. A factor without effect gives
  f(A_B^i) = f(A), so both of its indices are exactly 0;

with V the variance of f over A and B. The model here has many outputs (a rank per region, a
type per region), so the indices are the variance-weighted means over outputs, as in Gamboa
et al. (2014): S_i = Σ_r V_i,r / Σ_r V_r and ST_i = Σ_r VT_i,r / Σ_r V_r. A type is encoded
as one indicator column per type (``one_hot``); for a region, (a − b)² summed over its
indicator columns is 2 when its type differs between two runs and 0 otherwise, so a type's
ST_i is the expected number of regions whose type changes when factor i alone is redrawn,
divided by the expected number that change when every factor is redrawn.

Factors may be discrete (a set of methods) or continuous; the estimators do not care. They are
unbiased but noisy: with few rows, an index of a factor without effect comes out near 0 and
can be slightly negative, and S_i can exceed ST_i. ``indices`` therefore also gives bootstrap
percentile intervals over the M rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """``labels`` (rows × outputs, integers in [0, n_classes)) → rows × (outputs · n_classes) of 0/1."""
    labels = np.asarray(labels)
    out = np.zeros((*labels.shape, n_classes))
    np.put_along_axis(out, labels[..., None].astype(np.intp), 1.0, axis=-1)
    return out.reshape(labels.shape[0], -1)


@dataclass(frozen=True)
class Indices:
    first_order: np.ndarray  # one per factor
    total: np.ndarray
    first_order_ci: np.ndarray  # factors × 2: bootstrap percentile interval
    total_ci: np.ndarray
    variance: float  # Σ over outputs of the output's variance
    total_change: np.ndarray  # per factor: mean Σ_r (f(A) − f(A_B^i))² / 2, the numerator of ST


def _parts(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per base row j, for each factor (factors × M): Σ_r fB (fAB − fA), and Σ_r (fA − fAB)² / 2."""
    centre = np.concatenate([fA, fB]).mean(axis=0)
    first = ((fB - centre)[None] * (fAB - fA[None])).sum(axis=2)
    total = 0.5 * ((fA[None] - fAB) ** 2).sum(axis=2)
    return first, total


def _variance(fA: np.ndarray, fB: np.ndarray) -> float:
    both = np.concatenate([fA, fB])
    return float(both.var(axis=0).sum())


def indices(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray, n_boot: int = 200, seed: int = 0,
            level: float = 0.95) -> Indices:
    """First-order (Saltelli 2010) and total-effect (Jansen 1999) indices for every factor.

    ``fA``, ``fB``: M × outputs; ``fAB``: factors × M × outputs (``fAB[i]`` = f(A_B^i)). Outputs that
    are NaN in any run (e.g. a region that has no composite score) are left out. The bootstrap
    resamples the M base rows (``n_boot`` times, seeded) for the intervals.
    """
    fA, fB, fAB = (np.asarray(x, dtype=float) for x in (fA, fB, fAB))
    keep = ~(np.isnan(fA).any(axis=0) | np.isnan(fB).any(axis=0) | np.isnan(fAB).any(axis=(0, 1)))
    fA, fB, fAB = fA[:, keep], fB[:, keep], fAB[:, :, keep]
    m = fA.shape[0]
    first_rows, total_rows = _parts(fA, fB, fAB)
    V = _variance(fA, fB)

    def estimate(rows: np.ndarray, v: float) -> tuple[np.ndarray, np.ndarray]:
        if v <= 0:
            nan = np.full(fAB.shape[0], np.nan)
            return nan, nan
        return first_rows[:, rows].mean(axis=1) / v, total_rows[:, rows].mean(axis=1) / v

    S, ST = estimate(np.arange(m), V)
    nan = np.full((fAB.shape[0], 2), np.nan)
    if V <= 0 or not n_boot:
        return Indices(S, ST, nan, nan.copy(), V, total_rows.mean(axis=1))
    # Each resample as counts of the base rows, so every statistic is one matrix product.
    rng = np.random.default_rng(seed)
    counts = np.stack([np.bincount(rng.integers(0, m, m), minlength=m) for _ in range(n_boot)]).astype(float)
    squares = (fA**2).sum(axis=1) + (fB**2).sum(axis=1)
    V_boot = counts @ squares / (2 * m) - ((counts @ (fA + fB) / (2 * m)) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        V_boot = np.where(V_boot > 0, V_boot, np.nan)[:, None]
        S_boot = counts @ first_rows.T / m / V_boot
        ST_boot = counts @ total_rows.T / m / V_boot
    tail = (1 - level) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample without variance gives NaN
        S_ci = np.nanpercentile(S_boot, [tail, 100 - tail], axis=0).T
        ST_ci = np.nanpercentile(ST_boot, [tail, 100 - tail], axis=0).T
    return Indices(S, ST, S_ci, ST_ci, V, total_rows.mean(axis=1))
