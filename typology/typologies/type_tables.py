"""Tables of the typology step: types with their policy packages, cluster profiles and stability.

Their report sections are drawn by ``render.type_sections``; this module writes no HTML.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def types_table(typology: dict[str, Any], typed: pd.DataFrame, scores: pd.DataFrame, rules: Any) -> pd.DataFrame:
    """One row per type in the config (and the unclassified bin): size, profile and policy package."""
    axes = rules.axis_scores(scores)
    rows = []
    for spec in [*typology["types"], typology["unclassified"]]:
        members = typed.index[typed["type"] == spec["key"]]
        row = {"key": spec["key"], "name_ko": spec["name_ko"], "name_en": spec["name_en"],
               "extension": bool(spec.get("extension", False)), "regions": len(members)}
        for dim in scores.columns:
            row[f"mean_{dim}"] = round(float(scores.loc[members, dim].mean()), 4) if len(members) else np.nan
        for axis in axes.columns:
            row[f"mean_axis_{axis}"] = round(float(axes.loc[members, axis].mean()), 4) if len(members) else np.nan
        if "type_unstable" in typed:
            row["unstable_regions"] = int(typed.loc[members, "type_unstable"].fillna(False).sum())
        row["policy_ko"] = _text(spec.get("policy_ko"))
        row["policy_en"] = _text(spec.get("policy_en"))
        rows.append(row)
    return pd.DataFrame(rows)


def cluster_table(clusters: pd.Series, scores: pd.DataFrame, named: pd.DataFrame, stab: Any,
                  typed: pd.DataFrame, dim_names: dict[str, str]) -> pd.DataFrame:
    """One row per cluster: size, centroid (mean of each dimension and axis), named type, stability."""
    profile = scores.groupby(clusters).mean().round(4)
    out = pd.DataFrame({"cluster": profile.index.astype(int), "size": clusters.value_counts().reindex(profile.index)})
    out["type"] = named["type"]
    out["type_ko"] = named["type_ko"]
    out["type_en"] = named["type_en"]
    for dim in scores.columns:
        out[f"mean_{dim}"] = profile[dim]
    for col in [c for c in named.columns if c.startswith("axis_")]:
        out[f"mean_{col}"] = named[col].round(4)
    out["jaccard"] = stab.jaccard.reindex(profile.index).round(4) if stab is not None else np.nan
    unstable = typed["type_unstable"].fillna(False).groupby(typed["cluster"]).sum()
    out["unstable_regions"] = unstable.reindex(profile.index).fillna(0).astype(int)
    out["centroid_reason"] = named["why"]
    return out.reset_index(drop=True)


def stability_table(stab: Any, typed: pd.DataFrame, typology: dict[str, Any], kind: str) -> pd.DataFrame:
    """Per original group (type under rules, cluster otherwise): Jaccard stability and unstable members."""
    column = "type" if kind == "type" else "cluster"
    rows = []
    for group, jac in stab.jaccard.items():
        members = typed.index[typed[column] == group]
        row = {"group_kind": kind, "group": group, "type": typed.loc[members, "type"].iloc[0],
               "regions": len(members), "jaccard": round(float(jac), 4),
               "mean_type_stability": round(float(typed.loc[members, "type_stability"].mean()), 4),
               "unstable_regions": int(typed.loc[members, "type_unstable"].fillna(False).sum()),
               "bootstrap_n": stab.n}
        rows.append(row)
    return pd.DataFrame(rows)
