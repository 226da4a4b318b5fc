"""Where the readable rules and a clustering agree: a cross-tabulation and the adjusted Rand index.

The ARI is 1 for identical partitions and about 0 for partitions that agree no more than
chance would. It is reported twice: between the rule types and the named types the clusters
received (do they put regions in the same named type?), and between the rule types and the
raw clusters (does the clustering find the same split, whatever the names?).
"""

from __future__ import annotations

import pandas as pd

from ..core.agreement import adjusted_rand


def crosstab(clusters: pd.Series, cluster_types: pd.Series, rule_types: pd.Series,
             type_order: list[str]) -> pd.DataFrame:
    """Rows: clusters with their named type; columns: how many of their regions each rule type holds."""
    frame = pd.DataFrame({"cluster": clusters, "cluster_type": cluster_types, "rule_type": rule_types}).dropna()
    table = pd.crosstab([frame["cluster"], frame["cluster_type"]], frame["rule_type"])
    cols = [t for t in type_order if t in table.columns] + sorted(set(table.columns) - set(type_order))
    table = table.reindex(columns=cols, fill_value=0)
    table.columns = [f"rules_{c}" for c in table.columns]
    table["total"] = table.sum(axis=1)
    return table.reset_index()


def summary(clusters: pd.Series, cluster_types: pd.Series, rule_types: pd.Series) -> dict[str, float]:
    frame = pd.DataFrame({"cluster": clusters, "cluster_type": cluster_types, "rule_type": rule_types}).dropna()
    return {
        "regions_compared": len(frame),
        "ari_cluster_type_vs_rule_type": float(adjusted_rand(frame["rule_type"], frame["cluster_type"])),
        "ari_cluster_vs_rule_type": float(adjusted_rand(frame["rule_type"], frame["cluster"])),
        "share_same_type": float((frame["rule_type"] == frame["cluster_type"]).mean()) if len(frame) else float("nan"),
    }
