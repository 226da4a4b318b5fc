"""The type rules: conditions on axes, their thresholds, and the first type whose conditions hold.

Axes are means of dimension scores. Each type's ``when`` conditions compare an axis with a
threshold relative to the national mean or median of that axis (e.g. ``">= mean"``,
``"< median - 0.25"``) or with a number. Types are tried in order and the first whose
conditions all hold wins; ``when: {}`` catches the rest; a needed axis that is missing stops
the search (unclassified).

``axis_values``, ``thresholds_of`` and ``first_match`` are the one evaluator of the rules. They
work on arrays whose last dimension is the units and whose leading dimensions, if any, are
replicates, so the same code types one run (``RuleTypology``), every bootstrap replicate of
``classify`` and every Monte Carlo replicate of ``uncertainty``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.settings import TypologySettings
from ..errors import TypologyError

OPS = {">=": (operator.ge, "≥", "<"), ">": (operator.gt, ">", "≤"),
       "<=": (operator.le, "≤", ">"), "<": (operator.lt, "<", "≥")}
REFS = {"mean": "평균", "median": "중앙값"}
# What a type in the config may say; ``extension: true`` marks a type this project added to the study's.
TYPE_KEYS = {"key", "name_ko", "name_en", "when", "policy_ko", "policy_en", "extension"}
_COND = re.compile(r"^\s*(>=|<=|>|<)\s*(mean|median|[-+]?\d+(?:\.\d+)?)\s*(?:([-+])\s*(\d+(?:\.\d+)?))?\s*$")


def _signed(value: float) -> str:
    return "결측" if np.isnan(value) else f"{round(value, 2) + 0.0:+.2f}"


@dataclass(frozen=True)
class Condition:
    axis: str
    op: str
    ref: str  # "mean", "median" or "" for an absolute number
    offset: float

    @classmethod
    def parse(cls, axis: str, text: object, where: str) -> Condition:
        match = _COND.match(str(text))
        if not match:
            raise TypologyError(
                f"config key {where}: condition {text!r} not understood; expected e.g. '>= mean', "
                f"'< median - 0.25' or '>= 0.5'"
            )
        op, ref, sign, number = match.groups()
        if ref in REFS:
            offset = float(number or 0) * (-1 if sign == "-" else 1)
            return cls(axis, op, ref, offset)
        if sign:
            raise TypologyError(f"config key {where}: an absolute threshold cannot carry an offset: {text!r}")
        return cls(axis, op, "", float(ref))

    def threshold(self, axis_values: pd.Series) -> float:
        """The definition in pandas terms; ``thresholds_of`` computes it for arrays of replicates."""
        if self.ref == "mean":
            return float(axis_values.mean()) + self.offset
        if self.ref == "median":
            return float(axis_values.median()) + self.offset
        return self.offset

    def label(self, threshold: float, held: bool) -> str:
        _, shown, negated = OPS[self.op]
        ref = REFS.get(self.ref, "기준값")
        return f"{shown if held else negated} {ref} {round(threshold, 2) + 0.0:+.2f}"


# --- the evaluator --------------------------------------------------------------------------------

Conditions = Sequence[Sequence[Condition]]  # per type, in config order


def axis_values(scores: np.ndarray, positions: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per axis: the mean of its dimensions (``positions`` on the last dimension of ``scores``).

    An axis needs every one of its dimensions: a missing dimension is not averaged away.
    """
    return {name: scores[..., dims].mean(axis=-1) for name, dims in positions.items()}


def _centre(values: np.ndarray, ref: str) -> np.ndarray:
    """Mean or median over the units that have a value (last dimension), per replicate.

    Summed as pandas sums the values left after ``dropna`` (NumPy's pairwise sum), so a unit
    lying exactly on a threshold gets the type ``Condition.threshold`` gives it.
    """
    if values.shape[-1] and not np.isnan(values).any():
        return values.mean(axis=-1) if ref == "mean" else np.median(values, axis=-1)
    stat = np.mean if ref == "mean" else np.median
    rows = values.reshape(-1, values.shape[-1])
    centres = [stat(row[~np.isnan(row)]) if (~np.isnan(row)).any() else np.nan for row in rows]
    return np.array(centres, dtype=float).reshape(values.shape[:-1])


def thresholds_of(conditions: Conditions, axes: Mapping[str, np.ndarray]) -> list[list[np.ndarray]]:
    """Per type and condition, its threshold in each replicate (the units' last dimension reduced)."""
    centres: dict[tuple[str, str], np.ndarray] = {}  # types often share an axis' mean
    out = []
    for conds in conditions:
        values = []
        for c in conds:
            units = axes[c.axis]
            if not c.ref:
                values.append(np.full(units.shape[:-1], c.offset))
                continue
            if (c.axis, c.ref) not in centres:
                centres[c.axis, c.ref] = _centre(units, c.ref)
            values.append(centres[c.axis, c.ref] + c.offset)
        out.append(values)
    return out


def first_match(conditions: Conditions, axes: Mapping[str, np.ndarray],
                thresholds: Sequence[Sequence[Any]]) -> np.ndarray:
    """Per unit, the position of the first type whose conditions all hold; ``len(conditions)``
    (unclassified) when none does or a needed axis is missing before one does.

    ``thresholds`` per condition: a number, or one per replicate (the leading dimensions of the axes).
    """
    shape = next(iter(axes.values())).shape
    out = np.full(shape, len(conditions), dtype=np.int8)
    done = np.zeros(shape, dtype=bool)
    for t, (conds, values) in enumerate(zip(conditions, thresholds)):
        missing = np.zeros(shape, dtype=bool)
        held = np.ones(shape, dtype=bool)
        for c, value in zip(conds, values):
            units = axes[c.axis]
            missing |= np.isnan(units)
            with np.errstate(invalid="ignore"):
                held &= OPS[c.op][0](units, np.asarray(value)[..., None])
        hit = ~done & ~missing & held
        out[hit] = t
        done |= hit | missing
    return out


# --- the rules as a model -------------------------------------------------------------------------


class RuleTypology:
    """Readable threshold rules over axes built from dimension scores (sklearn-style)."""

    def __init__(self, axes: dict[str, Any], types: list[dict[str, Any]], unclassified: dict[str, Any],
                 dimension_names: dict[str, str] | None = None) -> None:
        self.axes = axes
        self.types = types
        self.unclassified = unclassified
        self.dimension_names = dimension_names

    def _validate(self, dimensions: list[str]) -> None:
        self._validate_axes(dimensions)
        if not isinstance(self.types, list) or not self.types:
            raise TypologyError("config key typology.types: expected a list of types with key, name_ko and when")
        keys = [self._validate_type(i, spec) for i, spec in enumerate(self.types)]
        if len(set(keys)) != len(keys):
            raise TypologyError(f"config key typology.types: duplicate type keys in {keys}")
        if self.unclassified.get("key") in keys:
            raise TypologyError("config key typology.unclassified.key: clashes with a type key")

    def _validate_axes(self, dimensions: list[str]) -> None:
        if not isinstance(self.axes, dict) or not self.axes:
            raise TypologyError("config key typology.axes: expected a mapping of axis name → {dimensions: [...]}")
        for name, spec in self.axes.items():
            dims = spec.get("dimensions") if isinstance(spec, dict) else None
            if not dims or any(d not in dimensions for d in dims):
                raise TypologyError(
                    f"config key typology.axes.{name}.dimensions: expected a list drawn from {dimensions}, got {dims!r}"
                )

    def _validate_type(self, i: int, spec: Any) -> Any:
        """The key of ``typology.types[i]``, once its keys and the axes its conditions name are checked."""
        where = f"typology.types[{i}]"
        if not isinstance(spec, dict) or not {"key", "name_ko", "name_en"} <= set(spec):
            raise TypologyError(f"config key {where}: each type needs key, name_ko and name_en")
        unknown = sorted(set(spec) - TYPE_KEYS)
        if unknown:
            raise TypologyError(f"config key {where}: unknown key(s) {unknown}; expected some of "
                                f"{', '.join(sorted(TYPE_KEYS))}")
        when = spec.get("when") or {}
        if not isinstance(when, dict):
            raise TypologyError(f"config key {where}.when: expected a mapping axis → condition")
        for axis in when:
            if axis not in self.axes:
                raise TypologyError(
                    f"config key {where}.when.{axis}: unknown axis; expected one of {list(self.axes)}"
                )
        return spec["key"]

    @property
    def type_keys(self) -> list[str]:
        """The types' keys in config order, then the unclassified key (``first_match`` positions)."""
        return [spec["key"] for spec in self.types] + [self.unclassified["key"]]

    def positions(self, columns: Sequence[str]) -> dict[str, np.ndarray]:
        """Per axis, the positions of its dimensions among ``columns`` (for ``axis_values``)."""
        where = {name: j for j, name in enumerate(columns)}
        return {name: np.array([where[d] for d in spec["dimensions"]]) for name, spec in self.axes.items()}

    def check(self, dimensions: list[str]) -> list[list[Condition]]:
        """Validate axes, types and keys and parse every condition, with no data (before a run)."""
        self._validate(dimensions)
        return [[Condition.parse(axis, text, f"typology.types[{i}].when.{axis}")
                 for axis, text in (spec.get("when") or {}).items()]
                for i, spec in enumerate(self.types)]

    def fit(self, scores: pd.DataFrame) -> RuleTypology:
        self.conditions_ = self.check(list(scores.columns))
        self.axes_ = self.axis_scores(scores)
        self.thresholds_ = [[float(t) for t in ts] for ts in thresholds_of(self.conditions_, _arrays(self.axes_))]
        return self

    def axis_scores(self, scores: pd.DataFrame) -> pd.DataFrame:
        values = axis_values(scores.to_numpy(dtype=float), self.positions(list(scores.columns)))
        return pd.DataFrame(values, index=scores.index)

    def predict(self, scores: pd.DataFrame) -> pd.DataFrame:
        return self.explain(scores).drop(columns="why")

    def fit_predict(self, scores: pd.DataFrame) -> pd.DataFrame:
        return self.fit(scores).predict(scores)

    def explain(self, scores: pd.DataFrame) -> pd.DataFrame:
        """Like ``predict``, plus ``why``: the reason without the trailing "→ type"."""
        axes = self.axis_scores(scores)
        hits = first_match(self.conditions_, _arrays(axes), self.thresholds_)
        rows = [self._reason(values, detail, hit) for values, detail, hit in zip(*self._unit_words(scores, axes), hits)]
        out = pd.DataFrame(rows, index=scores.index, columns=["type", "type_ko", "type_en", "reason", "why"])
        for name in self.axes:
            out[f"axis_{name}"] = axes[name]
        return out

    def position(self, scores: pd.DataFrame) -> pd.Series:
        """Each unit's place on every axis, in words (its own dimension scores in brackets)."""
        _, details = self._unit_words(scores, self.axis_scores(scores))
        return pd.Series([", ".join(detail.values()) for detail in details], index=scores.index, dtype=object)

    def _unit_words(self, scores: pd.DataFrame,
                    axes: pd.DataFrame) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        """Per unit: its axis values, and each axis in words (``_axis_text``), in the order of ``self.axes``.

        Read from NumPy arrays, whose items are the NumPy floats a row of the frame would give (so
        each rounds as before), without a frame row per unit.
        """
        names = self.dimension_names or {}
        used = list(dict.fromkeys(d for spec in self.axes.values() for d in spec["dimensions"]))
        values = scores[used].to_numpy(dtype=float)
        where = {d: j for j, d in enumerate(used)}
        columns = {n: axes[n].to_numpy(dtype=float) for n in self.axes}
        units = [{n: column[i] for n, column in columns.items()} for i in range(len(axes))]
        details = [{n: self._axis_text(n, row[n], {d: values[i, where[d]] for d in self.axes[n]["dimensions"]}, names)
                    for n in self.axes} for i, row in enumerate(units)]
        return units, details

    def _axis_text(self, name: str, value: float, dims: Mapping[str, float], names: dict[str, str]) -> str:
        label = self.axes[name].get("name_ko", name)
        parts = ", ".join(f"{names.get(d, d)} {_signed(dims[d])}" for d in self.axes[name]["dimensions"])
        return f"{label} {_signed(value)} ({parts})"

    def _reason(self, axes: Mapping[str, float], detail: dict[str, str], hit: int) -> tuple[str, str, str, str, str]:
        """The type ``first_match`` chose (``hit``), in words: the conditions that failed on the way there,
        then those of the type that held."""
        failed: list[str] = []
        for t, (spec, conds, thresholds) in enumerate(zip(self.types, self.conditions_, self.thresholds_)):
            missing = [c.axis for c in conds if np.isnan(axes[c.axis])]
            if missing:
                return self._unclassified(f"축 점수 없음 (차원 점수 결측): {', '.join(missing)}")
            held = [OPS[c.op][0](axes[c.axis], th) for c, th in zip(conds, thresholds)]
            texts = [f"{detail[c.axis]} {c.label(th, h)}" for c, th, h in zip(conds, thresholds, held)]
            if t == hit:
                why = "; ".join(failed + texts) if texts or failed else "기본 유형"
                return spec["key"], spec["name_ko"], spec["name_en"], f"{why} → {spec['name_ko']}", why
            failed += [text for text, h in zip(texts, held) if not h]
        return self._unclassified("; ".join(failed) + " → 어느 규칙에도 해당하지 않음")

    def _unclassified(self, why: str) -> tuple[str, str, str, str, str]:
        u = self.unclassified
        return u["key"], u["name_ko"], u["name_en"], why, why

    def assign(self, axes: pd.DataFrame) -> np.ndarray:
        """Type keys only, without the words (for the bootstrap); the same decisions as ``predict``."""
        return np.array(self.type_keys, dtype=object)[first_match(self.conditions_, _arrays(axes), self.thresholds_)]


def _arrays(axes: pd.DataFrame) -> dict[str, np.ndarray]:
    return {name: axes[name].to_numpy(dtype=float) for name in axes.columns}


def rule_model(typology: Mapping[str, Any] | TypologySettings,
               dimension_names: dict[str, str] | None = None) -> RuleTypology:
    """The rules of a typology section (or of its settings), unfitted."""
    if isinstance(typology, TypologySettings):
        typology = typology.rules()
    return RuleTypology(axes=typology["axes"], types=typology["types"], unclassified=typology["unclassified"],
                        dimension_names=dimension_names)
