"""Latent class / latent profile analysis (StepMix): classes from the indicators, named by the rules.

``latent_class`` models the indicators the run scores with, not the four dimension scores: the
continuous ones (catalogue ``level:`` continuous or count) as normalised, each a Gaussian with
its own variance per class, and the 0/1 flags (``level: binary``) as Bernoulli, so a flag is a
flag and not a rare, extreme z-score. Ordinal indicators are categorical. Missing indicator
values are left missing: StepMix's ``*_nan`` measurement models leave a missing cell out of
that unit's likelihood (full-information maximum likelihood); a unit with no observed indicator,
or without a covariate, is not classified and its reason says why.

Covariates (``typology.options.latent_class.covariates``; default log population and
자치구/시/군) enter the structural model, a multinomial logit of class membership on them, so
that the classes are what the indicators show beyond what size and class already predict, and
size is a predictor of membership instead of a hidden axis of the types. log population is
standardised, a category (class) enters as dummies against its most common value (군 on the bundled data).

k is the k of lowest BIC over ``typology.k_range`` (``k_selection``: BIC, AIC, log-likelihood,
entropy and relative entropy (Ramaswamy et al. 1993: 1 = every unit certain), smallest class).
Each class is named by the type rules through the mean dimension scores of its members, as the
cluster methods' clusters are; ``prob_<type>`` sums the posterior probabilities of the classes
that carry that type, so the columns of a unit sum to 1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.config import SCHEMA, defaults_of
from ..core.settings import thaw
from ..errors import TypologyError
from .cluster import canonical_labels

LEVEL_MODEL = {"continuous": "continuous_nan", "count": "continuous_nan", "binary": "binary_nan",
               "ordinal": "categorical_nan"}
OPTION_KEY = "typology.options.latent_class"
_OPTIONS = defaults_of(SCHEMA["typology"]["options"]["latent_class"])  # each default lives in the schema only
DEFAULT_COVARIATES = tuple(_OPTIONS["covariates"])


@dataclass
class Inputs:
    """What the run hands ``classify`` for methods that model indicators: values, catalogue entries, attributes."""

    normalised: pd.DataFrame
    raw: pd.DataFrame
    indicators: list[Any]
    context: pd.DataFrame | None = None


@dataclass
class Measures:
    """What the latent class model reads: indicator values by column, their levels, unit covariates."""

    values: pd.DataFrame  # units × indicators (normalised continuous, 0/1 or 0..m−1 for discrete)
    levels: dict[str, str]  # indicator → catalogue level
    covariates: pd.DataFrame  # units × covariate columns, numeric (may be empty: no structural model)
    excluded: dict[str, str]  # unit code → why it is not classified


def measures(normalised: pd.DataFrame, raw: pd.DataFrame, indicators: list[Any], context: pd.DataFrame | None,
             covariates: list[str]) -> Measures:
    """The measurement matrix and covariates, with every unit left out named and explained."""
    cols, levels = {}, {}
    for ind in indicators:
        level = ind.level if ind.level in LEVEL_MODEL else "continuous"
        levels[ind.key] = level
        if level in ("binary", "ordinal"):
            x = raw[ind.key].astype(float)
            odd = x.dropna()[(x.dropna() != x.dropna().round()) | (x.dropna() < 0)]
            if level == "binary":
                odd = x.dropna()[~x.dropna().isin([0.0, 1.0])]
            if len(odd):
                raise TypologyError(f"indicator {ind.key!r} (level {level}): latent_class needs "
                                    f"{'0/1' if level == 'binary' else 'whole numbers 0, 1, 2, …'} values, "
                                    f"got {odd.iloc[0]!r} for unit {odd.index[0]}")
            cols[ind.key] = x
        else:
            cols[ind.key] = normalised[ind.key].astype(float)
    values = pd.DataFrame(cols, index=raw.index)
    none = values.index[values.isna().all(axis=1)]
    excluded = {c: "지표가 하나도 관측되지 않음 (no indicator observed)" for c in none}
    Z = pd.DataFrame(index=values.index)
    if covariates:
        if context is None:
            raise TypologyError(f"config key {OPTION_KEY}.covariates: the run has no unit attributes to use")
        for name in covariates:
            if name not in context.columns:
                raise TypologyError(f"config key {OPTION_KEY}.covariates: {name!r} is not a unit attribute; expected "
                                    f"some of {', '.join(c for c in context.columns if c != 'population')}")
            col = context[name].reindex(values.index)
            if pd.api.types.is_numeric_dtype(col):
                sd = col.std()
                Z[name] = (col - col.mean()) / (sd if sd > 0 else 1.0)
            else:
                # Dummies against the most common category, in a fixed order.
                cats = sorted(col.dropna().unique(), key=lambda v: (-int((col == v).sum()), str(v)))
                for cat in cats[1:]:
                    Z[f"{name}={cat}"] = (col == cat).astype(float).where(col.notna())
        for code in Z.index[Z.isna().any(axis=1)]:
            gone = sorted({c.split("=")[0] for c in Z.columns if pd.isna(Z.at[code, c])})
            excluded.setdefault(code, f"공변량 결측 (covariate missing: {', '.join(gone)})")
    return Measures(values, levels, Z, excluded)


def _descriptor(values: pd.DataFrame, levels: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """StepMix's nested measurement: one block per model, the columns ordered block by block."""
    desc: dict[str, Any] = {}
    order: list[str] = []
    for model in dict.fromkeys(LEVEL_MODEL.values()):
        keys = [k for k in values.columns if LEVEL_MODEL[levels[k]] == model]
        if not keys:
            continue
        block: dict[str, Any] = {"model": model, "n_columns": len(keys)}
        if model == "categorical_nan":
            block["n_outcomes"] = int(np.nanmax(values[keys].to_numpy())) + 1
        desc[model] = block
        order += keys
    return desc, order


class LatentClassModel:
    """A latent class / profile model with covariates on class membership (StepMix, one-step ML).

    ``fit(measures)`` sets ``labels_`` (1..k by first appearance, modal class), ``proba_`` (units ×
    k, columns in label order), ``bic_``, ``aic_``, ``loglik_``, ``entropy_`` and
    ``relative_entropy_``, over the units not in ``measures.excluded`` (``index_``).
    """

    spatial = False
    latent = True

    def __init__(self, k: int, seed: int = 0, n_init: int = _OPTIONS["n_init"], max_iter: int = _OPTIONS["max_iter"],
                 tol: float = _OPTIONS["tol"], covariates: list[str] | tuple[str, ...] = DEFAULT_COVARIATES) -> None:
        self.k = k
        self.seed = seed
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.covariates = covariates

    def fit(self, data: Measures, contiguity: Any = None) -> LatentClassModel:
        from stepmix.stepmix import StepMix

        keep = data.values.index[~data.values.index.isin(list(data.excluded))]
        desc, order = _descriptor(data.values, data.levels)
        X = data.values.loc[keep, order].to_numpy(dtype=float)
        Y = data.covariates.loc[keep].to_numpy(dtype=float) if data.covariates.shape[1] else None
        model = StepMix(n_components=self.k, measurement=desc, structural="covariate" if Y is not None else "gaussian",
                        n_steps=1, n_init=self.n_init, max_iter=self.max_iter, abs_tol=self.tol,
                        random_state=self.seed, verbose=0, progress_bar=0,
                        structural_params={"method": "newton-raphson", "max_iter": 1})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # StepMix's convergence notes: the k table reports the fit
            model.fit(X, Y)
            proba = model.predict_proba(X, Y)
            self.bic_ = float(model.bic(X, Y))
            self.aic_ = float(model.aic(X, Y))
            self.loglik_ = float(model.score(X, Y) * len(X))
        raw = proba.argmax(axis=1)
        labels = canonical_labels(raw)
        # Column j of proba_ is class j + 1 of labels_; a class no unit is modal in goes last.
        first = {int(r): int(lab) for r, lab in zip(raw, labels)}
        order_cols = sorted(range(self.k), key=lambda c: first.get(c, self.k + c))
        self.proba_ = proba[:, order_cols]
        self.labels_ = labels
        self.index_ = keep
        p = np.clip(self.proba_, 1e-15, 1.0)
        self.entropy_ = float(-(p * np.log(p)).sum())
        self.relative_entropy_ = float(1 - self.entropy_ / (len(X) * np.log(self.k))) if self.k > 1 else 1.0
        return self


def k_table(fits: dict[int, LatentClassModel]) -> pd.DataFrame:
    """One row per candidate k: classes found, the fit criteria and the smallest class."""
    rows = []
    for k, fit in fits.items():
        counts = np.bincount(fit.labels_, minlength=k + 1)[1:]
        rows.append({"k": k, "clusters_found": int((counts > 0).sum()), "bic": round(fit.bic_, 4),
                     "aic": round(fit.aic_, 4), "log_likelihood": round(fit.loglik_, 4),
                     "entropy": round(fit.entropy_, 4), "relative_entropy": round(fit.relative_entropy_, 4),
                     "smallest_class_share": round(float(counts.min() / counts.sum()), 4)})
    return pd.DataFrame(rows)


def by_bic(table: pd.DataFrame) -> int:
    """The k of lowest BIC; a tie goes to the smaller k."""
    best = table["bic"].min()
    return int(table.loc[table["bic"] == best, "k"].min())


def type_probabilities(fit: LatentClassModel, class_types: pd.Series, type_keys: list[str],
                       index: pd.Index) -> pd.DataFrame:
    """``prob_<type>`` per unit: the posterior of the classes carrying that type, summed (NaN: not classified)."""
    out = pd.DataFrame(np.nan, index=index, columns=[f"prob_{t}" for t in type_keys])
    probs = pd.DataFrame(fit.proba_, index=fit.index_, columns=range(1, fit.proba_.shape[1] + 1))
    for key in type_keys:
        classes = [c for c in probs.columns if class_types.get(c) == key]
        out.loc[fit.index_, f"prob_{key}"] = probs[classes].sum(axis=1).round(6) if classes else 0.0
    return out


def class_profiles(fit: LatentClassModel, scores: pd.DataFrame) -> pd.DataFrame:
    """Per class, the mean dimension scores of the units weighted by their posterior (NaN scores left out)."""
    S = scores.loc[fit.index_]
    rows = {}
    for j in range(fit.proba_.shape[1]):
        w = pd.Series(fit.proba_[:, j], index=S.index)
        rows[j + 1] = {d: float((S[d] * w)[S[d].notna()].sum() / w[S[d].notna()].sum())
                       if w[S[d].notna()].sum() > 0 else np.nan for d in S.columns}
    return pd.DataFrame.from_dict(rows, orient="index")[list(scores.columns)]


def fit_classes(data: Measures, ks: list[int], k: int | str, seed: int,
                options: dict[str, Any]) -> tuple[LatentClassModel, pd.DataFrame]:
    """Fit every k of ``ks``; the chosen fit (lowest BIC when ``k`` is auto) and the k table."""
    kept = len(data.values) - len(data.excluded)
    if kept < 3 or max(ks) > kept - 1:
        raise TypologyError(f"typology.method latent_class: {kept} regions can be classified; k up to {max(ks)} "
                            f"needs at least {max(ks) + 1}")
    fits, failed = {}, {}
    for kk in ks:
        try:
            fits[kk] = LatentClassModel(k=kk, seed=seed, **options).fit(data)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
            # A class that empties out makes the covariate model's Newton step singular: that k has no fit.
            failed[kk] = f"{exc.__class__.__name__}: {exc}"
    if not fits or (k != "auto" and int(k) in failed):
        which = k if k != "auto" else ", ".join(map(str, ks))
        raise TypologyError(f"typology.method latent_class: no model could be fitted for k = {which} "
                            f"({next(iter(failed.values()))}); try a smaller typology.k_range or fewer covariates")
    table = k_table(fits)
    if failed:
        table = pd.concat([table, pd.DataFrame([{"k": kk, "clusters_found": 0} for kk in failed])])
        table = table.sort_values("k").reset_index(drop=True)
    table["fit_failed"] = table["k"].isin(list(failed))
    chosen = by_bic(table) if k == "auto" else int(k)
    table.insert(1, "chosen", table["k"] == chosen)
    return fits[chosen], table


def indicator_importance(fit: LatentClassModel, data: Measures) -> pd.DataFrame:
    """How strongly each indicator separates the classes: the share of its variance between modal classes (η²).

    For a 0/1 flag this is the same ratio on the 0/1 values. The most decisive indicator has the
    largest η².
    """
    V = data.values.loc[fit.index_]
    labels = pd.Series(fit.labels_, index=fit.index_)
    rows = []
    for key in V.columns:
        x = V[key].dropna()
        g = labels[x.index]
        total = float(((x - x.mean()) ** 2).sum())
        between = float((x.groupby(g).count() * (x.groupby(g).mean() - x.mean()) ** 2).sum())
        rows.append({"indicator": key, "level": data.levels[key], "n": int(len(x)),
                     "eta_squared": round(between / total, 4) if total > 0 else np.nan})
    return pd.DataFrame(rows).sort_values("eta_squared", ascending=False, kind="stable").reset_index(drop=True)


def latent_typing(scores: pd.DataFrame, rules: Any, rule_typed: pd.DataFrame, opts: Any,
                  step: dict[str, Any], data: Measures) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Classes → named types with reasons and ``prob_`` columns; the tables; ``step`` is filled in."""
    from . import agreement
    from . import type_tables as type_report

    fit, k_tab = fit_classes(data, opts.k_range if opts.k == "auto" else sorted({*opts.k_range, int(opts.k)}),
                             opts.k, opts.seed, opts.options)
    k = int(k_tab.loc[k_tab["chosen"], "k"].iloc[0])
    classes = pd.Series(fit.labels_, index=fit.index_, name="cluster")
    profiles = class_profiles(fit, scores)
    named = rules.explain(profiles)
    unclassified = rules.unclassified
    own_text = rules.position(scores.loc[fit.index_])
    typed = rule_typed[["type", "type_ko", "type_en", "reason"] + [f"axis_{a}" for a in rules.axes]].copy()
    typed["cluster"] = pd.array([pd.NA] * len(typed), dtype="Int64")
    for code in typed.index:
        if code not in classes.index:
            typed.loc[code, ["type", "type_ko", "type_en", "reason"]] = [
                unclassified["key"], unclassified["name_ko"], unclassified["name_en"],
                f"잠재계층에서 제외: {data.excluded.get(code, '자료 없음')}"]
            continue
        c = int(classes[code])
        row = named.loc[c]
        head = (f"잠재계층 {c} (사후확률 가중 평균: {row['why']})"
                + ("" if row["type"] == unclassified["key"] else f" → {row['type_ko']}"))
        typed.loc[code, ["type", "type_ko", "type_en", "reason"]] = [
            row["type"], row["type_ko"], row["type_en"], f"{head}; 이 지역: {own_text[code]}"]
        typed.at[code, "cluster"] = c
    typed["rule_type"] = rule_typed["type"]
    keys = [t["key"] for t in opts.types] + [unclassified["key"]]
    probs = type_probabilities(fit, named["type"], keys, typed.index)
    # A type no class carries has probability 0 everywhere: kept, so every run has the same columns.
    typed = typed.join(probs)
    typed["type_stability"] = np.nan
    typed["type_unstable"] = pd.array([pd.NA] * len(typed), dtype="boolean")
    compared = typed["cluster"].notna()
    agree = agreement.summary(typed["cluster"], typed["type"].where(compared), rule_typed["type"].where(compared))
    importance = indicator_importance(fit, data)
    step.update({"k": k, "k_auto": opts.k == "auto", "k_rule": "bic", "k_range": list(k_tab["k"]),
                 "features": "indicators", "options": thaw(opts.options), "agreement": agree,
                 "levels": data.levels, "covariates": list(data.covariates.columns),
                 "bic": float(k_tab.loc[k_tab["chosen"], "bic"].iloc[0]),
                 "relative_entropy": float(k_tab.loc[k_tab["chosen"], "relative_entropy"].iloc[0]),
                 "excluded": {c: data.excluded[c] for c in sorted(data.excluded)},
                 "most_decisive_indicator": str(importance["indicator"].iloc[0]),
                 "bootstrap": {"n": 0, "note": "no region bootstrap for latent_class: every replicate refits k "
                                               "mixtures (use typology uncertainty for robustness)"},
                 "prob_columns": "posterior class probabilities summed over the classes that carry each type",
                 "warnings": []})
    cluster_tab = type_report.cluster_table(classes, scores.loc[fit.index_], named, None, typed, {})
    cluster_tab.insert(2, "prior_share", [round(float(fit.proba_[:, c - 1].mean()), 4) for c in cluster_tab["cluster"]])
    tables = {"clusters": cluster_tab, "k_selection": k_tab,
              "agreement": agreement.crosstab(typed["cluster"], typed["type"], rule_typed["type"], keys),
              "agreement_summary": pd.DataFrame([{"measure": m, "value": v} for m, v in agree.items()]),
              "latent_indicators": importance}
    return typed, tables
