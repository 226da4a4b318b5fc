"""Spatially constrained regionalisation through spopt: SKATER and Ward with a contiguity constraint.

Every region is a connected set of units on the contiguity graph (``typology.contiguity``).
Units without land neighbours are handled before the solver runs, by the explicit island
option: either already linked to their nearest unit, or kept as regions of their own that
are numbered after the k regions of the main component.

spopt is imported inside ``fit``: it is slow to load and only these methods need it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import TypologyError
from .cluster import canonical_labels
from .contiguity import Contiguity


def manhattan(x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """City-block distances, as spopt's default, without scikit-learn's per-call input checks.

    SKATER scores every candidate cut with many small distance calls; this is several times faster.
    """
    y = x if y is None else y
    return np.abs(x[:, None, :] - y[None, :, :]).sum(axis=2)


def _split(X: pd.DataFrame, contiguity: Contiguity | None, method: str) -> tuple[pd.DataFrame, list[list[str]]]:
    if contiguity is None:
        raise TypologyError(f"typology.method {method}: needs unit geometry for the contiguity graph")
    if sorted(map(str, X.index)) != contiguity.codes:
        raise ValueError("features and contiguity graph cover different units")
    return X.loc[contiguity.main], contiguity.own


def _combine(X: pd.DataFrame, main: pd.DataFrame, labels: np.ndarray, own: list[list[str]]) -> np.ndarray:
    out = pd.Series(0, index=X.index, dtype=int)
    out.loc[main.index] = np.asarray(labels, dtype=int) + 1
    for i, comp in enumerate(own, start=int(out.max()) + 1):
        out.loc[comp] = i
    return canonical_labels(out.to_numpy())


class SkaterRegions:
    """SKATER: prune the minimum spanning tree of the contiguity graph into k regions.

    ``floor`` is the least number of units a region may hold.
    """

    spatial = True

    def __init__(self, k: int, seed: int = 0, floor: int = 1) -> None:
        self.k = k
        self.seed = seed
        self.floor = floor

    def fit(self, X: pd.DataFrame, contiguity: Contiguity | None = None) -> SkaterRegions:
        from spopt.region import Skater

        main, own = _split(X, contiguity, "skater")
        frame = main.reset_index(drop=True)
        with warnings.catch_warnings():
            # The graph is connected by now; spopt's own island and quorum warnings would only repeat ours.
            warnings.simplefilter("ignore")
            model = Skater(frame, contiguity.weights(), list(frame.columns), n_clusters=self.k, floor=self.floor,
                           spanning_forest_kwds={"dissimilarity": manhattan})
            model.solve()
        self.labels_ = _combine(X, main, model.labels_, own)
        return self


class WardSpatialRegions:
    """Ward agglomeration that only merges neighbouring regions (deterministic; ``seed`` unused)."""

    spatial = True

    def __init__(self, k: int, seed: int = 0) -> None:
        self.k = k
        self.seed = seed

    def fit(self, X: pd.DataFrame, contiguity: Contiguity | None = None) -> WardSpatialRegions:
        from spopt.region import WardSpatial

        main, own = _split(X, contiguity, "ward_spatial")
        frame = main.reset_index(drop=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = WardSpatial(frame, contiguity.weights(), list(frame.columns), n_clusters=self.k)
            model.solve()
        self.labels_ = _combine(X, main, model.labels_, own)
        return self
