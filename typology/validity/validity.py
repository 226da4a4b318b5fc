"""Validity audit: what drives the scores and types of a run (``validity.csv``).

For each dimension, axis, the composite and the type:

* ``confounder``: the share of its variance explained by log population (R²), by the
  자치구/시/군 class and by the 시도 (η², the between-group share of the sum of squares). For the
  type, a category, the statistics turn round: η² of log population across types, and
  Cramér's V² of the type against class and 시도.
* ``redundancy``: Pearson r of every indicator pair inside a dimension (raw values, units with
  both observed); |r| ≥ 0.9 is flagged as double counting, one phenomenon counted twice.
* ``leave_one_out``: the whole scoring and typing again without one indicator; how many regions
  change type, and which. A dimension's only indicator cannot be dropped and says so.
* ``criterion``: Spearman's rank correlation of each axis and the composite with variables not
  used in scoring (``validation.criteria``), with n.
* ``discrete_range``: where a binary or ordinal indicator's normalised values lie against the
  range of the continuous indicators of its dimension.
* ``adjustment``: for each indicator replaced by its residual (``scoring.adjust``), the R² of
  the covariates it was adjusted for.

* ``baseline``, ``type_by_class``, ``decides`` (``baseline.py``); ``convergent`` and
  ``discriminant`` for criteria declared with an expected sign (``criteria.py``). The pipeline
  puts the ``coherence`` rows (``coherence.py``, computed before typing) first.

One row per measure, target and comparison; nothing here ranks regions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS, Indicator
from ..core.settings import RunSettings, as_settings
from ..typologies.classify import classify
from ..typologies.latent_class import Inputs
from ..typologies.rules import rule_model
from .baseline import baseline_rows, class_share_rows, decides_rows
from .coherence import Coherence
from .criteria import criteria_specs, criterion_rows
from .dropped import rescored

COLUMNS = ["measure", "target", "against", "statistic", "value", "n", "flag", "detail"]
REDUNDANT_FROM = 0.9
CONFOUNDERS = ("log_population", "log_density", "class", "sido")


def r_squared(y: pd.Series, x: pd.Series) -> tuple[float, int]:
    """Squared Pearson correlation (the R² of a simple regression), over units with both observed."""
    both = pd.concat([y, x], axis=1).dropna().astype(float)
    if len(both) < 3 or both.iloc[:, 0].std() == 0 or both.iloc[:, 1].std() == 0:
        return float("nan"), len(both)
    return float(np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1] ** 2), len(both)


def eta_squared(y: pd.Series, groups: pd.Series) -> tuple[float, int]:
    """Between-group sum of squares over the total: the share of ``y``'s variance the groups explain."""
    both = pd.concat([y.astype(float).rename("y"), groups.rename("g")], axis=1).dropna()
    total = float(((both["y"] - both["y"].mean()) ** 2).sum())
    if len(both) < 2 or total == 0:
        return float("nan"), len(both)
    means = both.groupby("g")["y"].transform("mean")
    return float(((means - both["y"].mean()) ** 2).sum() / total), len(both)


def cramers_v2(a: pd.Series, b: pd.Series) -> tuple[float, int]:
    """Cramér's V squared: χ² / (n · (min(rows, columns) − 1)), 0 = independent, 1 = one decides the other."""
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1).dropna()
    table = pd.crosstab(both["a"], both["b"]).to_numpy(dtype=float)
    n = table.sum()
    k = min(table.shape) - 1
    if n == 0 or k < 1:
        return float("nan"), int(n)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return chi2 / (n * k), int(n)


def _row(measure: str, target: str, against: str, statistic: str, value: float, n: int, flag: str = "",
         detail: str = "") -> dict[str, Any]:
    return {"measure": measure, "target": target, "against": against, "statistic": statistic,
            "value": None if value is None or np.isnan(value) else round(float(value), 6), "n": int(n),
            "flag": flag, "detail": detail}


def confounder_rows(targets: pd.DataFrame, types: pd.Series, context: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for name in targets.columns:
        y = targets[name]
        for against in CONFOUNDERS:
            if against not in context.columns:
                continue
            if against in ("log_population", "log_density"):
                value, n = r_squared(y, context[against])
                stat = "R2"
            else:
                value, n = eta_squared(y, context[against])
                stat = "eta2"
            rows.append(_row("confounder", name, against, stat, value, n))
    value, n = eta_squared(context["log_population"], types)
    rows.append(_row("confounder", "type", "log_population", "eta2", value, n))
    for against in ("class", "sido"):
        value, n = cramers_v2(types, context[against])
        rows.append(_row("confounder", "type", against, "cramers_v2", value, n))
    return rows


def redundancy_rows(raw: pd.DataFrame, chosen: list[Indicator]) -> list[dict[str, Any]]:
    rows = []
    for dim in DIMENSIONS:
        keys = [i.key for i in chosen if i.dimension == dim]
        for a_i, a in enumerate(keys):
            for b in keys[a_i + 1:]:
                both = raw[[a, b]].dropna()
                r = float(both[a].corr(both[b])) if len(both) > 2 else float("nan")
                flag = "double counting" if abs(r) >= REDUNDANT_FROM else ""
                rows.append(_row("redundancy", dim, f"{a} ~ {b}", "pearson_r", r, len(both), flag))
    return rows


def discrete_rows(normalised: pd.DataFrame, chosen: list[Indicator]) -> list[dict[str, Any]]:
    rows = []
    for ind in chosen:
        if not ind.discrete:
            continue
        cont = [i.key for i in chosen if i.dimension == ind.dimension and not i.discrete]
        values = normalised[ind.key].dropna()
        if not cont:
            rows.append(_row("discrete_range", ind.dimension, ind.key, "max_abs", values.abs().max(), len(values),
                             "", f"{ind.key} in [{values.min():.3f}, {values.max():.3f}]; no continuous "
                                 f"indicator in this dimension to compare with"))
            continue
        low, high = float(normalised[cont].min().min()), float(normalised[cont].max().max())
        outside = int(((values < low) | (values > high)).sum())
        rows.append(_row("discrete_range", ind.dimension, ind.key, "units_outside", outside, len(values),
                         "outside continuous range" if outside else "",
                         f"{ind.key} in [{values.min():.3f}, {values.max():.3f}]; "
                         f"continuous in [{low:.3f}, {high:.3f}]"))
    return rows


def adjustment_rows(step: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """``scoring.adjust`` as audit rows: how much of each adjusted indicator the covariates explained.

    ``step``: the adjustment's record (``Scored.adjustment``), None when nothing was adjusted.
    """
    if not step:
        return []
    rows = []
    against = " + ".join(step.get("covariates") or [])
    for key, fit in (step.get("indicators") or {}).items():
        value = float("nan") if fit["r2"] is None else fit["r2"]
        rows.append(_row("adjustment", key, against, "R2", value, fit["n"], "replaced by residual"))
    for key in step.get("not_in_use") or []:
        rows.append(_row("adjustment", key, against, "", float("nan"), 0, "skipped", "not an indicator in use"))
    return rows


def leave_one_out_rows(raw: pd.DataFrame, chosen: list[Indicator], config: RunSettings | Mapping[str, Any],
                       catalog: Any,
                       types: pd.Series, context: pd.DataFrame, groups: pd.Series, names: dict[str, str],
                       geometry: Callable[[], Any] | None = None,
                       changed_codes: dict[str, list[str]] | None = None, normalised: pd.DataFrame | None = None,
                       scores: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """``changed_codes``, if given, receives every indicator's full list of unit codes that change type (the
    rows' detail names at most 30). ``normalised`` and ``scores``: the run's own, which spare most of
    the re-scoring where they can (``dropped.rescored``)."""
    settings = as_settings(config)
    typology = replace(settings.typology, bootstrap_n=0)
    rows = []
    total = int(types.notna().sum())
    for ind in chosen:
        others = [i for i in chosen if i.key != ind.key]
        if not any(i.dimension == ind.dimension for i in others):
            rows.append(_row("leave_one_out", "type", ind.key, "regions_changed", float("nan"), total, "",
                             f"sole indicator of {ind.dimension}: cannot be dropped"))
            continue
        dims, kept = rescored(ind.key, chosen, raw, settings.scoring, groups, context, normalised, scores)
        if typology.method == "rules":
            # The same decisions as classify, without the words of each reason (``assign``).
            rules = rule_model(typology).fit(dims)
            new = pd.Series(rules.assign(rules.axis_scores(dims)), index=dims.index).reindex(types.index)
        else:
            typed = classify(dims, typology, catalog, geometry=geometry, names=names,
                             inputs=Inputs(kept, raw[[i.key for i in others]], others, context))
            new = typed.typed["type"].reindex(types.index)
        new = new.where(new != typology.unclassified["key"])
        changed = types.index[(new != types) & types.notna()].tolist()
        if changed_codes is not None:
            changed_codes[ind.key] = [str(c) for c in changed]
        share = len(changed) / total if total else float("nan")
        listed = ", ".join(names.get(c, c) for c in changed[:30]) + (" …" if len(changed) > 30 else "")
        rows.append(_row("leave_one_out", "type", ind.key, "regions_changed", len(changed), total,
                         "decisive" if share > 0.10 else "", f"{share:.1%}: {listed}" if changed else "0.0%"))
    return rows


@dataclass
class Validity:
    table: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    # leave_one_out: indicator key → codes of every unit whose type changes without it (the map's popups)
    changed: dict[str, list[str]] = field(default_factory=dict)
    coherence: Coherence | None = None  # set by the pipeline, which checks coherence before typing

    def line(self) -> str:
        """The console line: the largest confounder share and the most decisive indicator."""
        s = self.summary
        parts = []
        if s.get("confounder"):
            c = s["confounder"]
            parts.append(f"largest confounder share {c['statistic']} = {c['value']:.2f} ({c['target']} ~ "
                         f"{c['against']})")
        if s.get("decisive"):
            d = s["decisive"]
            parts.append(f"most decisive indicator {d['against']} ({int(d['value'])} of {d['n']} regions change "
                         f"type without it)")
        base = s.get("baseline") or {}
        if base:
            parts.append(f"규모 기준선 size-only baseline: class alone types {base['class_rule']:.0%} of regions "
                         f"alike, log population {base['logistic_log_population']:.0%} (AUC {base['auc']:.2f})")
        return "validity: " + "; ".join(parts) if parts else "validity: nothing to report"


def validity(raw: pd.DataFrame, chosen: list[Indicator], config: RunSettings | Mapping[str, Any], catalog: Any,
             scores: pd.DataFrame, normalised: pd.DataFrame, types: pd.Series, context: pd.DataFrame,
             groups: pd.Series, names: dict[str, str], criteria: pd.DataFrame | None = None,
             geometry: Callable[[], Any] | None = None, adjustment: Mapping[str, Any] | None = None) -> Validity:
    """The audit of one run. ``types``: each unit's type key (NaN or the unclassified key for none)."""
    settings = as_settings(config)
    typology = settings.typology
    dims = scores[list(DIMENSIONS)]
    axes = rule_model(typology).axis_scores(dims)  # no thresholds needed, so no fit (all units may lack one)
    axes.columns = [f"axis:{a}" for a in axes.columns]
    targets = pd.concat([dims, axes, scores[["composite"]]], axis=1)
    types = types.where(types != typology.unclassified["key"])
    rows = confounder_rows(targets, types, context)
    rows += baseline_rows(types, context) + class_share_rows(types, context)
    rows += decides_rows(settings, list(DIMENSIONS))
    rows += redundancy_rows(raw, chosen)
    changed: dict[str, list[str]] = {}
    if settings.validation.leave_one_out:
        rows += leave_one_out_rows(raw, chosen, settings, catalog, types, context, groups, names, geometry, changed,
                                   normalised, scores)
    if criteria is not None and len(criteria.columns):
        rows += criterion_rows(pd.concat([axes, scores[["composite"]]], axis=1), criteria, criteria_specs(settings),
                               context["log_population"])
    rows += discrete_rows(normalised, chosen)
    rows += adjustment_rows(adjustment)
    table = pd.DataFrame(rows, columns=COLUMNS)
    summary: dict[str, Any] = {}
    conf = table[(table["measure"] == "confounder") & table["value"].notna()]
    if len(conf):
        summary["confounder"] = conf.loc[conf["value"].astype(float).idxmax()].to_dict()
    loo = table[(table["measure"] == "leave_one_out") & table["value"].notna()]
    if len(loo):
        summary["decisive"] = loo.loc[loo["value"].astype(float).idxmax()].to_dict()
    base = table[(table["measure"] == "baseline") & (table["statistic"].isin(["share_agree", "auc"]))]
    if len(base) == 3:
        summary["baseline"] = {("auc" if r.statistic == "auc" else r.against): float(r.value)
                               for r in base.itertuples()}
    return Validity(table, summary, changed)
