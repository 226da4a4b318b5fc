"""Normalisation that compares like with like: few-valued indicators and peer groups.

Two refinements of the ``scoring.normalise`` step, both recorded in the run log:

* **Discrete indicators** (catalogue ``level: binary`` or ``ordinal``) under z-scores. A 0/1 flag
  held by a share p of regions has z-score sqrt((1 − p) / p) for its holders: 3.0 at p = 0.1.
  Its distance from the mean is set by how rare the flag is, not by how much of the measured
  quality a holder has, so a rare flag can outweigh every continuous indicator of its dimension
  and decide a type alone. The OECD/JRC Handbook (2008, §1.5 and §6) asks that normalisation put
  indicators on a comparable scale and that categorical indicators get category scores rather
  than be treated as measured quantities; it leaves the scores to the analyst. We use the
  threshold (latent-variable) scores of polyserial correlation: a category's score is the mean
  of a standard-normal latent trait over the slice of the distribution that the category's
  share occupies, E[Z | c_{k-1} < Z ≤ c_k] = (φ(c_{k-1}) − φ(c_k)) / p_k. The scores have mean
  0, stay inside the range a continuous standard-normal indicator covers, and their variance is
  the share of the latent trait's variance the flag reveals (0.34 at p = 0.1): a flag counts
  as the coarse measurement it is. Ties stay ties (one score per category). Min-max and
  percentile normalisation get the same scores on their own scale (``on_scale``), so the
  Monte Carlo's alternatives treat flags alike.
* **Groups** (``scoring.normalise.within``): the method is fitted inside each group (자치구/시/군
  class, 시도, or a supplied peer-group table), so a region is scored against its peers and the
  rules' "mean" thresholds become, in effect, each group's own mean.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from ..errors import TypologyError

_ROOT_2PI = np.sqrt(2 * np.pi)


def _pdf(x: np.ndarray) -> np.ndarray:
    # The standard normal density, as scipy.stats.norm.pdf computes it; scipy.special is imported
    # for ndtr/ndtri alone because scipy.stats costs half a second at start-up.
    return np.exp(-(x**2) / 2.0) / _ROOT_2PI

DISCRETE_TREATMENTS = ("latent", "plain")
GROUPINGS = ("peer_group", "class", "sido")
# Methods that would put a rare flag's holders at an extreme set by its rarity; rank methods
# already give each category its mid-rank, and goalposts are fixed by the user.
LATENT_FOR = ("zscore", "minmax", "percentile")


def latent_scores(x: pd.Series) -> tuple[pd.Series, dict[float, float]]:
    """Threshold scores of a few-valued series (NaN kept): each category's mean latent z-score."""
    observed = x.dropna()
    if observed.empty:
        return x.astype(float), {}
    shares = observed.value_counts(normalize=True).sort_index()
    upper = ndtri(np.clip(shares.cumsum().to_numpy(), 0.0, 1.0))
    lower = np.concatenate([[-np.inf], upper[:-1]])
    scores = (_pdf(lower) - _pdf(upper)) / shares.to_numpy()
    table = {float(v): float(s) for v, s in zip(shares.index, scores)}
    return x.map(table).astype(float), table


def neutral_value(normaliser: object) -> float | None:
    """The value a method gives a unit at its group's mean, for indicators constant within a group."""
    name = type(normaliser).__name__
    if name == "ZScore":
        return 0.0
    if name == "DistanceToMean":
        return 100.0
    if name == "MinMax":
        return (float(normaliser.lower_) + float(normaliser.upper_)) / 2.0  # type: ignore[attr-defined]
    return None


def normalise_block(treated: pd.DataFrame, directions: pd.Series, make: Callable[[], object], method: str,
                    discrete: list[str], treatment: str) -> tuple[pd.DataFrame, dict[str, dict[float, float]]]:
    """One group's (or the nation's) normalised values, with discrete indicators' category scores."""
    normaliser = make()
    out = normaliser.fit_transform(treated, directions)  # type: ignore[attr-defined]
    categories: dict[str, dict[float, float]] = {}
    if treatment == "latent" and method in LATENT_FOR:
        for col in discrete:
            scores, table = latent_scores(treated[col])
            oriented = scores * float(np.sign(directions.get(col, 1)))
            out[col] = on_scale(oriented, method, normaliser)
            categories[col] = table
    return out, categories


def on_scale(z: pd.Series, method: str, normaliser: object) -> pd.Series:
    """Latent z values on the method's scale: what a standard-normal indicator at z would get.

    percentile: 100 Φ(z). minmax: the expected extremes of n standard-normal draws (Blom's
    approximation Φ⁻¹((n − 0.375) / (n + 0.25))) are mapped to the ends of the range, as a
    continuous indicator's observed extremes are.
    """
    if method == "percentile":
        return pd.Series(100.0 * ndtr(z), index=z.index).where(z.notna())
    if method == "minmax":
        n = int(z.notna().sum())
        edge = float(ndtri((n - 0.375) / (n + 0.25))) if n > 1 else 1.0
        lower, upper = float(normaliser.lower_), float(normaliser.upper_)  # type: ignore[attr-defined]
        return lower + (z + edge) / (2 * edge) * (upper - lower)
    return z


def normalise_within(treated: pd.DataFrame, directions: pd.Series, make: Callable[[], object], method: str,
                     discrete: list[str], treatment: str, groups: pd.Series, min_group: int,
                     key: str) -> tuple[pd.DataFrame, dict[str, object]]:
    """Fit the normaliser inside each group; a group below ``min_group`` units is an error naming it."""
    groups = groups.reindex(treated.index)
    lost = groups.index[groups.isna()].tolist()
    if lost:
        raise TypologyError(f"config key {key}: units without a group: {lost[:10]}"
                            f"{' …' if len(lost) > 10 else ''} ({len(lost)} in all)")
    sizes = groups.value_counts().sort_index()
    small = {str(g): int(n) for g, n in sizes.items() if n < min_group}
    if small:
        listed = ", ".join(f"{g} ({n} units)" for g, n in small.items())
        raise TypologyError(f"config key {key}: groups too small to normalise within (fewer than "
                            f"scoring.normalise.min_group = {min_group}): {listed}")
    parts, constant, categories = [], {}, {}
    for group, members in treated.groupby(groups, sort=True):
        part, cats = normalise_block(members, directions, make, method, discrete, treatment)
        # An indicator that does not vary in a group tells its members nothing about each other:
        # they sit at the group's mean rather than being dropped as missing.
        flat = [c for c in members.columns if members[c].nunique() == 1 and part[c].isna().all()]
        if flat:
            fill = neutral_value(make().fit(members))  # type: ignore[attr-defined]
            if fill is not None:
                part[flat] = part[flat].where(members[flat].isna(), fill)
            constant[str(group)] = flat
        if cats:
            categories[str(group)] = cats
        parts.append(part)
    out = pd.concat(parts).reindex(treated.index)
    return out, {"groups": {str(g): int(n) for g, n in sizes.items()}, "constant_in_group": constant,
                 "discrete_scores": categories}
