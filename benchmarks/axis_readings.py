"""The study's readings of the two axes side by side, on one config's scores (docs/methods/validity.md).

    python benchmarks/axis_readings.py [CONFIG ...]     # default: configs/default.yaml

For each config, the run's own axis scores are typed four ways:

* ``one_axis``: the config's rules (the default: 사회 축 ≥ mean → 사회주도형, else 자원결합형);
* ``quadrants``: both axes split at their means, four types (configs/quadrants.yaml);
* ``two_axis_strict``: only the two quadrants the study names (사회 high & 자원 low → 사회주도형,
  사회 low & 자원 high → 자원결합형); units in the other two quadrants stay untyped;
* ``two_axis_relative``: the axis on which a unit stands higher relative to the axis mean decides
  (사회 − mean ≥ 자원 − mean → 사회주도형), so every unit gets one of the study's two types.

and each reading is measured with the audit's own functions: Cronbach's α of the axes it uses,
its size-only baseline (class rule and logistic on log population), the share of 사회주도형 by
자치구/시/군, and Spearman's ρ of "사회주도형" (1/0) with each declared criterion. Nothing here
chooses anything: it prints the table the docs quote.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

from typology.core.config import load_config
from typology.validity.baseline import baseline_rows
from typology.validity.coherence import coherence
from typology.validity.criteria import criteria_specs, spearman
from typology.workflow.pipeline import run


def readings(axes: pd.DataFrame, rule_types: pd.Series) -> dict[str, pd.Series]:
    s, r = axes["society"], axes["resource"]
    hi_s, hi_r = s >= s.mean(), r >= r.mean()
    quad = pd.Series(np.select([hi_s & ~hi_r, ~hi_s & hi_r, hi_s & hi_r], ["society_led", "resource_combining",
                                                                           "dual_strength"], "foundation_building"),
                     index=axes.index)
    strict = quad.where(quad.isin(["society_led", "resource_combining"]))
    relative = pd.Series(np.where((s - s.mean()) >= (r - r.mean()), "society_led", "resource_combining"),
                         index=axes.index)
    return {"one_axis": rule_types, "quadrants": quad, "two_axis_strict": strict, "two_axis_relative": relative}


def measure(name: str) -> pd.DataFrame:
    config = load_config(name, ["typology.bootstrap.n=0", "validation.leave_one_out=false",
                                "validation.compare_with=null"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(config)
    typed = result.typed
    axes = pd.DataFrame({"society": typed["axis_society"], "resource": typed["axis_resource"]})
    context = result.tables["unit_attributes"].set_index("code")
    both = {**config, "typology": {**config["typology"], "types": [
        {"key": "x", "when": {"society": ">= mean", "resource": ">= mean"}}]}}
    alphas = coherence(result.normalised, result.scores, result.indicators, both).alphas
    declared = [c.variable for c in criteria_specs(config) if c.expect]
    values = _criteria(result, declared)
    rows = []
    for reading, types in readings(axes, typed["type"].where(typed["type"] != "unclassified")).items():
        base = {(r["against"], r["statistic"]): r["value"] for r in baseline_rows(types, context)}
        shares = pd.crosstab(context["class"], types.reindex(context.index)).apply(lambda c: c / c.sum(), axis=1)
        row = {"config": name, "reading": reading, "typed": int(types.notna().sum()),
               "counts": "; ".join(f"{k} {v}" for k, v in types.value_counts().sort_index().items()),
               "alpha_society": alphas.get("society"),
               "alpha_resource": alphas.get("resource") if reading != "one_axis" else None,
               "class_rule_agree": base.get(("class_rule", "share_agree")),
               "class_rule_kappa": base.get(("class_rule", "cohen_kappa")),
               "logit_auc": base.get(("logistic_log_population", "auc")),
               **{f"society_led_{c}": shares.at[c, "society_led"] if "society_led" in shares else None
                  for c in ("자치구", "시", "군")}}
        for c in declared:
            rho, _, _ = spearman((types == "society_led").astype(float).where(types.notna()), values[c])
            row[f"rho_type_{c}"] = rho
        rows.append(row)
    return pd.DataFrame(rows)


def _criteria(result, names: list[str]) -> pd.DataFrame:
    """The declared criteria per unit, from the bundled table (the run's nearest-year rule)."""
    from typology import paths
    from typology.core.catalog import catalog_for
    from typology.data.transform import YearPolicy, compute_indicators

    catalog = catalog_for(result.config)
    table = pd.read_csv(paths.VARIABLES, dtype={"code": str})
    policy = YearPolicy(int(result.config["reference_year"]), int(result.config["data"]["max_year_gap"]), "carry")
    return compute_indicators(table, [catalog.indicators[n] for n in names], result.scores.index, policy)[0]


if __name__ == "__main__":
    configs = sys.argv[1:] or ["configs/default.yaml"]
    out = pd.concat([measure(c) for c in configs], ignore_index=True)
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
        print(out.to_string(index=False))
