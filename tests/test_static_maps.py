"""Printable maps: Korean text in a Hangul font, islands visible, PNG and PDF written."""

from __future__ import annotations

import io
import re
import warnings

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from typology import paths
from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry
from typology.render.fonts import covers_hangul, hangul_family, hangul_font_path
from typology.render.layers import build_layers
from typology.render.static_maps import map_frame, render_static_maps, small_island_units, type_map_figure
from typology.render.webmap import dimension_names

from .output_helpers import rule_types


@pytest.fixture(scope="module")
def frame_and_layers(default_run):
    table = default_run.table()
    geo = attach(table, load_unit_geometry())
    sido_names = pd.read_csv(paths.SIDO, dtype=str, encoding="utf-8-sig")
    frame = map_frame(geo, load_sido_geometry(), sido_names)
    return frame, build_layers(table, default_run.settings, dimension_names(default_run))


@pytest.fixture(scope="module")
def files(frame_and_layers, default_run):
    frame, layers = frame_and_layers
    with warnings.catch_warnings():
        # matplotlib warns "Glyph ... missing from font(s)" when Hangul falls back to a Latin font.
        warnings.simplefilter("error")
        return render_static_maps(frame, layers, default_run.config, dpi=100)


def test_the_font_has_hangul_and_matplotlib_resolves_to_it():
    from matplotlib import font_manager

    path = hangul_font_path()
    assert covers_hangul(path)
    resolved = font_manager.findfont(font_manager.FontProperties(family=hangul_family()), fallback_to_default=False)
    assert covers_hangul(type(path)(resolved)), resolved
    assert "Nanum" in hangul_family()


def test_default_font_has_no_hangul_so_the_check_means_something():
    from matplotlib import font_manager

    dejavu = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    assert not covers_hangul(type(hangul_font_path())(dejavu))


def test_pngs_and_one_pdf_are_written(files):
    assert set(files) == {"map_type.png", "map_dimensions.png", "maps.pdf"}
    from PIL import Image

    for name in ("map_type.png", "map_dimensions.png"):
        image = Image.open(io.BytesIO(files[name]))
        assert image.width > 800 and image.height > 800
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or range(9999)) > 50  # not blank
    assert files["maps.pdf"].startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", files["maps.pdf"])) == 2  # type map, dimension maps


def test_pdf_embeds_the_hangul_font(files):
    fonts = set(re.findall(rb"/BaseFont /(?:[A-Z]{6}\+)?([A-Za-z0-9-]+)", files["maps.pdf"]))
    assert any(f.startswith(b"NanumGothic") for f in fonts), fonts
    assert b"/FontFile2" in files["maps.pdf"]  # TrueType embedded (Type 42): text is searchable


def test_korean_labels_are_on_the_type_map(frame_and_layers, default_run):
    frame, layers = frame_and_layers
    from typology.render.fonts import hangul_rc

    with hangul_rc():
        fig = type_map_figure(frame, layers[0], "제목", "subtitle")
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"서울", "제주", "울릉군"} <= texts
    families = {t.get_fontfamily()[0] for ax in fig.axes for t in ax.texts}
    assert families == {hangul_family()}
    legend = fig.axes[-1].get_legend()
    typology = default_run.config["typology"]
    counts = rule_types(default_run.table(), typology).value_counts()
    assert [t.get_text() for t in legend.get_texts()] == [f"{t['name_ko']} ({t['name_en']}) ({counts[t['key']]})"
                                                          for t in typology["types"]]


def test_ulleung_gets_an_island_marker(frame_and_layers):
    frame, _ = frame_and_layers
    assert "37430" in set(frame.small_islands)  # 울릉군
    assert "39000" not in set(frame.small_islands)  # 제주 is large enough to see
    assert len(frame.small_islands) < 5


def test_small_island_rule_on_synthetic_shapes():
    # Synthetic squares in metres (labelled as such): two touching mainland units, one tiny
    # island far out, one large island far out.
    shapes = [shapely.box(0, 0, 50_000, 50_000), shapely.box(50_000, 0, 100_000, 50_000),
              shapely.box(300_000, 0, 305_000, 5_000), shapely.box(0, 300_000, 40_000, 340_000)]
    units = gpd.GeoDataFrame({"code": ["a", "b", "tiny", "big"]}, geometry=shapes, crs="EPSG:5179")
    assert list(small_island_units(units)) == ["tiny"]


def test_a_scoped_frame_zooms_to_its_units_and_keeps_the_rest_as_grey_context():
    from typology.data.geometry import load_unit_geometry
    from typology.render.static_maps import CONTEXT_COLOUR, _draw, frame_for

    every = load_unit_geometry()
    seoul = every[every["code"].str.startswith("11")].assign(name="x")
    frame = frame_for(seoul, context=every)
    assert len(frame.units) == len(every) and set(frame.focus) == set(seoul["code"])
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    _draw(ax, frame, pd.Series("#123456", index=seoul["code"]))
    fills = ax.collections[0].get_facecolors()
    grey = tuple(int(CONTEXT_COLOUR[i:i + 2], 16) / 255 for i in (1, 3, 5))
    assert sum(tuple(round(c, 3) for c in f[:3]) == tuple(round(c, 3) for c in grey) for f in fills) == len(every) - 25
    x0, _, x1, _ = frame.in_focus().total_bounds
    assert ax.get_xlim()[1] - ax.get_xlim()[0] < 1.1 * (x1 - x0)  # zoomed to Seoul, not the country
    assert frame_for(seoul).focus is None  # without context: no grey units, the frame is the units
