"""How much of a typology size alone explains, and which dimensions can change a type at all.

* ``baseline``: the agreement of the types with two size-only typings. The best rule on the
  자치구/시/군 class alone gives every class its most frequent type (the best any class-only rule
  can do on share of agreement); a logistic regression on log population (scikit-learn's model,
  fitted here with scipy: ``logistic_size``; multinomial for more than two types, fitted and
  judged on the same units: one slope and one intercept per type, so in-sample optimism is small)
  gives each unit its most probable type.
  Each is reported as the share of units typed alike, Cohen's κ and the adjusted Rand index;
  the logistic model also as the area under the ROC curve (one type against the rest, averaged
  over types for more than two). A typology that restates size scores high here.
* ``type_by_class``: the share of each type within 자치구, 시 and 군.
* ``decides``: for each dimension, whether any type can change with it. The rules read axes,
  and an axis no type's ``when`` names, or a dimension in no such axis, moves only the composite
  and the ranks. ``weight_warnings`` says so for weights set where they cannot change a type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from ..core.agreement import adjusted_rand, cohen_kappa, roc_auc, roc_auc_ovr
from ..core.settings import RunSettings, as_settings
from .coherence import deciding_axes


def _row(measure: str, target: str, against: str, statistic: str, value: float, n: int, flag: str = "",
         detail: str = "") -> dict[str, Any]:
    return {"measure": measure, "target": target, "against": against, "statistic": statistic,
            "value": None if value is None or np.isnan(value) else round(float(value), 6), "n": int(n),
            "flag": flag, "detail": detail}


def _agreement(measure: str, against: str, truth: pd.Series, guess: pd.Series, detail: str) -> list[dict[str, Any]]:
    n = len(truth)
    share = float((truth.to_numpy() == guess.to_numpy()).mean())
    # κ is undefined when both typings put every unit in one type; report it as missing then.
    kappa = cohen_kappa(truth, guess) if truth.nunique() + guess.nunique() > 2 else float("nan")
    return [_row(measure, "type", against, "share_agree", share, n, "", detail),
            _row(measure, "type", against, "cohen_kappa", kappa, n),
            _row(measure, "type", against, "ari", adjusted_rand(truth, guess), n)]


def class_rule(types: pd.Series, classes: pd.Series) -> pd.Series:
    """Every unit given the most frequent type of its class (ties to the type first in sort order)."""
    both = pd.concat([types.rename("t"), classes.rename("c")], axis=1).dropna()
    counts = both.groupby(["c", "t"]).size().reset_index(name="k").sort_values(["c", "k", "t"],
                                                                              ascending=[True, False, True])
    best = counts.drop_duplicates("c").set_index("c")["t"]
    return both["c"].map(best)


def _log_loss(raw: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's binomial log loss and its derivative in the linear predictor ``raw`` (y is 0 or 1).

    The branches and C library exp/log/log1p of scikit-learn's compiled loss: numpy's own exp can
    differ in the last bit, and L-BFGS-B, stopped at a loose tolerance, would then end elsewhere.
    """
    out = [_one_log_loss(r, t) for r, t in zip(raw.tolist(), y.tolist())]
    return np.array([o[0] for o in out]), np.array([o[1] for o in out])


def _one_log_loss(r: float, y: float) -> tuple[float, float]:
    if r <= -37:
        e = math.exp(r)
        return e - y * r, e - y
    if r <= -2:
        e = math.exp(r)
        return math.log1p(e) - y * r, ((1 - y) * e - y) / (1 + e)
    e = math.exp(-r)
    return (math.log1p(e) if r <= 18 else e) + (1 - y) * r, ((1 - y) - y * e) / (1 + e)


def _softmax_loss(raw: np.ndarray, code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's multinomial log loss and its derivatives in the linear predictors (one column per type)."""
    top = raw.max(axis=1)
    p = np.array([[math.exp(v) for v in row] for row in (raw - top[:, None]).tolist()]).reshape(raw.shape)
    total = p[:, 0].copy()
    for k in range(1, raw.shape[1]):  # in column order, as the compiled loss adds them
        total += p[:, k]
    rows = np.arange(len(code))
    loss = np.array([math.log(t) for t in total.tolist()]) + top - raw[rows, code]
    p /= total[:, None]
    p[rows, code] -= 1.0
    return loss, p


def _fit_logistic(x: np.ndarray, code: np.ndarray, k: int, c: float = 1e6) -> np.ndarray:
    """Slope(s) and intercept(s) of ``LogisticRegression(C=c, max_iter=1000)`` (lbfgs) of ``code`` on ``x``.

    The same objective, mean log loss + ||slopes||² / (2 c n) (intercepts unpenalised; one
    logistic for two types, a multinomial with a slope and an intercept per type for more), the
    same gradient, start (zeros), parameter order and L-BFGS-B options: so the same iterations and
    the same coefficients. ``x`` is (n, 1); the result is [slope, intercept] for two types, else
    [slopes..., intercepts...].
    """
    from scipy.optimize import minimize  # on use, as for ω: nothing before the validity audit needs it

    n = x.shape[0]
    l2 = 1.0 / (c * n)

    def binary(w: np.ndarray) -> tuple[float, np.ndarray]:
        loss, g = _log_loss(x @ w[:1] + w[1], (code == 1).astype(float))
        g /= n
        grad = np.empty_like(w)
        grad[:1] = x.T @ g + l2 * w[:1]
        grad[1] = np.sum(g)
        return float(np.sum(loss) / n) + float(0.5 * l2 * (w[:1] @ w[:1])), grad

    def multinomial(w: np.ndarray) -> tuple[float, np.ndarray]:
        coef = w.reshape((k, -1), order="F")
        slopes = coef[:, :-1]
        loss, g = _softmax_loss(x @ slopes.T + coef[:, -1], code)
        flat = np.ravel(slopes, order="K")
        g /= n
        grad = np.empty((k, 2), order="F")
        grad[:, :1] = g.T @ x + l2 * slopes
        grad[:, -1] = np.sum(g, axis=0)
        return float(np.sum(loss) / n) + float(0.5 * l2 * np.dot(flat, flat)), grad.ravel(order="F")

    fit = minimize(binary if k == 2 else multinomial, np.zeros(2 if k == 2 else 2 * k), method="L-BFGS-B",
                   jac=True, options={"maxiter": 1000, "maxls": 50, "gtol": 1e-4,
                                      "ftol": 64 * np.finfo(float).eps})
    return fit.x


def logistic_size(types: pd.Series, log_population: pd.Series) -> tuple[pd.Series, float]:
    """The most probable type given log population alone, and the model's (macro one-vs-rest) AUC.

    The estimator is scikit-learn's ``LogisticRegression(C=1e6, max_iter=1000)`` (lbfgs;
    multinomial for more than two types), reproduced by ``_fit_logistic`` without importing
    scikit-learn: the same coefficients, so the same predictions and probabilities. The AUC is
    ``roc_auc_score``'s: of P(second type) for two types, else each type against the rest, averaged.
    """
    both = pd.concat([types.rename("t"), log_population.rename("x")], axis=1).dropna()
    x = np.ascontiguousarray(both[["x"]].to_numpy(dtype=float))
    classes, code = np.unique(both["t"].to_numpy(), return_inverse=True)
    if len(classes) < 2:
        raise ValueError("a logistic regression of the type needs two or more types among units with a population")
    w = _fit_logistic(x, code, len(classes))
    if len(classes) == 2:
        decision = (x @ w[:1, None] + w[1]).reshape(-1)
        guess = classes[(decision > 0).astype(int)]
        auc = roc_auc(code == 1, expit(decision))
    else:
        coef = w.reshape((len(classes), -1), order="F")
        decision = x @ coef[:, :-1].T + coef[:, -1]
        guess = classes[decision.argmax(axis=1)]
        proba = np.exp(decision - decision.max(axis=1)[:, None])  # the probabilities predict_proba gives
        proba /= proba.sum(axis=1)[:, None]
        auc = roc_auc_ovr(both["t"].to_numpy(), proba, classes)
    return pd.Series(guess, index=both.index), auc


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
