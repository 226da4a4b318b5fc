"""Choosing the number of clusters: three internal validity indices over a range of k.

- silhouette (higher is better, in [-1, 1]);
- Calinski–Harabasz (higher is better);
- Davies–Bouldin (lower is better).

``k: auto`` applies a rule from ``K_RULES`` (``typology.k_rule``):

- ``mean_rank`` (default): rank the candidate k on each index (1 = best), average the three
  ranks and take the k with the smallest mean rank; a tie goes to the smaller k, the simpler
  typology.
- ``silhouette``: the k with the highest silhouette; a tie goes to the smaller k.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..core.ranks import rank
from ..core.registry import Registry

K_RULES: Registry[Callable[[pd.DataFrame], int]] = Registry("k selection rule")
INDICES = {"silhouette": True, "calinski_harabasz": True, "davies_bouldin": False}  # name → higher is better


def scores(X: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """The three indices for one partition (NaN when it has fewer than two clusters)."""
    # Imported on use, like matplotlib below: the default rules run needs neither.
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    n_groups = len(np.unique(labels))
    if n_groups < 2 or n_groups >= len(labels):
        return dict.fromkeys(INDICES, float("nan"))
    return {"silhouette": float(silhouette_score(X, labels)),
            "calinski_harabasz": float(calinski_harabasz_score(X, labels)),
            "davies_bouldin": float(davies_bouldin_score(X, labels))}


def k_table(X: np.ndarray, ks: list[int], labels_for: Callable[[int], np.ndarray]) -> pd.DataFrame:
    """One row per candidate k: the clusters actually found and the three indices."""
    rows = []
    for k in ks:
        labels = labels_for(k)
        rows.append({"k": k, "clusters_found": len(np.unique(labels)), **scores(X, labels)})
    table = pd.DataFrame(rows)
    for name, higher in INDICES.items():
        table[f"{name}_rank"] = rank(table[name], higher_first=higher, missing_last=True).astype(int)
    table["mean_rank"] = table[[f"{n}_rank" for n in INDICES]].mean(axis=1)
    return table


@K_RULES.register("mean_rank")
def by_mean_rank(table: pd.DataFrame) -> int:
    best = table["mean_rank"].min()
    return int(table.loc[table["mean_rank"] == best, "k"].min())


@K_RULES.register("silhouette")
def by_silhouette(table: pd.DataFrame) -> int:
    best = table["silhouette"].max()
    return int(table.loc[table["silhouette"] == best, "k"].min())
