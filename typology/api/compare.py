"""Regions side by side (``compare``) and regions like one region (``peers``).

``peers`` measures likeness as the Euclidean distance between normalised indicator
profiles (or dimension scores). Missing values are handled openly: the distance uses the
coordinates both regions have, scaled up by (all / shared) as in scikit-learn's
``nan_euclidean_distances``, the number shared is reported, and pairs sharing fewer than
half the coordinates get no distance and are listed as such.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS
from ..core.ranks import percentile_rank
from ..data.geometry import METRIC_CRS
from ..errors import TypologyError
from ..render import charts

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd
    from matplotlib.figure import Figure

    from ..typologies.rules import RuleTypology

MIN_REGIONS, MAX_REGIONS = 2, 10
ACROSS_WATER = 3  # nearest units listed for a unit with no contiguous neighbour


class ResultsView(Protocol):
    """What the analyses here and in ``gap`` read of a run's results: ``typology.api.results.Results``.

    Named here, not imported from there, so that imports run one way: ``results`` offers the
    analyses as methods and imports them; they never import it, not even for type checking.
    """

    frame: gpd.GeoDataFrame
    indicators: pd.DataFrame
    config: dict[str, Any]
    source: str

    @property
    def by_code(self) -> pd.DataFrame: ...
    @property
    def dimensions(self) -> list[str]: ...
    @property
    def types(self) -> pd.DataFrame: ...
    @property
    def normalise_method(self) -> str: ...
    def cached(self, key: str, build: Callable[[], Any]) -> Any: ...
    def region(self, query: object, system: str = "kostat") -> str: ...
    def name(self, code: str, lang: str = "ko") -> str: ...
    def labels(self, lang: str = "ko") -> pd.Series: ...
    def dimension_name(self, dim: str, lang: str = "ko") -> str: ...
    def type_key(self, query: str) -> str: ...
    def type_name(self, key: str, lang: str = "ko") -> str: ...
    def rules(self) -> RuleTypology: ...
    def contiguity(self) -> Any: ...


def _fmt(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    x = float(value)
    if x.is_integer() and abs(x) < 1e6:
        return f"{int(x):,}"
    digits = 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 2 if abs(x) >= 1 else 3
    return f"{x:,.{digits}f}"


# -- compare --------------------------------------------------------------------------------
@dataclass
class Comparison:
    """2–10 regions side by side (``Results.compare``).

    Attributes
    ----------
    codes, labels : list of str
        The regions' codes and display labels, in the order asked.
    scores : pandas.DataFrame
        Regions × (dimensions, axes, composite, rank).
    raw, percentile : pandas.DataFrame
        Regions × indicators: in their own units; each normalised indicator's national percentile (0–100).
    table : pandas.DataFrame
        Everything as one display table (rows = items, columns = regions and the national mean).
    figure : matplotlib.figure.Figure
        Dimension bars and an indicator heat map.
    """

    codes: list[str]
    labels: list[str]
    scores: pd.DataFrame
    raw: pd.DataFrame
    percentile: pd.DataFrame
    table: pd.DataFrame
    figure: Figure

    def _repr_html_(self) -> str:
        return self.table.to_html(na_rep="–")


def _region_codes(results: ResultsView, regions: list[object]) -> list[str]:
    if isinstance(regions, (str, bytes)) or not hasattr(regions, "__iter__"):
        raise TypologyError(f"compare: expected a list of {MIN_REGIONS}–{MAX_REGIONS} regions, got {regions!r}")
    codes = [results.region(r) for r in regions]
    if not MIN_REGIONS <= len(codes) <= MAX_REGIONS:
        raise TypologyError(f"compare: {len(codes)} regions given; expected {MIN_REGIONS} to {MAX_REGIONS}")
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise TypologyError(f"compare: the same unit is listed twice ({', '.join(results.name(c) for c in dup)})")
    return codes


def compare(results: ResultsView, regions: list[object], indicators: list[str] | None = None,
            lang: str | None = None) -> Comparison:
    """Dimension scores and indicators of 2–10 regions, as a table and a chart (``Results.compare``).

    Parameters
    ----------
    results : Results
        The run (``ResultsView``).
    regions : list of str or int
        2 to 10 regions, as ``Results.region`` accepts them.
    indicators : list of str, optional
        Indicator keys to show (default: every indicator in use).
    lang : {'ko', 'en'}, optional
        Language of labels; default Korean.

    Returns
    -------
    Comparison
    """
    codes = _region_codes(results, regions)
    lang = charts.chart_lang(lang)
    keys = list(results.indicators.index) if indicators is None else list(indicators)
    unknown = [k for k in keys if k not in results.indicators.index]
    if unknown:
        raise TypologyError(f"compare: indicators {unknown} are not in use; expected some of "
                            f"{list(results.indicators.index)}")
    frame = results.by_code
    labels = [results.name(c, lang) for c in codes]
    axes = [c for c in frame.columns if c.startswith("axis_")]
    score_cols = [*DIMENSIONS, *axes, "composite", "composite_rank"]
    scores = frame.loc[codes, score_cols].astype(float).set_axis(labels)
    raw = frame.loc[codes, keys].astype(float).set_axis(labels)
    norm = frame[[f"{k}_norm" for k in keys]].astype(float)
    percentile = percentile_rank(norm).loc[codes].set_axis(labels).set_axis(keys, axis=1)

    table = _display_table(results, codes, labels, keys, axes, lang)
    figure = _compare_figure(results, scores, percentile, raw, lang)
    return Comparison(codes, labels, scores, raw, percentile, table, figure)


def _mean_words(results: ResultsView, ko: bool) -> str:
    """A scoped run's scores are relative to its scope (units.scope), so the mean beside them is the scope's."""
    if (results.config.get("units") or {}).get("scope"):
        return "범위 평균" if ko else "mean over the scope"
    return "전국 평균" if ko else "national mean"


def _display_table(results: ResultsView, codes: list[str], labels: list[str], keys: list[str], axes: list[str],
                   lang: str) -> pd.DataFrame:
    frame = results.by_code
    ko = lang == "ko"
    mean_label = _mean_words(results, ko)
    rows: dict[str, list[object]] = {}
    rows["유형" if ko else "type"] = [results.type_name(frame.at[c, "type"], lang) for c in codes] + [""]
    for dim in DIMENSIONS:
        rows[results.dimension_name(dim, lang)] = [*frame.loc[codes, dim], frame[dim].mean()]
    for axis in axes:
        name = axis.removeprefix("axis_")
        spec = results.config["typology"]["axes"].get(name, {})
        rows[spec.get(f"name_{lang}", axis)] = [*frame.loc[codes, axis], frame[axis].mean()]
    rows["종합점수" if ko else "composite"] = [*frame.loc[codes, "composite"], frame["composite"].mean()]
    rows["종합순위" if ko else "composite rank"] = [*frame.loc[codes, "composite_rank"], np.nan]
    for key in keys:
        meta = results.indicators.loc[key]
        rows[f"{meta[f'name_{lang}']} [{meta['unit']}]"] = [*frame.loc[codes, key], frame[key].mean()]
    table = pd.DataFrame(rows, index=[*labels, mean_label]).T
    return table.map(_fmt)


def _compare_figure(results: ResultsView, scores: pd.DataFrame, percentile: pd.DataFrame, raw: pd.DataFrame,
                    lang: str) -> Figure:
    ko = lang == "ko"
    n = len(scores)
    with charts.style():
        fig = charts.new_figure(12, 4.5 + 0.35 * n)
        left, right = fig.subplots(1, 2, width_ratios=[1, 1.6])
        dims = list(DIMENSIONS)
        x = np.arange(len(dims))
        width = 0.8 / n
        cmap = _region_colours(n)
        for i, (label, row) in enumerate(scores.iterrows()):
            left.bar(x + (i - (n - 1) / 2) * width, row[dims].to_numpy(dtype=float), width, label=label,
                     color=cmap[i])
        frame = results.by_code
        for j, dim in enumerate(dims):
            mean = float(frame[dim].mean())
            left.hlines(mean, j - 0.45, j + 0.45, colors="black", linestyles="dashed", linewidth=1)
        left.set_xticks(x, [results.dimension_name(d, lang) for d in dims], rotation=20, ha="right")
        method = results.normalise_method
        left.set_ylabel(f"{'차원 점수' if ko else 'dimension score'} ({method})")
        left.set_title(f"차원 점수 (점선: {_mean_words(results, ko)})" if ko
                       else f"Dimension scores (dashed: {_mean_words(results, ko)})")
        left.legend(fontsize="small")

        names = [results.indicators.at[k, f"name_{lang}"] for k in percentile.columns]
        values = percentile.to_numpy(dtype=float)
        image = right.imshow(np.ma.masked_invalid(values), cmap="RdYlBu", vmin=0, vmax=100, aspect="auto")
        right.set_xticks(np.arange(len(names)), names, rotation=40, ha="right", fontsize="small")
        right.set_yticks(np.arange(n), list(percentile.index))
        for (i, j), v in np.ndenumerate(raw.to_numpy(dtype=float)):
            right.text(j, i, _fmt(v), ha="center", va="center", fontsize="x-small",
                       color="black" if np.isnan(values[i, j]) or 20 < values[i, j] < 80 else "white")
        right.set_title("지표 (색: 전국 백분위, 숫자: 원값)" if ko else "Indicators (colour: national percentile, "
                        "text: raw value)")
        fig.colorbar(image, ax=right, label="전국 백분위" if ko else "national percentile", shrink=0.8)
    return fig


def _region_colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


# -- peers ----------------------------------------------------------------------------------
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
