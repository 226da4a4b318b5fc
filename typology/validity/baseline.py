"""How much of a typology size alone explains, and which dimensions can change a type at all.

* ``baseline``: the agreement of the types with two size-only typings. The best rule on the
  자치구/시/군 class alone gives every class its most frequent type (the best any class-only rule
  can do on share of agreement); a logistic regression on log population (scikit-learn,
  multinomial for more than two types, fitted and judged on the same units: one slope and one
  intercept per type, so in-sample optimism is small) gives each unit its most probable type.
  Each is reported as the share of units typed alike, Cohen's κ and the adjusted Rand index;
  the logistic model also as the area under the ROC curve (one type against the rest, averaged
  over types for more than two). A typology that restates size scores high here.
* ``type_by_class``: the share of each type within 자치구, 시 and 군.
* ``decides``: for each dimension, whether any type can change with it. The rules read axes,
  and an axis no type's ``when`` names, or a dimension in no such axis, moves only the composite
  and the ranks. ``weight_warnings`` says so for weights set where they cannot change a type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.settings import RunSettings, as_settings
from .coherence import deciding_axes


def _row(measure: str, target: str, against: str, statistic: str, value: float, n: int, flag: str = "",
         detail: str = "") -> dict[str, Any]:
    return {"measure": measure, "target": target, "against": against, "statistic": statistic,
            "value": None if value is None or np.isnan(value) else round(float(value), 6), "n": int(n),
            "flag": flag, "detail": detail}


def _agreement(measure: str, against: str, truth: pd.Series, guess: pd.Series, detail: str) -> list[dict[str, Any]]:
    from sklearn.metrics import adjusted_rand_score, cohen_kappa_score

    n = len(truth)
    share = float((truth.to_numpy() == guess.to_numpy()).mean())
    # κ is undefined when both typings put every unit in one type; report it as missing then.
    kappa = float(cohen_kappa_score(truth, guess)) if truth.nunique() + guess.nunique() > 2 else float("nan")
    return [_row(measure, "type", against, "share_agree", share, n, "", detail),
            _row(measure, "type", against, "cohen_kappa", kappa, n),
            _row(measure, "type", against, "ari", float(adjusted_rand_score(truth, guess)), n)]


def class_rule(types: pd.Series, classes: pd.Series) -> pd.Series:
    """Every unit given the most frequent type of its class (ties to the type first in sort order)."""
    both = pd.concat([types.rename("t"), classes.rename("c")], axis=1).dropna()
    counts = both.groupby(["c", "t"]).size().reset_index(name="k").sort_values(["c", "k", "t"],
                                                                              ascending=[True, False, True])
    best = counts.drop_duplicates("c").set_index("c")["t"]
    return both["c"].map(best)


def logistic_size(types: pd.Series, log_population: pd.Series) -> tuple[pd.Series, float]:
    """The most probable type given log population alone, and the model's (macro one-vs-rest) AUC."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    both = pd.concat([types.rename("t"), log_population.rename("x")], axis=1).dropna()
    x = both[["x"]].to_numpy(dtype=float)
    model = LogisticRegression(C=1e6, max_iter=1000).fit(x, both["t"])
    guess = pd.Series(model.predict(x), index=both.index)
    proba = model.predict_proba(x)
    if len(model.classes_) == 2:
        auc = float(roc_auc_score(both["t"] == model.classes_[1], proba[:, 1]))
    else:
        auc = float(roc_auc_score(both["t"], proba, multi_class="ovr", labels=model.classes_))
    return guess, auc


def baseline_rows(types: pd.Series, context: pd.DataFrame) -> list[dict[str, Any]]:
    """``types``: each unit's type key, NaN for unclassified (left out)."""
    types = types.dropna().astype(str)
    rows: list[dict[str, Any]] = []
    if types.nunique() < 2:
        return [_row("baseline", "type", "", "", float("nan"), len(types), "skipped", "fewer than two types")]
    classes = context["class"].reindex(types.index)
    guess = class_rule(types, classes)
    rule = "; ".join(f"{c} → {t}" for c, t in guess.groupby(classes.reindex(guess.index)).first().items())
    rows += _agreement("baseline", "class_rule", types.reindex(guess.index), guess, f"best class-only rule: {rule}")
    guess, auc = logistic_size(types, context["log_population"].reindex(types.index))
    rows += _agreement("baseline", "logistic_log_population", types.reindex(guess.index), guess,
                       "logistic regression of the type on log population, in sample")
    rows.append(_row("baseline", "type", "logistic_log_population", "auc", auc, len(guess), "",
                     "one type against the rest, averaged over types" if types.nunique() > 2 else ""))
    return rows


def class_share_rows(types: pd.Series, context: pd.DataFrame) -> list[dict[str, Any]]:
    both = pd.concat([types.rename("t"), context["class"].rename("c")], axis=1).dropna()
    rows = []
    for cls, part in both.groupby("c", sort=False):
        counts = part["t"].value_counts()
        for t, k in counts.sort_index().items():
            rows.append(_row("type_by_class", str(cls), str(t), "share", k / len(part), len(part), "",
                             f"{int(k)} of {len(part)}"))
    return rows


def deciding_dimensions(config: RunSettings | Mapping[str, Any], dimensions: list[str]) -> list[str]:
    """The dimensions that can change a type under this config's method."""
    typology = as_settings(config).typology.rules()
    in_axes = [d for a in deciding_axes(typology) for d in typology["axes"][a]["dimensions"]]
    if typology["method"] == "rules":
        return [d for d in dimensions if d in in_axes]
    if typology["features"] == "axes":
        return [d for d in dimensions if any(d in s["dimensions"] for s in typology["axes"].values())]
    return list(dimensions)


def decides_rows(config: RunSettings | Mapping[str, Any], dimensions: list[str]) -> list[dict[str, Any]]:
    settings = as_settings(config)
    deciding = deciding_dimensions(settings, dimensions)
    method = settings.typology.method
    rows = []
    for d in dimensions:
        can = d in deciding
        detail = (f"in an axis that a type rule uses ({method})" if can and method == "rules" else
                  f"a feature of the {method} clustering" if can else
                  "in no axis a type rule uses: moves the composite and ranks, never a type")
        rows.append(_row("decides", "type", d, "can_change_type", float(can), 0, "" if can else "cannot change type",
                         detail))
    return rows


def weight_warnings(config: RunSettings | Mapping[str, Any], dimension_of: dict[str, str],
                    dimensions: list[str]) -> list[str]:
    """Weights set in the config that cannot change any type (the rules read unweighted axis means)."""
    settings = as_settings(config)
    if settings.typology.method != "rules":
        return []
    weights = settings.scoring.weights
    deciding = set(deciding_dimensions(settings, dimensions))
    out = []
    if weights.get("dimensions"):
        out.append("scoring.weights.dimensions is set, but the type rules read unweighted axis means: these "
                   "weights change the composite and ranks, no type")
    idle = sorted(k for k in (weights.get("indicators") or {}) if dimension_of.get(k) not in deciding)
    if idle:
        out.append(f"scoring.weights.indicators sets {idle}, whose dimensions are in no axis a type rule uses: "
                   f"these weights cannot change any type")
    return out
