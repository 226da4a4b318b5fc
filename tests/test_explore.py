"""Results.explore() (folium) and the place-name points the interactive maps share; no browser needed."""

from __future__ import annotations

import re

import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from typology.api.loaders import from_run
from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry
from typology.errors import TypologyError
from typology.render.explore import layer_name
from typology.render.labels import label_points, sido_names
from typology.render.layers import MapLayer, build_layers, legend_spec
from typology.render.offline_assets import external_loads
from typology.render.webmap import dimension_names, map_payload

from .output_helpers import EVIL, evil_run


@pytest.fixture(scope="module")
def explore_html(default_run) -> str:
    return from_run(default_run).explore("composite").get_root().render()


def test_label_points_fall_inside_their_region():
    for frame in (load_unit_geometry(), load_sido_geometry()):
        points = label_points(frame.geometry)
        assert len(points) == len(frame)
        outside = [i for i, (g, (lat, lon)) in enumerate(zip(frame.geometry, points))
                   if not shapely.contains_xy(g, lon, lat)]
        assert outside == []


def test_label_point_of_a_known_shape():
    import geopandas as gpd

    # An L: the centroid (1.17, 1.17) of this shape lies in the notch, outside it; the label must not.
    ell = shapely.Polygon([(0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4)])
    island = shapely.box(10, 10, 10.1, 10.1)
    lat, lon = label_points(gpd.GeoSeries([shapely.MultiPolygon([ell, island])]))[0]
    assert not shapely.contains_xy(ell, *shapely.centroid(ell).coords[0])
    assert shapely.contains_xy(ell, lon, lat)  # in the larger part, not on the island


def test_map_payload_carries_every_place_name(default_run, default_table):
    payload = map_payload(default_run, default_table, attach(default_table, load_unit_geometry()), load_sido_geometry())
    sido = [f["properties"]["n"] for f in payload["sido"]["features"]]
    assert len(sido) == 17 and len(set(sido)) == 17 and "" not in sido
    assert set(sido) == set(default_table["sido"])
    assert all(len(f["properties"]["lp"]) == 2 for f in payload["units"]["features"])
    assert sido_names(default_table)["11"] == "서울특별시"


def test_explore_has_no_request_to_another_host(explore_html):
    assert external_loads(explore_html) == []
    for host in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "netdna.bootstrapcdn.com"):
        assert host not in explore_html
    assert 'version="1.9.4"' in explore_html.replace(' ', '') or '"1.9.4"' in explore_html  # Leaflet inlined


def test_explore_has_the_layers_and_legends_of_map_html(default_run, default_table, explore_html):
    layers = build_layers(default_table, default_run.settings, dimension_names(default_run))
    payload = map_payload(default_run, default_table, attach(default_table, load_unit_geometry()),
                          load_sido_geometry(), layers)
    for layer, shown in zip(layers, payload["layers"]):
        spec = legend_spec(layer)
        assert f"{shown['title']} ({shown['title_en']})" == spec["title"]
        assert layer_name(layer) in explore_html
        pairs = [(r["colour"], r["label"], r["count"]) for r in spec["rows"]]
        expected = list(zip(shown["colours"], shown["labels"], shown["counts"]))
        assert pairs == [p for p in expected if p[2] or layer.key != "type"]
    # The composite is the layer shown first, and its legend with it.
    assert 'draw("종합점수 (Composite score)")' in explore_html


def test_explore_rejects_an_unknown_layer(default_run):
    with pytest.raises(TypologyError, match=r"explore\(layer='economi'\): expected one of \['type', 'economy'"):
        from_run(default_run).explore("economi")


def test_explore_escapes_data_strings(default_run):
    html = from_run(evil_run(default_run)).explore().get_root().render()
    assert EVIL not in html
    # folium writes the (already escaped) name as JSON, with '&' as \u0026.
    assert "\\u0026lt;script\\u0026gt;window.__xss=1" in html
    hostile = MapLayer("x", EVIL, "t", default_run.table().set_index("code")["economy"] * 0, ["#000000"], ["a"])
    assert "<" not in layer_name(hostile)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1, 1), st.floats(-1, 1)), min_size=3, max_size=12),
       st.floats(0.01, 0.3), st.floats(2, 5))
def test_label_point_is_always_inside_the_largest_part(points, arm, offset):
    import geopandas as gpd

    # A star (arms from the origin to random points, thickened; often concave, its centroid can
    # fall outside) and a smaller, distant second part: the label must be in the star.
    main = shapely.MultiLineString([[(0, 0), p] for p in points]).buffer(arm)
    small = shapely.box(offset, offset, offset + arm, offset + arm)
    assume(main.geom_type == "Polygon" and main.area > small.area)
    lat, lon = label_points(gpd.GeoSeries([shapely.MultiPolygon([main, small])]))[0]
    # Rounded to 1e-4 for the page: inside up to that rounding.
    assert shapely.dwithin(main, shapely.Point(lon, lat), 1e-4)
    assert not shapely.dwithin(small, shapely.Point(lon, lat), 1e-4)


def test_explore_from_a_run_folder_matches_the_in_process_run(default_run, default_run_folder):
    from typology.api.loaders import from_folder

    folder, run = from_folder(default_run_folder), from_run(default_run)
    for layer in ("type", "institution"):
        a = folder.explore(layer).get_root().render()
        b = run.explore(layer).get_root().render()
        # The same regions, names, types and fill colours, and the same legends (the geometry
        # differs in the last digits after the GeoPackage round trip).
        props = re.compile(r'"properties": \{[^}]*\}')
        assert props.findall(a) == props.findall(b) and len(props.findall(a)) == 6 * 228 + 17
        legends = re.compile(r"var legends = (.*);")
        assert legends.search(a).group(1) == legends.search(b).group(1)


def test_explore_has_search_and_click_popups(default_run, explore_html):
    from typology.data.regions import default_index
    from typology.render.explore import popup_texts, search_index

    res = from_run(default_run)
    # The search list matches what map.html's box and Results.region match.
    index = {row["c"]: row for row in search_index(res.frame)}
    assert len(index) == 228 and "suncheon-si" in index["36030"]["q"] and "전라남도" in index["36030"]["q"]
    hits = [c for c, row in index.items() if all(t in row["q"] for t in ["suncheon"])]
    assert hits == default_index().search("Suncheon") == ["36030"]
    assert explore_html.count("bindPopup") >= 6 and "Why this type" in explore_html
    assert 'placeholder = "지역 검색 (예: 중구, Suncheon)"' in explore_html
    texts = popup_texts(res.frame, {d: (res.dimension_name(d), d) for d in res.dimensions})
    row = res.by_code.loc["36030"]
    assert texts.at["36030", "comp"] == f"{row['composite']:+.2f} ({int(row['composite_rank'])}/228위)"
    assert texts.at["36030", "d"].startswith(f"지역경제상황 {row['economy']:+.2f} · ")
    assert texts.at["36030", "why"] == row["reason"].replace("<", "&lt;").replace(">", "&gt;")


def test_explore_reads_settings_made_once(default_run, monkeypatch):
    # The renderers take the typed settings only: Results of a run hand over the run's own, other
    # Results make them from their config once, however often the map is drawn.
    import dataclasses

    from typology.core.settings import RunSettings

    made = []
    make = RunSettings.of.__func__
    monkeypatch.setattr(RunSettings, "of", classmethod(lambda cls, *a, **k: made.append(1) or make(cls, *a, **k)))
    res = from_run(default_run)
    res.frame = res.frame.head(25)  # a small map draws the same way, sooner
    res.explore("civic")
    assert made == [] and res.settings is default_run.settings
    copy = dataclasses.replace(res)  # no cache: as Results read from a run folder
    copy.explore()
    copy.explore("composite")
    assert len(made) == 1 and copy.settings.typology == default_run.settings.typology
