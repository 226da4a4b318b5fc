"""How stable the typology is when the set of regions changes: a bootstrap over regions.

Each replicate draws as many regions as there are, with replacement, and reruns the typing
step on that sample: thresholds relative to the mean are recomputed, clusters are refitted
(with the k of the full run) and renamed through the rules. The dimension scores themselves
are not recomputed: this measures how much a type depends on which other regions are in the
comparison, not on the normalisation. For every region drawn we check whether it keeps its
type. Spatial methods work on the distinct regions drawn; a gap left by an undrawn region is
bridged to the nearest drawn one (by centroid distance), not treated as an island.
Following Hennig's ``clusterboot``, each original group (cluster, or type under ``rules``)
gets its mean Jaccard similarity to the most similar group of the replicate, both restricted
to the regions drawn. A group with mean Jaccard below about 0.6 is usually taken as not stable.

The random draws come from ``numpy.random.default_rng(seed)``: a fixed seed gives the same
numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..core import progress


@dataclass
class Stability:
    probability: pd.Series  # per unit: share of the replicates that drew it in which it kept its type
    draws: pd.Series  # per unit: how many replicates drew it
    jaccard: pd.Series  # per original group: mean Jaccard with its best match in each replicate
    n: int


class Draw(NamedTuple):
    """A replicate's typing without a frame: the distinct units drawn, as positions in the bootstrap's
    ``groups`` (ascending), and their group and type (arrays in the same order)."""

    positions: np.ndarray
    group: np.ndarray
    type: np.ndarray


def jaccard_best(reference: np.ndarray, replicate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each reference group, the best Jaccard with any replicate group (over the same units).

    Returns the reference groups present and their best Jaccard.
    """
    ref_groups, ref = np.unique(reference, return_inverse=True)
    _, rep = np.unique(replicate, return_inverse=True)
    width = rep.max() + 1
    # counts of each (reference, replicate) pair: whole numbers, exact in any order of adding
    inter = np.bincount(ref * width + rep, minlength=(ref.max() + 1) * width).reshape(-1, width).astype(float)
    union = inter.sum(axis=1)[:, None] + inter.sum(axis=0)[None, :] - inter
    return ref_groups, (inter / union).max(axis=1)


def bootstrap(groups: pd.Series, types: pd.Series, refit: Callable[[np.ndarray], pd.DataFrame | Draw | None],
              n: int, seed: int) -> Stability:
    """``refit(positions)`` types the sample ``groups.index[positions]`` (duplicates included) and
    returns one row per distinct unit drawn, indexed by code, with columns ``group`` and ``type``
    (or the same as a ``Draw``); or ``None`` when the draw is too small to type (it then counts for nobody).
    """
    codes = groups.index
    rng = np.random.default_rng(seed)
    kept = np.zeros(len(codes))
    draws = np.zeros(len(codes), dtype=int)
    ref_groups = groups.to_numpy()
    ref_types = types.reindex(codes).to_numpy()
    labels = np.array(sorted(groups.unique()))
    # Each unit's group as its position among the sorted labels: the Jaccard table of these
    # positions is the one of the labels, row for row, without sorting labels every replicate.
    ref_places = np.searchsorted(labels, ref_groups)
    jac_sum = np.zeros(len(labels))
    jac_n = np.zeros(len(labels), dtype=int)
    for _ in progress.track(range(n), "부트스트랩 bootstrap over regions", n, "replicates"):
        positions = rng.integers(0, len(codes), len(codes))
        out = refit(positions)
        if out is None:
            continue
        if isinstance(out, Draw):
            drawn, group, typed = out.positions, out.group, out.type
        else:
            drawn, group, typed = codes.get_indexer(out.index), out["group"].to_numpy(), out["type"].to_numpy()
        draws[drawn] += 1
        kept[drawn] += typed == ref_types[drawn]
        where, best = jaccard_best(ref_places[drawn], group)
        jac_sum[where] += best
        jac_n[where] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        probability = pd.Series(np.where(draws > 0, kept / np.maximum(draws, 1), np.nan), index=codes,
                                name="type_stability")
        jaccard = pd.Series(np.where(jac_n > 0, jac_sum / np.maximum(jac_n, 1), np.nan), index=labels, name="jaccard")
    return Stability(probability, pd.Series(draws, index=codes), jaccard, n)
