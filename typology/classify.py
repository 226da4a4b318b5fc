"""Typology methods: dimension scores → a named type, with a reason, for every unit.

``rules`` reads the type rules from the config: axes are means of dimension scores, and
each type's ``when`` conditions compare an axis with a threshold relative to the national
mean or median of that axis (e.g. ``">= mean"``, ``"< median - 0.25"``). Types are tried
in order and the first whose conditions all hold wins; ``when: {}`` catches the rest.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import TypologyError
from .registry import Registry

TYPOLOGIES: Registry[type] = Registry("typology")

OPS = {">=": (operator.ge, "≥", "<"), ">": (operator.gt, ">", "≤"),
       "<=": (operator.le, "≤", ">"), "<": (operator.lt, "<", "≥")}
REFS = {"mean": "평균", "median": "중앙값"}
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
        if self.ref == "mean":
            return float(axis_values.mean()) + self.offset
        if self.ref == "median":
            return float(axis_values.median()) + self.offset
        return self.offset

    def label(self, threshold: float, held: bool) -> str:
        _, shown, negated = OPS[self.op]
        ref = REFS.get(self.ref, "기준값")
        return f"{shown if held else negated} {ref} {round(threshold, 2) + 0.0:+.2f}"


@TYPOLOGIES.register("rules")
class RuleTypology:
    """Readable threshold rules over axes built from dimension scores (sklearn-style)."""

    def __init__(self, axes: dict[str, Any], types: list[dict[str, Any]], unclassified: dict[str, Any],
                 dimension_names: dict[str, str] | None = None) -> None:
        self.axes = axes
        self.types = types
        self.unclassified = unclassified
        self.dimension_names = dimension_names

    def _validate(self, dimensions: list[str]) -> None:
        if not isinstance(self.axes, dict) or not self.axes:
            raise TypologyError("config key typology.axes: expected a mapping of axis name → {dimensions: [...]}")
        for name, spec in self.axes.items():
            dims = spec.get("dimensions") if isinstance(spec, dict) else None
            if not dims or any(d not in dimensions for d in dims):
                raise TypologyError(
                    f"config key typology.axes.{name}.dimensions: expected a list drawn from {dimensions}, got {dims!r}"
                )
        if not isinstance(self.types, list) or not self.types:
            raise TypologyError("config key typology.types: expected a list of types with key, name_ko and when")
        keys = []
        for i, spec in enumerate(self.types):
            where = f"typology.types[{i}]"
            if not isinstance(spec, dict) or not {"key", "name_ko", "name_en"} <= set(spec):
                raise TypologyError(f"config key {where}: each type needs key, name_ko and name_en")
            when = spec.get("when") or {}
            if not isinstance(when, dict):
                raise TypologyError(f"config key {where}.when: expected a mapping axis → condition")
            for axis in when:
                if axis not in self.axes:
                    raise TypologyError(
                        f"config key {where}.when.{axis}: unknown axis; expected one of {list(self.axes)}"
                    )
            keys.append(spec["key"])
        if len(set(keys)) != len(keys):
            raise TypologyError(f"config key typology.types: duplicate type keys in {keys}")
        if self.unclassified.get("key") in keys:
            raise TypologyError("config key typology.unclassified.key: clashes with a type key")

    def fit(self, scores: pd.DataFrame) -> RuleTypology:
        self._validate(list(scores.columns))
        self.conditions_ = [
            [Condition.parse(axis, text, f"typology.types[{i}].when.{axis}")
             for axis, text in (spec.get("when") or {}).items()]
            for i, spec in enumerate(self.types)
        ]
        self.axes_ = self.axis_scores(scores)
        self.thresholds_ = [[c.threshold(self.axes_[c.axis].dropna()) for c in conds]
                            for conds in self.conditions_]
        return self

    def axis_scores(self, scores: pd.DataFrame) -> pd.DataFrame:
        # An axis needs every one of its dimensions: a missing dimension is not averaged away.
        return pd.DataFrame({name: scores[spec["dimensions"]].mean(axis=1, skipna=False)
                             for name, spec in self.axes.items()}, index=scores.index)

    def predict(self, scores: pd.DataFrame) -> pd.DataFrame:
        axes = self.axis_scores(scores)
        names = self.dimension_names or {}
        rows = []
        for code, row in axes.iterrows():
            detail = {name: self._axis_text(name, row[name], scores.loc[code], names) for name in self.axes}
            rows.append(self._type_one(row, detail))
        out = pd.DataFrame(rows, index=scores.index, columns=["type", "type_ko", "type_en", "reason"])
        for name in self.axes:
            out[f"axis_{name}"] = axes[name]
        return out

    def fit_predict(self, scores: pd.DataFrame) -> pd.DataFrame:
        return self.fit(scores).predict(scores)

    def _axis_text(self, name: str, value: float, dims: pd.Series, names: dict[str, str]) -> str:
        label = self.axes[name].get("name_ko", name)
        parts = ", ".join(f"{names.get(d, d)} {_signed(dims[d])}" for d in self.axes[name]["dimensions"])
        return f"{label} {_signed(value)} ({parts})"

    def _type_one(self, axes: pd.Series, detail: dict[str, str]) -> tuple[str, str, str, str]:
        failed: list[str] = []
        for spec, conds, thresholds in zip(self.types, self.conditions_, self.thresholds_):
            needed = [c.axis for c in conds]
            if any(np.isnan(axes[a]) for a in needed):
                missing = [a for a in needed if np.isnan(axes[a])]
                return self._unclassified(f"축 점수 없음 (차원 점수 결측): {', '.join(missing)}")
            held = [OPS[c.op][0](axes[c.axis], t) for c, t in zip(conds, thresholds)]
            texts = [f"{detail[c.axis]} {c.label(t, h)}" for c, t, h in zip(conds, thresholds, held)]
            if all(held):
                why = "; ".join(failed + texts) if texts or failed else "기본 유형"
                return spec["key"], spec["name_ko"], spec["name_en"], f"{why} → {spec['name_ko']}"
            failed += [t for t, h in zip(texts, held) if not h]
        return self._unclassified("; ".join(failed) + " → 어느 규칙에도 해당하지 않음")

    def _unclassified(self, why: str) -> tuple[str, str, str, str]:
        u = self.unclassified
        return u["key"], u["name_ko"], u["name_en"], why


def classify(scores: pd.DataFrame, typology: dict[str, Any], catalog: Any) -> tuple[pd.DataFrame, list[dict]]:
    """Dimension scores → type, names and reason per unit, plus the run-log entry."""
    method = TYPOLOGIES.get(typology["method"], "typology.method")
    model = method(axes=typology["axes"], types=typology["types"], unclassified=typology["unclassified"],
                   dimension_names={d: catalog.dimensions[d]["name_ko"] for d in scores.columns})
    typed = model.fit_predict(scores)
    step = {"step": "classify", "method": typology["method"],
            "thresholds": {spec["key"]: [{"axis": c.axis, "op": c.op, "ref": c.ref, "value": t}
                                         for c, t in zip(conds, ts)]
                           for spec, conds, ts in zip(typology["types"], model.conditions_, model.thresholds_)}}
    return typed, [step]
