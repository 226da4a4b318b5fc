"""Clustering without a spatial constraint: k-means, Ward and Gaussian mixtures (scikit-learn).

Each estimator takes the number of clusters ``k`` and a ``seed``, and ``fit(X)`` sets
``labels_``: one integer per row of ``X``, numbered 1, 2, … in the order in which clusters first
appear down the rows. The numbering therefore does not depend on the solver's internal
label order, and the same partition always gets the same numbers.

scikit-learn is imported inside ``fit``: the default ``rules`` run never loads it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.config import SCHEMA, defaults_of
from ..errors import TypologyError

# An option's default lives in the config schema only; an estimator built without it takes the same.
_KMEANS = defaults_of(SCHEMA["typology"]["options"]["kmeans"])
_GMM = defaults_of(SCHEMA["typology"]["options"]["gmm"])
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def canonical_labels(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 1..k by first appearance."""
    order: dict[Any, int] = {}
    for label in labels:
        order.setdefault(label, len(order) + 1)
    return np.array([order[label] for label in labels], dtype=int)


class KMeansClusters:
    """k-means on the features (Lloyd, ``n_init`` seeded restarts)."""

    spatial = False

    def __init__(self, k: int, seed: int = 0, n_init: int = _KMEANS["n_init"],
                 max_iter: int = _KMEANS["max_iter"]) -> None:
        self.k = k
        self.seed = seed
        self.n_init = n_init
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame, contiguity: Any = None) -> KMeansClusters:
        from sklearn.cluster import KMeans

        model = KMeans(n_clusters=self.k, n_init=self.n_init, max_iter=self.max_iter, random_state=self.seed)
        self.labels_ = canonical_labels(model.fit_predict(X.to_numpy(dtype=float)))
        return self


class WardClusters:
    """Agglomerative clustering with Ward linkage (deterministic; ``seed`` is unused)."""

    spatial = False

    def __init__(self, k: int, seed: int = 0) -> None:
        self.k = k
        self.seed = seed

    def fit(self, X: pd.DataFrame, contiguity: Any = None) -> WardClusters:
        from sklearn.cluster import AgglomerativeClustering

        model = AgglomerativeClustering(n_clusters=self.k, linkage="ward")
        self.labels_ = canonical_labels(model.fit_predict(X.to_numpy(dtype=float)))
        return self


class GMMClusters:
    """Gaussian mixture; each unit goes to its most probable component."""

    spatial = False

    def __init__(self, k: int, seed: int = 0, covariance_type: str = _GMM["covariance_type"],
                 n_init: int = _GMM["n_init"], reg_covar: float = _GMM["reg_covar"]) -> None:
        self.k = k
        self.seed = seed
        self.covariance_type = covariance_type
        self.n_init = n_init
        self.reg_covar = reg_covar

    def fit(self, X: pd.DataFrame, contiguity: Any = None) -> GMMClusters:
        from sklearn.mixture import GaussianMixture

        if self.covariance_type not in COVARIANCE_TYPES:
            raise TypologyError(f"config key typology.options.gmm.covariance_type: {self.covariance_type!r}; expected "
                                f"one of {', '.join(COVARIANCE_TYPES)}")
        model = GaussianMixture(n_components=self.k, covariance_type=self.covariance_type, n_init=self.n_init,
                                reg_covar=self.reg_covar, random_state=self.seed)
        self.labels_ = canonical_labels(model.fit(X.to_numpy(dtype=float)).predict(X.to_numpy(dtype=float)))
        return self
