"""data/geometry.py's two readers of the bundled GeoJSON: GDAL's (GeoDataFrames) and the json module's
(map.html's, so that a run's main process never loads GDAL) give the same shapes, so map.html is the
same page from either, and a default run's main process never imports pyogrio."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from typology import paths
from typology.data import geometry as geom
from typology.errors import TypologyError
from typology.render.layers import build_layers
from typology.render.webmap import build_map, dimension_names


def _wkb(shapes) -> list[bytes]:
    return [None if g is None else shapely.to_wkb(g) for g in np.asarray(shapes, dtype=object)]


@pytest.mark.parametrize(("light", "gdal", "key"), [(geom.load_unit_shapes, geom.load_unit_geometry, "code"),
                                                   (geom.load_sido_shapes, geom.load_sido_geometry, "sido_code")])
def test_the_bundled_shapes_are_gdals_to_the_bit(light, gdal, key):
    mine, theirs = light(), gdal()
    assert mine[key].tolist() == theirs[key].tolist()
    assert _wkb(mine["geometry"]) == _wkb(theirs.geometry)
    assert {g.geom_type for g in mine["geometry"]} == {"Polygon", "MultiPolygon"}  # both kinds are exercised


_coordinate = st.one_of(
    st.floats(-180, 180, allow_nan=False, allow_subnormal=False),
    st.integers(-180, 180),  # "127" in a file is a number too
    st.decimals(-180, 180, places=7).map(float),  # typical GeoJSON precision: decimal text, not a double's
)


@st.composite
def _ring(draw):
    points = draw(st.lists(st.tuples(_coordinate, _coordinate), min_size=3, max_size=8))
    return [list(p) for p in points] + [list(points[0])]  # GeoJSON rings end on their first point


_polygon = st.lists(_ring(), min_size=1, max_size=3)  # a shell and its holes (validity is not a reader's business)
_geometry = st.one_of(_polygon.map(lambda rings: {"type": "Polygon", "coordinates": rings}),
                      st.lists(_polygon, min_size=1, max_size=3).map(
                          lambda parts: {"type": "MultiPolygon", "coordinates": parts}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(geometries=st.lists(_geometry, min_size=1, max_size=4))
def test_any_polygon_file_is_read_as_gdal_reads_it(tmp_path, geometries):
    # Each number is parsed by both to the nearest double; nothing is closed, oriented or promoted.
    path = tmp_path / "shapes.geojson"
    features = [{"type": "Feature", "properties": {"code": f"{i:05d}"}, "geometry": g}
                for i, g in enumerate(geometries)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    mine, theirs = geom.read_shapes(path, "code"), gpd.read_file(path)
    assert mine["code"].tolist() == theirs["code"].astype(str).tolist()
    assert _wkb(mine["geometry"]) == _wkb(theirs.geometry)


def test_an_invalid_unit_shape_is_refused_by_both_readers_alike(tmp_path, monkeypatch):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    features = [{"type": "Feature", "properties": {"code": c}, "geometry": g}
                for c, g in (("11010", square), ("11020", bowtie), ("11030", None))]
    path = tmp_path / "units.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    monkeypatch.setattr(paths, "GEOMETRY", path)
    messages = []
    for load in (geom.load_unit_shapes, geom.load_unit_geometry):
        with pytest.raises(TypologyError) as info:
            load()
        messages.append(str(info.value))
    assert messages[0] == messages[1] == f"{path}: invalid or empty geometry for units ['11020', '11030']"


@pytest.mark.parametrize("fixture", ["default_run", "seoul_example_run"])
def test_map_html_is_the_same_page_from_either_reader(fixture, request):
    # seoul_example_run is scoped: its page also draws the rest of the country as context.
    result = request.getfixturevalue(fixture)
    table = result.table()
    layers = build_layers(table, result.settings, dimension_names(result))
    shapes = geom.attach_shapes(table, geom.load_unit_shapes())
    light = build_map(result, table, shapes, geom.load_sido_shapes(), layers)
    gdal = build_map(result, table, geom.attach(table, geom.load_unit_geometry()), geom.load_sido_geometry(), layers)
    assert light == gdal


def test_attach_shapes_refuses_a_unit_without_a_shape(default_table):
    shapes = geom.load_unit_shapes()
    with pytest.raises(TypologyError, match=r"no geometry for units \['11010'\]"):
        geom.attach_shapes(default_table, shapes[shapes["code"] != "11010"])
    joined = geom.attach_shapes(default_table.iloc[::-1], shapes)
    assert joined["code"].tolist() == default_table["code"].iloc[::-1].tolist()  # by code, in the table's order


# The main process's imports can only be seen in a fresh interpreter: this one has imported pyogrio
# for the other tests (and pytest's plugins import what they like). The run is the command line's
# (conftest.cli_run_imports: `python -X importtime -m typology run`), with the default config and
# every output.
@pytest.mark.e2e
def test_a_default_run_never_loads_gdal_or_matplotlib_in_its_main_process(cli_run_imports, cli_run_dir):
    assert sorted(m for m in ("pyogrio", "fiona", "osgeo", "matplotlib") if m in cli_run_imports) == []
    assert {"scores.gpkg", "map.html", "map_type.png", "maps.pdf"} <= {p.name for p in cli_run_dir.iterdir()}
