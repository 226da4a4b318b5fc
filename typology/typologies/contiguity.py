"""Which units touch: the contiguity graph for spatially constrained regionalisation.

Units without land neighbours (울릉군, 옹진군, 제주, and units whose bridges the simplified
polygons do not show, such as 영도구 or 거제시) split the graph into several components.
A regionalisation method cannot grow a region across that gap, so the config must say what
happens to them, and the choice is always reported as a warning:

- ``nearest``: link each detached component to the unit nearest to it (shortest distance
  between the polygons, in metres in EPSG:5179), until the graph is one component;
- ``own``: keep each detached component as a region of its own, beside the k regions that
  are formed on the main component.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from ..data.geometry import METRIC_CRS
from ..errors import TypologyError

if TYPE_CHECKING:  # only in annotations: a run that needs no shapes never imports geopandas
    import geopandas as gpd

RULES = ("queen", "rook")  # a shared corner or a shared edge (libpysal.graph contiguity)
ISLAND_OPTIONS = ("nearest", "own")


class IslandWarning(UserWarning):
    """How units without land neighbours were handled (never applied silently)."""


@dataclass
class Contiguity:
    """A contiguity graph over ``codes``, after the island option was applied."""

    codes: list[str]
    neighbours: dict[str, list[str]]
    own: list[list[str]] = field(default_factory=list)  # detached components kept as their own regions
    links: list[tuple[str, str, float]] = field(default_factory=list)  # (from, to, km) added by ``nearest``
    detached: list[list[str]] = field(default_factory=list)  # components apart from the main one

    @property
    def main(self) -> list[str]:
        """The units a regionalisation method works on: all but those kept as own regions."""
        kept = {c for comp in self.own for c in comp}
        return [c for c in self.codes if c not in kept]

    def weights(self) -> Any:
        """libpysal weights over ``main``, in that order (spopt reads rows in this order).

        Built as a ``Graph`` like every other graph here; spopt's SKATER and Ward still take only
        the older ``W``, so it is handed over through ``to_W``, with the binary weights as floats,
        as ``W`` itself would hold them.
        """
        from libpysal.graph import Graph
        main = self.main
        keep = set(main)
        nbrs = {c: sorted(n for n in self.neighbours[c] if n in keep) for c in main}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # islands are handled here, not by libpysal's warning
            return Graph.from_dicts(nbrs, {c: [1.0] * len(n) for c, n in nbrs.items()}).to_W()


def touching(geometry: gpd.GeoSeries, rule: str = "queen") -> Any:
    """The contiguity graph of the polygons, the one builder every neighbour list comes from.

    Parameters
    ----------
    geometry : geopandas.GeoSeries
        One polygon per unit, indexed by unit code.
    rule : {"queen", "rook"}, default "queen"
        Neighbours share a border or a corner (queen), or a border (rook).

    Returns
    -------
    libpysal.graph.Graph
        Indexed by unit code; units without a neighbour are islands of the graph.
    """
    if rule not in RULES:
        raise TypologyError(f"config key typology.contiguity.rule: unknown rule {rule!r}; expected one of "
                            f"{', '.join(RULES)}")
    # libpysal is imported here, not at the top: only the spatial methods need it.
    from libpysal.graph import Graph

    return Graph.build_contiguity(geometry, rook=rule == "rook")


class ContiguityGraph:
    """Contiguity of all units with geometry, restricted on demand to any subset of them.

    Polygon distances are computed only for detached units, through a spatial index, because
    the full distance matrix costs seconds.
    """

    def __init__(self, geometry: gpd.GeoDataFrame, rule: str = "queen") -> None:
        frame = geometry.sort_values("code").reset_index(drop=True)
        self.rule = rule
        self.codes: list[str] = frame["code"].astype(str).tolist()
        self._pos = {c: i for i, c in enumerate(self.codes)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # libpysal warns about islands; we report them ourselves
            graph = touching(frame.set_axis(self.codes).geometry, rule)
        neighbours = graph.neighbors
        self.neighbours = {c: sorted(str(n) for n in neighbours[c]) for c in self.codes}
        self._shapes = np.asarray(frame.to_crs(METRIC_CRS).geometry.array, dtype=object)
        xy = shapely.get_coordinates(shapely.centroid(self._shapes))
        self._centroid_distance = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))

    def _nearest(self, comp: list[str], among: list[str], exact: bool = True) -> tuple[float, str, str]:
        """The shortest distance from ``comp`` to a unit of ``among`` outside it: (metres, from, to).

        ``exact``: between polygons; otherwise between centroids (fast, for bootstrap gaps).
        Ties go to the lower codes, so the links never depend on the order of the search.
        """
        inside = set(comp)
        outside = np.array([self._pos[c] for c in among if c not in inside])
        src = np.array([self._pos[c] for c in comp])
        if not exact:
            d = self._centroid_distance[np.ix_(src, outside)]
            i, j = np.unravel_index(int(np.argmin(d)), d.shape)
            return float(d[i, j]), self.codes[src[i]], self.codes[outside[j]]
        tree = shapely.STRtree(self._shapes[outside])
        pairs, dist = tree.query_nearest(self._shapes[src], all_matches=True, return_distance=True)
        found = sorted((float(d), self.codes[src[i]], self.codes[outside[j]]) for (i, j), d in zip(pairs.T, dist))
        return found[0]

    def restrict(self, codes: list[str], islands: str, own_only: set[str] | None = None,
                 exact: bool = True) -> Contiguity:
        """The graph among ``codes``, with detached components linked or kept as ``islands`` says.

        ``own_only`` limits ``own`` to components made only of these units; any other detached
        component is linked to its nearest unit (the bootstrap uses this: a gap left by an
        unsampled unit is not an island). Links are by polygon distance, or by centroid distance
        when ``exact`` is false (the bootstrap, where hundreds of such gaps arise).
        """
        if islands not in ISLAND_OPTIONS:
            raise TypologyError(f"config key typology.contiguity.islands: unknown option {islands!r}; expected "
                                f"one of {', '.join(ISLAND_OPTIONS)}")
        unknown = [c for c in codes if c not in self._pos]
        if unknown:
            raise TypologyError(f"unit geometry: no polygon for units {unknown[:10]}")
        codes = sorted(set(codes))
        keep = set(codes)
        nbrs = {c: [n for n in self.neighbours[c] if n in keep] for c in codes}
        comps = _components(codes, nbrs)
        detached = comps[1:]
        own = [comp for comp in detached if islands == "own" and (own_only is None or set(comp) <= own_only)]
        own_set = {c for comp in own for c in comp}
        links: list[tuple[str, str, float]] = []
        main_codes = [c for c in codes if c not in own_set]
        comps = _components(main_codes, nbrs)
        while len(comps) > 1:
            for comp in comps[1:]:
                dist, a, b = self._nearest(comp, main_codes, exact)
                nbrs[a] = sorted({*nbrs[a], b})
                nbrs[b] = sorted({*nbrs[b], a})
                links.append((a, b, round(dist / 1000, 1)))
            comps = _components(main_codes, nbrs)
        return Contiguity(codes, nbrs, own, links, detached)


def _components(codes: list[str], nbrs: dict[str, list[str]]) -> list[list[str]]:
    """Connected components, the largest first (ties: the one holding the lowest code)."""
    from scipy.sparse import csgraph, csr_matrix

    if not codes:
        return []
    pos = {c: i for i, c in enumerate(codes)}
    rows = [pos[a] for a in codes for b in nbrs[a] if b in pos]
    cols = [pos[b] for a in codes for b in nbrs[a] if b in pos]
    graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(codes), len(codes)))
    _, labels = csgraph.connected_components(graph, directed=False)
    groups: dict[int, list[str]] = {}
    for code, label in zip(codes, labels):
        groups.setdefault(int(label), []).append(code)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def describe(contiguity: Contiguity, islands: str, names: dict[str, str] | None = None) -> str:
    """One line saying which units had no land neighbours and what was done with them."""
    names = names or {}

    def label(code: str) -> str:
        return f"{names.get(code, code)}({code})"

    if not contiguity.detached:
        return ""
    parts = ", ".join("+".join(label(c) for c in comp) for comp in contiguity.detached)
    head = f"{sum(map(len, contiguity.detached))} units have no land neighbour in the geometry: {parts}"
    if islands == "own":
        tail = "kept as their own regions (typology.contiguity.islands: own)"
    else:
        joined = "; ".join(f"{label(a)} → {label(b)} {km:g} km" for a, b, km in contiguity.links)
        tail = f"joined to the nearest unit (typology.contiguity.islands: nearest): {joined}"
    return f"{head}; {tail}"


def warn_islands(contiguity: Contiguity, islands: str, names: dict[str, str] | None = None) -> str:
    message = describe(contiguity, islands, names)
    if message:
        warnings.warn(message, IslandWarning, stacklevel=2)
    return message
