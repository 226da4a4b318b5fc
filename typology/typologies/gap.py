"""``gap_to``: the smallest change that moves a region into a target type, in the indicators' own units.

``gap_geometry`` finds the change in dimension-score space. It is then translated into each
indicator's own units, one indicator at a time, holding the normalisation parameters fixed:
with arithmetic aggregation a dimension moves by w_i / S · Δz_i (S = weight the region has
observed), and an affine normalisation maps Δz_i back to Δx_i = Δz_i / slope_i (slope =
normalised range / raw range, signed).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from ..errors import TypologyError
from .gap_geometry import Constraint, dimension_gap

if TYPE_CHECKING:
    from .rules import RuleTypology

AFFINE_TOL = 1e-6  # largest residual of norm ~ raw, relative to the normalised range


class RuleResults(Protocol):
    """What ``gap_to`` reads of a run's results: ``typology.api.results.Results`` provides it.

    Named here so that this stage never imports the notebook API above it, not even for type checking.
    """

    indicators: pd.DataFrame
    config: dict[str, Any]

    @property
    def by_code(self) -> pd.DataFrame: ...
    @property
    def dimensions(self) -> list[str]: ...
    @property
    def types(self) -> pd.DataFrame: ...
    @property
    def normalise_method(self) -> str: ...
    def region(self, query: object, system: str = "kostat") -> str: ...
    def name(self, code: str, lang: str = "ko") -> str: ...
    def dimension_name(self, dim: str, lang: str = "ko") -> str: ...
    def type_key(self, query: str) -> str: ...
    def type_name(self, key: str, lang: str = "ko") -> str: ...
    def rules(self) -> RuleTypology: ...


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


def natural_changes(results: RuleResults, code: str, delta: pd.Series) -> pd.DataFrame:
    """For each dimension that must change: what each of its indicators alone would need.

    Parameters
    ----------
    results : Results
        The run (``RuleResults``).
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


def gap_to(results: RuleResults, region: object, target: str) -> Gap:
    """The smallest change of a region's dimension scores that moves it into ``target``.

    ``Results.gap_to`` calls it; see there.

    Parameters
    ----------
    results : Results
        The run (``RuleResults``); it must use the rules.
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
