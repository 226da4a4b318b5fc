"""The smallest change in dimension scores that moves a region into a target type, under the rules.

Under rule typologies the types are tried in order and the first match wins, so reaching
type k means meeting every condition of k *and* failing at least one condition of every
type before it. Each condition is a half-space in dimension-score space (an axis is the
mean of its dimensions; the threshold is held at its fitted value). For each way of
choosing one condition to break in each earlier type, the problem

    minimise ||Δ||²  subject to  G Δ ≤ h  and  lo ≤ s + Δ ≤ hi

is a projection onto a small polyhedron (at most four free variables). It is solved
exactly by enumerating active sets: the minimiser is the minimum-norm point of the
affine hull of some linearly independent set of active constraints, so the smallest
feasible candidate over all such sets is the answer. ``lo``/``hi`` are the observed range
of each dimension across regions: a change that would leave it is not offered. Strict
inequalities are met with a margin of ``MARGIN`` score units. ``gap`` reads the answer
back into the indicators' own units.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import TypologyError

if TYPE_CHECKING:
    from .rules import RuleTypology

MARGIN = 1e-9  # score units by which a strict (or broken) condition is cleared
FEASIBLE_TOL = 1e-12
GE, LE = "ge", "le"
SYMBOL = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}
NEGATED = {">=": "<", ">": "≤", "<=": ">", "<": "≥"}


@dataclass(frozen=True)
class Constraint:
    """axis · (s + Δ) ≥ or ≤ threshold: one type's condition, kept or broken.

    Attributes
    ----------
    type_key, axis : str
        The type whose condition it is, and the axis it reads.
    op : {'>=', '>', '<=', '<'}
        The comparison as the rules state it.
    threshold : float
        The fitted threshold.
    broken : bool
        True for an earlier type's condition that the answer fails (so that type does not match).
    """

    type_key: str
    axis: str
    op: str
    threshold: float
    broken: bool

    @property
    def sense(self) -> str:
        """Which side of the threshold ``axis · (s + Δ)`` must end on, as the solver reads it.

        Returns
        -------
        str
            ``'ge'`` (at or above) or ``'le'`` (at or below); a broken condition flips its side.
        """
        keeps_above = self.op in (">=", ">")
        return (LE if keeps_above else GE) if self.broken else (GE if keeps_above else LE)

    def text(self) -> str:
        """The condition as it must hold, e.g. ``'society ≥ -0.001'``.

        Returns
        -------
        str
            Axis, comparison (negated for a broken condition) and threshold.
        """
        symbol = NEGATED[self.op] if self.broken else SYMBOL[self.op]
        return f"{self.axis} {symbol} {self.threshold:+.3f}"


@dataclass
class DimensionGap:
    """The solution in dimension-score space (see the module docstring).

    Attributes
    ----------
    code, current, target : str
        The unit, its type now and the type aimed for.
    feasible : bool
        Whether any change within the observed ranges reaches ``target``.
    delta, before, after : pandas.Series
        Per dimension: the change, the scores now and after it.
    distance : float
        Euclidean norm of ``delta`` (NaN when infeasible).
    constraints : list of Constraint
        The binding choice of conditions.
    reason : str
        Why there is no change (or why it is zero).
    """

    code: str
    current: str
    target: str
    feasible: bool
    delta: pd.Series  # per dimension; zeros when already of the target type; NaN when infeasible
    before: pd.Series
    after: pd.Series
    distance: float  # Euclidean norm of delta
    constraints: list[Constraint] = field(default_factory=list)  # the binding choice of conditions
    reason: str = ""


def axis_matrix(model: RuleTypology, dims: list[str]) -> pd.DataFrame:
    """Rows = axes, columns = dimensions: the axis is the mean of its dimensions.

    Parameters
    ----------
    model : RuleTypology
        The rules whose axes are read.
    dims : list of str
        Dimension keys (the columns).

    Returns
    -------
    pandas.DataFrame
        Weight of each dimension in each axis (1 / number of the axis's dimensions, else 0).
    """
    out = pd.DataFrame(0.0, index=list(model.axes), columns=dims)
    for name, spec in model.axes.items():
        for d in spec["dimensions"]:
            out.at[name, d] = 1.0 / len(spec["dimensions"])
    return out


def min_norm_point(G: np.ndarray, h: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray | None:
    """Find argmin ||x|| subject to G x ≤ h and lo ≤ x ≤ hi (exact, by active sets; small n).

    Parameters
    ----------
    G : numpy.ndarray
        Constraint rows (k × n).
    h : numpy.ndarray
        Right-hand sides (k).
    lo, hi : numpy.ndarray
        Bounds per variable (n); infinite bounds are dropped.

    Returns
    -------
    numpy.ndarray or None
        The minimum-norm feasible point, or None if the constraints have no solution.
    """
    n = G.shape[1] if G.size else len(lo)
    A = np.vstack([G.reshape(-1, n), np.eye(n), -np.eye(n)])
    b = np.concatenate([h, hi, -lo])
    finite = np.isfinite(b)
    A, b = A[finite], b[finite]
    scale = max(1.0, float(np.max(np.abs(b))) if len(b) else 1.0)

    def feasible(x: np.ndarray) -> bool:
        return bool(np.all(A @ x <= b + FEASIBLE_TOL * scale))

    best: np.ndarray | None = None
    zero = np.zeros(n)
    if feasible(zero):
        return zero
    for size in range(1, min(n, len(b)) + 1):
        for rows in itertools.combinations(range(len(b)), size):
            As, bs = A[list(rows)], b[list(rows)]
            gram = As @ As.T
            if np.linalg.matrix_rank(gram) < size:
                continue
            x = As.T @ np.linalg.solve(gram, bs)
            if feasible(x) and (best is None or x @ x < best @ best - 1e-15):
                best = x
    return best


def dimension_gap(scores: pd.DataFrame, model: RuleTypology, code: str, target: str,
                  bounds: pd.DataFrame | None = None, margin: float = MARGIN) -> DimensionGap:
    """The smallest change of ``code``'s dimension scores that makes ``model`` give ``target``.

    Parameters
    ----------
    scores : pandas.DataFrame
        Units × dimensions; ``model`` must be fitted on them.
    model : RuleTypology
        The fitted rules (first matching type wins).
    code : str
        The unit (index of ``scores``).
    target : str
        Type key to reach.
    bounds : pandas.DataFrame, optional
        Rows 'min' and 'max' per dimension (default: the observed range in ``scores``).
    margin : float, default MARGIN
        Score units by which a strict or broken condition is cleared.

    Returns
    -------
    DimensionGap
        The change, or ``feasible=False`` with the ``reason``.

    Raises
    ------
    TypologyError
        If ``target`` is not a type of the rules.
    """
    dims = list(scores.columns)
    keys = [t["key"] for t in model.types]
    if target not in keys:
        raise TypologyError(f"gap_to: {target!r} is not a type of the rules; expected one of {keys}")
    s = scores.loc[code].astype(float)
    current = str(model.predict(scores.loc[[code]])["type"].iloc[0])
    zero = pd.Series(0.0, index=dims)
    if current == target:
        return DimensionGap(code, current, target, True, zero, s, s.copy(), 0.0, reason="already of this type")
    k = keys.index(target)
    nan = pd.Series(np.nan, index=dims)
    catch_all = [keys[j] for j in range(k) if not model.conditions_[j]]
    if catch_all:
        return DimensionGap(code, current, target, False, nan, s, nan, math.nan,
                            reason=f"type {catch_all[0]!r} comes earlier and has no conditions, so every region "
                                   f"that reaches it stops there: no change of scores leads to {target!r}")
    M = axis_matrix(model, dims)
    needed = [c.axis for j in range(k + 1) for c in model.conditions_[j]]
    free = [d for d in dims if (M.loc[needed, d] != 0).any()]
    missing = [d for d in free if np.isnan(s[d])]
    if missing:
        return DimensionGap(code, current, target, False, nan, s, nan, math.nan,
                            reason=f"no score for {missing}: the rules cannot place this region")
    if bounds is None:
        bounds = pd.DataFrame({"min": scores.min(), "max": scores.max()}).T
    lo = (bounds.loc["min", free] - s[free]).to_numpy(dtype=float)
    hi = (bounds.loc["max", free] - s[free]).to_numpy(dtype=float)

    def own(j: int, broken: bool) -> list[Constraint]:
        return [Constraint(keys[j], c.axis, c.op, float(t), broken)
                for c, t in zip(model.conditions_[j], model.thresholds_[j])]

    keep = own(k, broken=False)
    options = [own(j, broken=True) for j in range(k)]
    best: tuple[float, np.ndarray, list[Constraint]] | None = None
    for choice in itertools.product(*options):
        chosen = [*keep, *choice]
        G, h = _half_spaces(chosen, M.loc[:, free], s[free], margin)
        x = min_norm_point(G, h, lo, hi)
        if x is not None and (best is None or x @ x < best[0] - 1e-15):
            best = (float(x @ x), x, chosen)
    if best is None:
        return DimensionGap(code, current, target, False, nan, s, nan, math.nan,
                            reason="no feasible change: no scores within the observed range of each dimension "
                                   "meet the target's conditions while failing the earlier types")
    delta = zero.copy()
    delta[free] = best[1]
    after = s + delta
    reached = str(model.predict(after.to_frame().T.set_axis([code]))["type"].iloc[0])
    if reached != target:  # the geometry above and the rules disagree: a bug, not a user error
        raise RuntimeError(f"gap_to: the computed change gives {reached!r}, not {target!r}")
    return DimensionGap(code, current, target, True, delta, s, after, math.sqrt(best[0]), best[2])


def _half_spaces(chosen: list[Constraint], M: pd.DataFrame, s: pd.Series, margin: float,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The conditions as G Δ ≤ h over the free dimensions (``M``: axes × free dimensions, ``s``: their scores)."""
    G, h = [], []
    for c in chosen:
        a = M.loc[c.axis].to_numpy(dtype=float)
        level = float(a @ s.to_numpy(dtype=float))
        if c.sense == GE:  # a·(s+Δ) ≥ t + margin  →  -a·Δ ≤ a·s - t - margin
            G.append(-a)
            h.append(level - c.threshold - margin)
        else:  # a·(s+Δ) ≤ t - margin
            G.append(a)
            h.append(c.threshold - margin - level)
    return np.array(G), np.array(h)
