"""The smallest change in dimension scores that moves a region into a target type.

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
inequalities are met with a margin of ``MARGIN`` score units.

The change is then translated into each indicator's own units, one indicator at a time,
holding the normalisation parameters fixed: with arithmetic aggregation a dimension moves
by w_i / S · Δz_i (S = weight the region has observed), and an affine normalisation maps
Δz_i back to Δx_i = Δz_i / slope_i (slope = normalised range / raw range, signed).
"""

from __future__ import annotations

import html
import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import TypologyError

if TYPE_CHECKING:
    from ..typologies.rules import RuleTypology
    from .compare import ResultsView

MARGIN = 1e-9  # score units by which a strict (or broken) condition is cleared
FEASIBLE_TOL = 1e-12
AFFINE_TOL = 1e-6  # largest residual of norm ~ raw, relative to the normalised range
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


# -- into the indicators' own units ------------------------------------------------------------
def affine_slope(raw: pd.Series, norm: pd.Series) -> float | None:
    """d(normalised)/d(raw) if the normalisation is affine on the observed values, else None.

    Parameters
    ----------
    raw, norm : pandas.Series
        One indicator across units: in its unit and normalised.

    Returns
    -------
    float or None
        The slope of the straight line through the observed pairs, or None if they are not on one.
    """
    both = pd.concat([raw.astype(float), norm.astype(float)], axis=1).dropna()
    if len(both) < 2 or both.iloc[:, 0].nunique() < 2:
        return None
    x, y = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
    slope, intercept = np.polyfit(x, y, 1)
    spread = float(np.ptp(y)) or 1.0
    if np.max(np.abs(slope * x + intercept - y)) > AFFINE_TOL * spread:
        return None
    return float(slope)


def _not_affine_why(scoring: dict, key: str, method: str) -> str:
    """Why raw → normalised is not one straight line across regions."""
    if key in ((scoring.get("adjust") or {}).get("indicators") or []):
        return f"adjusted for {', '.join(scoring['adjust']['covariates'])} (scoring.adjust)"
    within = (scoring.get("normalise") or {}).get("within")
    if within:
        return f"normalised within each {within} (scoring.normalise.within)"
    return f"{method} normalisation is not affine"


def _change_unit(unit: str) -> str:
    return "%p" if unit.strip() == "%" else unit


def natural_changes(results: ResultsView, code: str, delta: pd.Series) -> pd.DataFrame:
    """For each dimension that must change: what each of its indicators alone would need.

    Parameters
    ----------
    results : Results
        The run (``ResultsView``).
    code : str
        The unit.
    delta : pandas.Series
        Change per dimension (``DimensionGap.delta``).

    Returns
    -------
    pandas.DataFrame
        One row per indicator of each moving dimension: ``delta_normalised``, ``change`` and
        ``new_value`` in its unit (NaN with a ``note`` when none can be given), ``within_observed``.
    """
    frame = results.by_code
    meta = results.indicators
    aggregate = results.config["scoring"]["aggregate"]["method"]
    rows = []
    for dim, d_dim in delta.items():
        if not np.isfinite(d_dim) or abs(d_dim) < 1e-12:
            continue
        keys = list(meta.index[meta["dimension"] == dim])
        observed = [k for k in keys if not pd.isna(frame.at[code, f"{k}_norm"])]
        share = float(meta.loc[observed, "weight"].sum())
        before = float(frame.at[code, dim])
        for key in keys:
            row = {"dimension": dim, "dimension_ko": results.dimension_name(dim), "delta_dimension": float(d_dim),
                   "indicator": key, "name_ko": meta.at[key, "name_ko"], "name_en": meta.at[key, "name_en"],
                   "unit": meta.at[key, "unit"], "weight": float(meta.at[key, "weight"]),
                   "current": float(frame.at[code, key]), "delta_normalised": math.nan, "change": math.nan,
                   "new_value": math.nan, "observed_min": float(frame[key].min()),
                   "observed_max": float(frame[key].max()), "within_observed": False, "note": ""}
            rows.append(row)
            z = float(frame.at[code, f"{key}_norm"])
            w = row["weight"]
            if math.isnan(z):
                row["note"] = "missing for this region"
                continue
            if w <= 0:
                row["note"] = "weight 0: moving it does not move the dimension"
                continue
            if aggregate == "arithmetic":
                dz = d_dim * share / w
            elif aggregate == "geometric" and before > 0 and before + d_dim > 0 and z > 0:
                dz = z * ((before + d_dim) / before) ** (share / w) - z
            else:
                row["note"] = f"aggregation {aggregate!r}: not translated"
                continue
            row["delta_normalised"] = dz
            slope = affine_slope(frame[key], frame[f"{key}_norm"])
            if slope is None:
                row["note"] = (f"{_not_affine_why(results.config['scoring'], key, results.normalise_method)}: the "
                               f"change is not expressible linearly in the indicator's units")
                continue
            needed = dz / slope
            values = frame[key].dropna()
            if len(values) and values.isin([0.0, 1.0]).all():
                _flag_change(row, needed)
                continue
            row["change"] = needed
            row["new_value"] = row["current"] + needed
            row["within_observed"] = bool(row["observed_min"] - 1e-9 <= row["new_value"] <= row["observed_max"] + 1e-9)
            if not row["within_observed"]:
                row["note"] = "beyond the range observed across regions"
    return pd.DataFrame(rows)


def _flag_change(row: dict, needed: float) -> None:
    """A 0/1 indicator moves only by switching: say whether one switch is enough."""
    switch = 1.0 - 2.0 * row["current"]  # 0 → +1, 1 → -1
    if np.sign(switch) != np.sign(needed):
        row["note"] = f"0/1 flag already {row['current']:.0f}: it cannot move by {needed:+.3g}"
    elif abs(switch) + 1e-12 < abs(needed):
        row["note"] = f"0/1 flag: switching it ({switch:+.0f}) is not enough alone (needs {needed:+.3g})"
    else:
        row["change"] = switch
        row["new_value"] = row["current"] + switch
        row["within_observed"] = True
        row["note"] = "0/1 flag: switching it is enough alone"


def _num(x: float) -> str:
    digits = 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 2 if abs(x) >= 1 else 3
    return f"{x:+,.{digits}f}"


@dataclass
class Gap:
    """``gap_to``'s answer: the change in dimension scores and what it means per indicator.

    Attributes
    ----------
    code, current, target : str
        The unit, its type key now and the type key aimed for; ``names``: the unit's label per language.
    feasible : bool
        Whether any change within the observed ranges reaches the target.
    delta, before, after : pandas.Series
        Dimension scores: the change, now and after it; ``distance`` is the norm of ``delta``.
    constraints : list of Constraint
        The conditions the answer meets (the target's) and breaks (earlier types').
    changes : pandas.DataFrame
        One row per indicator of each dimension that must move, with the change it alone would
        need in its own unit (``change``, ``new_value``) or a ``note`` saying why none can be given.
    reason, method : str
        Why there is no change (if so); how the answer was found.
    """

    code: str
    names: dict[str, str]  # lang → region label
    current: str
    target: str
    feasible: bool
    delta: pd.Series
    before: pd.Series
    after: pd.Series
    distance: float
    constraints: list[Constraint]
    changes: pd.DataFrame
    reason: str
    labels: dict[str, dict[str, str]]  # lang → {type key, axis, dimension → display name}
    method: str

    @property
    def is_zero(self) -> bool:
        """Whether the region already has the target type.

        Returns
        -------
        bool
            True when feasible with no change in any dimension.
        """
        return self.feasible and bool((self.delta.abs() < 1e-12).all())

    def _name(self, key: str, lang: str) -> str:
        return self.labels[lang].get(key, key)

    def conditions(self, lang: str = "ko") -> list[str]:
        """The conditions met and broken, in words.

        Parameters
        ----------
        lang : {'ko', 'en'}, default 'ko'
            Language of the type, axis and state names.

        Returns
        -------
        list of str
            One line per condition, e.g. ``'충족 사회주도형: 사회 축 ≥ -0.001'``.

        Examples
        --------
        >>> res.gap_to("전주시", "society_led").conditions()
        ['충족 사회주도형: 사회 축 ≥ -0.001']
        """
        ko = lang == "ko"
        out = []
        for c in self.constraints:
            state = ("불충족" if c.broken else "충족") if ko else ("fail" if c.broken else "meet")
            symbol, threshold = c.text().split(" ", 1)[1].split(" ", 1)
            out.append(f"{state} {self._name(c.type_key, lang)}: {self._name(c.axis, lang)} {symbol} {threshold}")
        return out

    def summary(self, lang: str = "ko") -> str:
        """The answer in a few lines: the move per dimension, each indicator's share of it, the conditions.

        Parameters
        ----------
        lang : {'ko', 'en'}, default 'ko'
            Language of the text.

        Returns
        -------
        str
        """
        ko = lang == "ko"
        head = f"{self.names[lang]}: {self._name(self.current, lang)} → {self._name(self.target, lang)}"
        if not self.feasible:
            return f"{head}. " + ("가능한 변화 없음: " if ko else "No feasible change: ") + self.reason
        if self.is_zero:
            return f"{head}. " + ("이미 이 유형이다 (변화 0)." if ko else "Already of this type (zero change).")
        moves = [f"{self._name(d, lang)} {_num(v)}" for d, v in self.delta.items() if abs(v) > 1e-12]
        lines = [f"{head}. " + ("최소 변화 (차원 점수, 거리 " if ko else "Smallest change (dimension scores, distance ")
                 + f"{self.distance:.3f}): " + ", ".join(moves) + "."]
        for dim, part in self.changes.groupby("dimension", sort=False):
            options = []
            for r in part.itertuples():
                name = r.name_ko if ko else r.name_en
                if math.isnan(r.change):
                    options.append(f"{name}: {r.note}")
                else:
                    flag = "" if r.within_observed else (" (관측 범위 밖)" if ko else " (beyond observed range)")
                    options.append(f"{name} {_num(r.change)} {_change_unit(r.unit)} "
                                   f"({r.current:,.3g} → {r.new_value:,.3g}){flag}")
            joiner = " 또는 " if ko else " or "
            lines.append(f"  {self._name(dim, lang)} {_num(self.delta[dim])} = " + joiner.join(options))
        lines.append(("조건: " if ko else "Conditions: ") + "; ".join(self.conditions(lang)))
        lines.append(self.method)
        return "\n".join(lines)

    def __str__(self) -> str:
        """Return ``summary()`` in Korean."""
        return self.summary()

    def _repr_html_(self) -> str:
        text = html.escape(self.summary()).replace("\n", "<br>")
        table = self.changes.to_html(index=False, na_rep="–", float_format="%.4g") if len(self.changes) else ""
        return f"<p>{text}</p>{table}"


def gap_to(results: ResultsView, region: object, target: str) -> Gap:
    """The smallest change of a region's dimension scores that moves it into ``target``.

    ``Results.gap_to`` calls it; see there.

    Parameters
    ----------
    results : Results
        The run (``ResultsView``); it must use the rules.
    region : str or int
        The region, as ``Results.region`` accepts it.
    target : str
        Type key or name.

    Returns
    -------
    Gap
    """
    code = results.region(region)
    key = results.type_key(target)
    if key == results.config["typology"]["unclassified"]["key"]:
        raise TypologyError(f"gap_to: {target!r} is the unclassified type, not a type to aim for")
    model = results.rules()
    scores = results.by_code[results.dimensions].astype(float)
    solved = dimension_gap(scores, model, code, key)
    changes = natural_changes(results, code, solved.delta) if solved.feasible else pd.DataFrame()
    labels = {}
    for lang in ("ko", "en"):
        names = {k: results.type_name(k, lang) for k in results.types.index}
        names.update({a: spec.get(f"name_{lang}", a) for a, spec in model.axes.items()})
        names.update({d: results.dimension_name(d, lang) for d in results.dimensions})
        labels[lang] = names
    method = (f"Thresholds and {results.normalise_method} normalisation held at their fitted values; each "
              f"dimension kept within its observed range across regions; each indicator's change is the one it "
              f"alone would need.")
    return Gap(code, {"ko": results.name(code, "ko"), "en": results.name(code, "en")}, solved.current, key,
               solved.feasible, solved.delta, solved.before, solved.after, solved.distance, solved.constraints,
               changes, solved.reason, labels, method)
