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

``type_indices`` gives the same numbers for categorical outputs straight from the labels, one
factor at a time, so a large design never holds its one-hot matrices in memory.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """``labels`` (rows × outputs, integers in [0, n_classes)) → rows × (outputs · n_classes) of 0/1."""
    labels = np.asarray(labels)
    out = np.zeros((*labels.shape, n_classes))
    np.put_along_axis(out, labels[..., None].astype(np.intp), 1.0, axis=-1)
    return out.reshape(labels.shape[0], -1)


# Relative to the full variance: far above float rounding (~1e-16), far below any real
# resample variance (for labels the smallest non-zero one is of order 1 / M²).
_ZERO_VARIANCE = 1e-9


@dataclass(frozen=True)
class Indices:
    first_order: np.ndarray  # one per factor
    total: np.ndarray
    first_order_ci: np.ndarray  # factors × 2: bootstrap percentile interval
    total_ci: np.ndarray
    variance: float  # Σ over outputs of the output's variance
    total_change: np.ndarray  # per factor: mean Σ_r (f(A) − f(A_B^i))² / 2, the numerator of ST


@dataclass(frozen=True)
class _Terms:
    """One kind of output (numbers, or labels), reduced to what the estimators need.

    Per row of the design: ``first(x)`` is Σ_r (f(B) − c)·(x − f(A)) and ``total(x)`` is
    Σ_r (f(A) − x)² / 2, for x = f(A_B^i); ``variance`` is Σ_r V_r over A and B, and
    ``boot_variance`` the same for resamples given as counts of the base rows (n_boot × M).
    """

    first: Callable[[np.ndarray], np.ndarray]
    total: Callable[[np.ndarray], np.ndarray]
    variance: float
    boot_variance: Callable[[np.ndarray], np.ndarray]


def _estimate(terms: _Terms, fAB: Sequence[np.ndarray], n_boot: int, seed: int, level: float) -> Indices:
    """The indices of every factor, with bootstrap intervals over the M rows."""
    first_rows = np.stack([terms.first(x) for x in fAB])
    total_rows = np.stack([terms.total(x) for x in fAB])
    V = terms.variance
    factors, m = total_rows.shape
    nan = np.full((factors, 2), np.nan)
    if V <= 0:
        return Indices(np.full(factors, np.nan), np.full(factors, np.nan), nan, nan.copy(), V,
                       total_rows.mean(axis=1))
    S, ST = first_rows.mean(axis=1) / V, total_rows.mean(axis=1) / V
    if not n_boot:
        return Indices(S, ST, nan, nan.copy(), V, total_rows.mean(axis=1))
    # Each resample as counts of the base rows, so every statistic is one matrix product.
    rng = np.random.default_rng(seed)
    counts = np.stack([np.bincount(rng.integers(0, m, m), minlength=m) for _ in range(n_boot)]).astype(float)
    V_boot = terms.boot_variance(counts)
    # A resample whose outputs are all alike has no variance, but the two algebraic forms of it
    # (from labels, from one-hot sums) leave different rounding residue (0 against 2.8e-17), so
    # "no variance" is judged against a tolerance relative to the full variance, not against 0.
    no_variance = V_boot <= V * _ZERO_VARIANCE
    with np.errstate(invalid="ignore", divide="ignore"):
        V_boot = np.where(no_variance, np.nan, V_boot)[:, None]
        S_boot = counts @ first_rows.T / m / V_boot
        ST_boot = counts @ total_rows.T / m / V_boot
    tail = (1 - level) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample without variance gives NaN
        S_ci = np.nanpercentile(S_boot, [tail, 100 - tail], axis=0).T
        ST_ci = np.nanpercentile(ST_boot, [tail, 100 - tail], axis=0).T
    return Indices(S, ST, S_ci, ST_ci, V, total_rows.mean(axis=1))


def indices(fA: np.ndarray, fB: np.ndarray, fAB: Sequence[np.ndarray], n_boot: int = 200, seed: int = 0,
            level: float = 0.95) -> Indices:
    """First-order (Saltelli 2010) and total-effect (Jansen 1999) indices for every factor.

    ``fA``, ``fB``: M × outputs; ``fAB``: one M × outputs array per factor (f(A_B^i)). Outputs that
    are NaN in any run (e.g. a region that has no composite score) are left out. The bootstrap
    resamples the M base rows (``n_boot`` times, seeded) for the intervals.
    """
    fA, fB = np.asarray(fA, dtype=float), np.asarray(fB, dtype=float)
    keep = ~(np.isnan(fA).any(axis=0) | np.isnan(fB).any(axis=0))
    for x in fAB:
        keep &= ~np.isnan(np.asarray(x, dtype=float)).any(axis=0)
    centre = np.concatenate([fA[:, keep], fB[:, keep]]).mean(axis=0)
    # Centred on the pooled mean: the variance does not change, the sums of squares stay small.
    a, b = fA[:, keep] - centre, fB[:, keep] - centre
    m = len(a)
    squares = (a**2).sum(axis=1) + (b**2).sum(axis=1)

    def centred(x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=float)[:, keep] - centre

    def boot_variance(counts: np.ndarray) -> np.ndarray:
        return counts @ squares / (2 * m) - ((counts @ (a + b) / (2 * m)) ** 2).sum(axis=1)

    terms = _Terms(first=lambda x: (b * (centred(x) - a)).sum(axis=1),
                   total=lambda x: 0.5 * ((a - centred(x)) ** 2).sum(axis=1),
                   variance=float(np.concatenate([a, b]).var(axis=0).sum()), boot_variance=boot_variance)
    return _estimate(terms, fAB, n_boot, seed, level)


def type_indices(tA: np.ndarray, tB: np.ndarray, tAB: Sequence[np.ndarray], n_classes: int, n_boot: int = 200,
                 seed: int = 0, level: float = 0.95) -> Indices:
    """``indices`` of the one-hot encoding of labels (M × outputs integers), computed from the labels.

    With e the one-hot vector and p the class shares over A and B: Σ_t (e_b − p)·(e_x − e_a) =
    1[b = x] − 1[b = a] − p[x] + p[a], Σ_t (e_a − e_x)² / 2 = 1[a ≠ x], and the variance of a region
    is 1 − Σ_t p_t².
    """
    tA, tB = np.asarray(tA), np.asarray(tB)
    m, outputs = tA.shape
    both = np.concatenate([tA, tB])
    share = np.stack([(both == t).mean(axis=0) for t in range(n_classes)])  # classes × outputs
    cols = np.arange(outputs)
    indicator = [(tA == t).astype(float) + (tB == t) for t in range(n_classes)]

    def p(labels: np.ndarray) -> np.ndarray:
        return share[labels, cols]

    def boot_variance(counts: np.ndarray) -> np.ndarray:
        # Σ over outputs and classes of E[e²] − E[e]²; e² = e, and each run has one class per output.
        return outputs - sum(((counts @ x) / (2 * m)) ** 2 for x in indicator).sum(axis=1)

    terms = _Terms(first=lambda x: ((tB == x).astype(float) - (tB == tA) - p(x) + p(tA)).sum(axis=1),
                   total=lambda x: (tA != x).sum(axis=1).astype(float),
                   variance=float((1 - (share**2).sum(axis=0)).sum()), boot_variance=boot_variance)
    return _estimate(terms, tAB, n_boot, seed, level)
