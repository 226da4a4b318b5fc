"""Regions side by side (``compare``), and what the analyses read of a run's results (``ResultsView``).

``compare`` puts 2–10 regions' dimension scores, axes, composite and indicators in one table
and one figure; regions like one region are in ``peers``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS
from ..core.ranks import percentile_rank
from ..errors import TypologyError
from ..render import charts

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd
    from matplotlib.figure import Figure


MIN_REGIONS, MAX_REGIONS = 2, 10


class ResultsView(Protocol):
    """What the analyses here and in ``peers`` read of a run's results: ``typology.api.results.Results``.

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

