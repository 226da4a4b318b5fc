"""map.html without a browser: self-contained, small, complete, escaped; and the map classes."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry
from typology.errors import TypologyError
from typology.render.layers import build_layers, quantile_classes
from typology.render.offline_assets import external_loads, json_for_script, leaflet_css, leaflet_js, script_hash
from typology.render.webmap import build_map, dimension_names, national_ranks

from .output_helpers import EVIL, evil_run, map_data

MAX_BYTES = 2 * 1024 * 1024


def render(result, **output):
    if output:
        result = dataclasses.replace(result, config={**result.config,
                                                     "output": {**result.config["output"], **output}})
    table = result.table()
    return build_map(result, table, attach(table, load_unit_geometry()), load_sido_geometry())


@pytest.fixture(scope="module")
def page(default_run):
    return render(default_run)


def test_map_is_small_enough(page):
    assert len(page.encode("utf-8")) <= MAX_BYTES


def test_map_loads_nothing_from_elsewhere(page):
    assert external_loads(page) == []
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # everything inline, nothing beside it
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src &#x27;none&#x27;" in csp and "connect-src &#x27;none&#x27;" in csp


def test_csp_allows_exactly_the_two_inline_scripts(page):
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 2 and scripts[0] == leaflet_js()
    csp = re.search(r'content="(default-src[^"]+)"', page).group(1).replace("&#x27;", "'")
    assert all(script_hash(s) in csp for s in scripts)


def test_leaflet_is_inlined_with_its_images(page):
    assert re.search(r"Leaflet 1\.\d+\.\d+", leaflet_js()[:300])
    css = leaflet_css()
    assert "url(images/" not in css and "data:image/png;base64," in css
    assert css in page


def test_every_unit_is_on_the_map_with_its_data(page, default_run):
    data = map_data(page)
    features = data["units"]["features"]
    assert len(features) == 228 == len({f["properties"]["c"] for f in features})
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    assert len(data["sido"]["features"]) == 17
    jongno = next(f["properties"] for f in features if f["properties"]["c"] == "11010")
    table = default_run.table().set_index("code")
    assert jongno["n"] == "종로구" and jongno["s"] == "서울특별시"
    assert jongno["t"] == table.at["11010", "type_ko"] and jongno["why"] == table.at["11010", "reason"]
    assert jongno["v"][0] == pytest.approx(table.at["11010", "economy"], abs=1e-4)
    assert jongno["r"][4] == table.at["11010", "composite_rank"]  # same rank as scores.csv


def test_layers_and_legends(page):
    data = map_data(page)
    assert [layer["key"] for layer in data["layers"]] == ["type", "economy", "civic", "institution", "capacity",
                                                          "composite"]
    for i, layer in enumerate(data["layers"]):
        assert len(layer["colours"]) == len(layer["labels"]) == len(layer["counts"])
        assert sum(layer["counts"]) + layer["missing"] == 228
        classes = [f["properties"]["k"][i] for f in data["units"]["features"]]
        assert all(-1 <= k < len(layer["colours"]) for k in classes)
    assert data["layers"][0]["labels"][:2] == ["사회주도형 (Society-led)", "자원결합형 (Resource-combining)"]


def test_ambiguous_names_carry_their_sido(page):
    jung = [f["properties"] for f in map_data(page)["units"]["features"] if f["properties"]["n"] == "중구"]
    assert len(jung) == 6 and len({p["s"] for p in jung}) == 6


def test_coverage_note_per_unit(page, default_run):
    data = map_data(page)
    missing = default_run.table().set_index("code")["missing_indicators"]
    code = missing[missing != ""].index[0]
    props = next(f["properties"] for f in data["units"]["features"] if f["properties"]["c"] == code)
    names = {i.key: i.spec["name_ko"] for i in default_run.indicators}
    assert props["miss"] == [names[k] for k in missing[code].split(";")]
    assert sum(total - seen for seen, total in props["obs"]) == len(props["miss"])
    assert any("약한 대리지표" in d["note"] for d in data["dims"])  # institution: weak proxies only


def test_ranks_are_one_for_the_top_unit(default_run):
    table = default_run.table()
    ranks = national_ranks(table)
    top = table.loc[table["economy"].idxmax(), "code"]
    assert ranks.at[top, "economy"] == 1
    assert ranks["economy"].max() <= table["economy"].notna().sum()


def test_names_are_data_not_markup(default_run):
    page = render(evil_run(default_run))
    assert "<script>window.__xss" not in page and "<img src=x" not in page
    data = map_data(page)
    assert any(f["properties"]["n"] == EVIL for f in data["units"]["features"])
    assert any(EVIL in f["properties"]["miss"] for f in data["units"]["features"])  # an indicator name too


def test_json_for_script_cannot_close_the_script():
    text = json_for_script({"a": "</script><!-- & \u2028"})
    assert "</" not in text and "<!--" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_external_loads_finds_cdn_references():
    assert external_loads('<script src="https://cdn.example/leaflet.js"></script>')
    assert external_loads('<link rel="stylesheet" href="//cdn.example/x.css">')
    assert external_loads("<style>.a{background:url('http://x/y.png')}</style>")
    assert external_loads('<style>@import "https://x/y.css";</style>')
    assert not external_loads('<a href="https://leafletjs.com">Leaflet</a>')
    assert not external_loads('<img src="data:image/png;base64,AAAA">')


def test_basemap_tiles_are_optional_and_checked(default_run, page):
    result = default_run
    assert map_data(page)["tiles"] is None
    page = render(result, map_tiles="https://tile.example/{z}/{x}/{y}.png", map_tiles_attribution="<b>© x</b>")
    assert map_data(page)["tiles"] == {"url": "https://tile.example/{z}/{x}/{y}.png",
                                       "attribution": "&lt;b&gt;© x&lt;/b&gt;"}
    with pytest.raises(TypologyError, match="output.map_tiles"):
        render(result, map_tiles="OpenStreetMap")


def test_quantile_classes_hand_checked():
    values = pd.Series([float(v) for v in range(1, 11)] + [np.nan])
    classes, edges = quantile_classes(values)
    assert classes.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1]
    assert edges[0] == 1 and edges[-1] == 10


def test_quantile_classes_merge_ties_and_handle_constant_and_empty():
    ties = pd.Series([0.0] * 8 + [1.0, 2.0])
    classes, edges = quantile_classes(ties)
    assert len(edges) - 1 == classes.max() + 1 < 5
    assert (classes[:8] == 0).all() and classes.iloc[-1] == classes.max()
    constant, edges = quantile_classes(pd.Series([3.0, 3.0]))
    assert constant.tolist() == [0, 0] and len(edges) == 2
    empty, edges = quantile_classes(pd.Series([np.nan, np.nan]))
    assert empty.tolist() == [-1, -1] and len(edges) == 0


def test_layers_share_classes_with_the_table(default_run):
    table = default_run.table()
    layers = build_layers(table, default_run.settings, dimension_names(default_run))
    composite = layers[-1]
    codes = table.set_index("code")["composite"]
    best, worst = codes.idxmax(), codes.idxmin()
    assert composite.classes[best] == len(composite.colours) - 1 and composite.classes[worst] == 0
    type_layer = layers[0]
    assert (type_layer.classes == table.set_index("code")["type"].map({"society_led": 0,
                                                                        "resource_combining": 1})).all()


def test_type_colours_come_from_the_config_and_are_checked():
    from typology.render.layers import type_colours

    types = [{"key": "a", "colour": "#123456"}, {"key": "b"}]
    assert type_colours(types, "u") == {"a": "#123456", "b": "#d95f02", "u": "#bdbdbd"}
    with pytest.raises(TypologyError, match=r"typology.types\[0\].colour"):
        type_colours([{"key": "a", "colour": "red;background:url(x)"}], "u")


def test_map_explains_itself_from_the_run(default_run, page):
    data = map_data(page)
    assert [t["name"] for t in data["types"]] == ["사회주도형", "자원결합형"]
    assert sum(t["n"] for t in data["types"]) == 228
    assert data["scale"]["short"] == "z-점수" and "0 = 전국 평균" in data["scale"]["ko"]
    assert data["report"] == "report.html"
    assert map_data(render(default_run, report=False))["report"] is None  # no link to a page not written
    # The validity audit's leave-one-out, per region: the full list of codes, not the 30 names of detail.
    loo = default_run.tables["validity"].query("measure == 'leave_one_out'").set_index("against")["value"]
    changed = {k: len(v) for k, v in default_run.type_changes.items()}
    assert changed == {k: int(v) for k, v in loo.dropna().items()}
    by_code = {f["properties"]["c"]: f["properties"] for f in data["units"]["features"]}
    assert by_code["36030"]["loo"] == [["주민자치회 시범실시 (2013)", True]]  # 순천시: one 0/1 flag
    assert sum(len(p["loo"]) for p in by_code.values()) == sum(changed.values())
    axis = data["axes"][0]
    assert axis["name"] == "사회 축"
    # The popup carries what a reader of one region needs, derived from the run's own audit: the axis's
    # α (and ω), one sentence per confounder and per declared criterion, each dimension's α; the
    # item-level rows stay in the report.
    table = default_run.tables["validity"]
    about = table[table["target"] == "axis:society"]
    confounders = int((about["measure"] == "confounder").sum())
    declared = int(((about["measure"] == "convergent") & (about["statistic"] == "spearman_rho")).sum())
    notes = [n[0] for n in axis["notes"]]
    assert sum("설명되는 차이" in n for n in notes) == confounders
    assert sum(n.startswith("수렴 타당성") for n in notes) == declared >= 1
    assert any("크론바흐 α" in n and n.startswith("내적 일관성") for n in notes)
    assert not any("부분" in n or "나머지" in n for n in notes)  # no partial ρ, no item-rest r
    assert len(notes) < 20


def test_axis_findings_read_every_measure_about_an_axis(default_run):
    from typology.render.validity_words import Names, axis_findings

    table = pd.concat([default_run.tables["validity"], pd.DataFrame([
        {"measure": "coherence", "target": "civic", "against": "", "statistic": "cronbach_alpha", "value": 0.61,
             "n": 228,
         "flag": "", "detail": ""},
        {"measure": "new_measure", "target": "axis:society", "against": "sido", "statistic": "kappa", "value": 0.5,
         "n": 228, "flag": "", "detail": ""}])], ignore_index=True)
    notes = axis_findings(table, "society", Names.of(default_run), ("civic", "institution"))
    ko = [n[0] for n in notes]
    assert "시민참여기반 내적 일관성: 크론바흐 α = 0.610" in ko
    assert "new_measure · 시도: kappa = 0.500" in ko
    assert not any("axis:" in n[0] or "eta2" in n[0] for n in notes)


def test_type_note_names_the_incoherent_axis(page, default_run):
    """Beside the type: a note exactly for the types whose rule rests on an axis below the α threshold."""
    from typology.render.validity_notes import failing_axes

    failing = failing_axes(default_run.tables["validity"])
    for f in map_data(page)["units"]["features"]:
        p = f["properties"]
        if failing and p["t"] != default_run.config["typology"]["unclassified"]["name_ko"]:
            assert all(f"α = {a:.2f}" in p["tn"] for a in failing.values()) and p["tn"].startswith("주의")
        else:
            assert p["tn"] == ""


@pytest.mark.parametrize("query", ["중구", "suncheon", "전주", "서울 중구", "강원 고성", "11010", "광역시 동구"])
def test_map_search_text_is_the_region_index_s(page, query):
    # One home for name matching: the page's search box filters on property q (map.js), which must be
    # regions.search_text, so the box lists exactly what Results.region()'s search finds.
    from typology.data.regions import default_index, search_text

    features = [f["properties"] for f in map_data(page)["units"]["features"]]
    for p in features:
        assert p["q"] == search_text(p["n"], p["s"], p["ne"], p["c"])
    terms = query.lower().split()
    in_page = {p["c"] for p in features if all(t in p["q"] for t in terms)}
    assert in_page and in_page == set(default_index().search(query))
    script = (Path(__file__).parents[1] / "typology" / "render" / "templates" / "map.js").read_text(encoding="utf-8")
    assert "p.ne + \" \" + p.c" not in script and "key: f.properties.q" in script
