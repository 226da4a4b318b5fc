"""Regions like one region (``peers``): by profile, by type and by contiguity.

``peers`` measures likeness as the Euclidean distance between normalised indicator
profiles (or dimension scores). Missing values are handled openly: the distance uses the
coordinates both regions have, scaled up by (all / shared) as in scikit-learn's
``nan_euclidean_distances``, the number shared is reported, and pairs sharing fewer than
half the coordinates get no distance and are listed as such.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS
from ..data.geometry import METRIC_CRS
from ..errors import TypologyError

if TYPE_CHECKING:
    from .compare import ResultsView

ACROSS_WATER = 3  # nearest units listed for a unit with no contiguous neighbour


@dataclass
class Peers:
    """Regions like one region, three ways, each with the distance it was measured by (``Results.peers``).

    Attributes
    ----------
    code, name, type_key : str
        The region, its label and its type.
    by : list of str
        The coordinates of the profile; ``method`` says how the distance was measured.
    similar, same_type : pandas.DataFrame
        The n nearest by profile; every other region of its type, nearest first.
    neighbours : pandas.DataFrame
        Queen-contiguous units (shared border or corner).
    across_water : pandas.DataFrame
        For a unit with no contiguous neighbour only: the nearest units by boundary-to-boundary
        distance (km), which are not neighbours.
    unmeasured : pandas.DataFrame
        Regions left out of the distance because they share too few coordinates with this one.
    notes : list of str
        What the reader should know (an island; regions without a distance).
    """

    code: str
    name: str
    type_key: str
    by: list[str]
    method: str
    similar: pd.DataFrame
    same_type: pd.DataFrame
    neighbours: pd.DataFrame
    across_water: pd.DataFrame
    unmeasured: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        parts = [f"<p><b>{html.escape(self.name)}</b> — {html.escape(self.method)}</p>"]
        for note in self.notes:
            parts.append(f"<p>{html.escape(note)}</p>")
        for title, table in (("similar", self.similar), ("neighbours", self.neighbours),
                             ("across water", self.across_water), ("same type (nearest 10)", self.same_type.head(10))):
            if len(table):
                parts.append(f"<h4>{title}</h4>" + table.to_html(index=False, na_rep="–", float_format="%.3f"))
        return "\n".join(parts)


def _profile_columns(results: ResultsView, by: str | list[str]) -> tuple[list[str], list[str], str]:
    """(names, frame columns, description) of the coordinates the distance uses."""
    method = results.normalise_method
    if by == "indicators":
        keys = list(results.indicators.index)
        return keys, [f"{k}_norm" for k in keys], f"normalised indicators ({method})"
    if by == "dimensions":
        return list(DIMENSIONS), list(DIMENSIONS), f"dimension scores ({method})"
    if isinstance(by, str) or not by:
        raise TypologyError(f"peers: by={by!r}; expected 'indicators', 'dimensions' or a list of indicator keys "
                            f"and dimension names")
    cols = []
    for item in by:
        if item in DIMENSIONS:
            cols.append(item)
        elif item in results.indicators.index:
            cols.append(f"{item}_norm")
        else:
            raise TypologyError(f"peers: by item {item!r} is neither a dimension {list(DIMENSIONS)} nor an "
                                f"indicator in use {list(results.indicators.index)}")
    return list(by), cols, f"chosen coordinates ({method}-normalised)"


def profile_distances(values: pd.DataFrame, code: str) -> pd.DataFrame:
    """Euclidean distance from one row to every row, over the coordinates both have.

    With p coordinates of which q are shared, d = sqrt(p / q · Σ shared squared differences)
    (scikit-learn's nan_euclidean); rows sharing fewer than half get NaN.

    Parameters
    ----------
    values : pandas.DataFrame
        Units × coordinates (NaN = missing).
    code : str
        The row measured from.

    Returns
    -------
    pandas.DataFrame
        Per unit: ``distance`` and ``shared`` (coordinates both have).
    """
    from sklearn.metrics.pairwise import nan_euclidean_distances

    x = values.to_numpy(dtype=float)
    target = values.loc[[code]].to_numpy(dtype=float)
    shared = (~np.isnan(x) & ~np.isnan(target)).sum(axis=1)
    dist = nan_euclidean_distances(x, target).ravel()
    p = x.shape[1]
    dist = np.where(shared * 2 >= p, dist, np.nan)
    return pd.DataFrame({"distance": dist, "shared": shared}, index=values.index)


def peers(results: ResultsView, region: object, by: str | list[str] = "indicators", n: int = 5) -> Peers:
    """The n most similar regions, the same-type regions and the contiguous neighbours (``Results.peers``).

    Parameters
    ----------
    results : Results
        The run (``ResultsView``).
    region : str or int
        The region, as ``Results.region`` accepts it.
    by : {'indicators', 'dimensions'} or list of str, default 'indicators'
        The profile's coordinates.
    n : int, default 5
        How many most similar regions to list.

    Returns
    -------
    Peers
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise TypologyError(f"peers: n={n!r}; expected a positive whole number")
    code = results.region(region)
    names, cols, what = _profile_columns(results, by)
    frame = results.by_code
    values = frame[cols].astype(float)
    if values.loc[code].isna().sum() * 2 > len(cols):
        raise TypologyError(f"peers: {results.name(code)} has fewer than half of {names} observed; "
                            f"no profile distance can be measured")
    dist = profile_distances(values, code)
    method = (f"Euclidean distance on {what}: {', '.join(names)}; missing values: over the coordinates both "
              f"regions have, scaled by (all / shared); pairs sharing fewer than half are left out")

    info = pd.DataFrame(frame[["code", "name", "sido", "type", "type_ko"]]).join(results.labels()).join(dist)

    def listing(codes: list[str], **extra: object) -> pd.DataFrame:
        out = info.loc[list(codes)].reset_index(drop=True)
        out["shared"] = out["shared"].astype(int)
        for key, value in extra.items():
            out[key] = value
        return out.sort_values(["distance", "code"], na_position="last").reset_index(drop=True)

    others = dist.drop(index=code)
    ranked = others.dropna(subset=["distance"]).assign(code=lambda d: d.index).sort_values(["distance", "code"])
    similar = listing(list(ranked.index[:n]), metric="euclidean")
    unmeasured = listing(list(others.index[others["distance"].isna()]))
    own = frame.at[code, "type"]
    same = [c for c in frame.index[frame["type"] == own] if c != code]
    same_type = listing(same, metric="euclidean")

    graph = results.contiguity()
    adjacent = [c for c in graph[code].index if c != code] if code in graph.unique_ids else []
    neighbours = listing(adjacent, contiguity="queen")
    neighbours["same_type"] = neighbours["type"] == own
    notes = []
    across = pd.DataFrame(columns=["code", "name", "sido", "type", "type_ko", "distance", "shared", "boundary_km"])
    if not adjacent:
        across = _across_water(results, code, info)
        listed = ", ".join(f"{r.name} {r.boundary_km:.1f} km" for r in across.itertuples())
        notes.append(f"{results.name(code)} has no contiguous neighbour: it shares no border or corner with any "
                     f"unit in the boundary data (an island). Nearest units across water, by boundary distance, "
                     f"not neighbours: {listed}.")
    if len(unmeasured):
        notes.append(f"{len(unmeasured)} regions share fewer than half of the coordinates with "
                     f"{results.name(code)} and have no distance: {', '.join(map(results.name, unmeasured['code']))}.")
    return Peers(code, results.name(code), own, names, method, similar, same_type, neighbours, across,
                 unmeasured, notes)


def _across_water(results: ResultsView, code: str, info: pd.DataFrame) -> pd.DataFrame:
    geo = results.cached("metric_geometry", lambda: results.frame.set_index("code").geometry.to_crs(METRIC_CRS))
    km = geo.drop(index=code).distance(geo.loc[code]) / 1000.0
    nearest = sorted(km.index, key=lambda c: (km[c], c))[:ACROSS_WATER]
    out = info.loc[nearest].reset_index(drop=True)
    out["shared"] = out["shared"].astype(int)
    out["boundary_km"] = km[nearest].to_numpy()
    return out
