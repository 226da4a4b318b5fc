"""The faster code paths give the numbers and bytes of the plain ones they replace.

- the rules bootstrap refits with numpy (``rules.thresholds_of``, ``rules.first_match``)
  instead of a RuleTypology per replicate;
- ``write_run`` has the static maps drawn in a second process while it writes the other files;
- ``score_frame`` scores any frame with the same steps as the run.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typology.core.catalog import DIMENSIONS
from typology.scoring.score import score_frame
from typology.typologies.classify import classify
from typology.typologies.rules import Condition, rule_model, thresholds_of
from typology.typologies.stability import bootstrap

from .typology_synth import CATALOG, typology

CONDITIONS = [">= mean", "< mean", "> median", "<= median + 0.25", ">= mean - 0.1", "< 0.3"]


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.floats(-5, 5, allow_nan=False), st.just(float("nan"))), min_size=1, max_size=40),
       condition=st.sampled_from(CONDITIONS))
def test_thresholds_of_equals_the_pandas_threshold(values, condition):
    c = Condition.parse("society", condition, "test")
    series = pd.Series(values, dtype=float).dropna()
    expected = c.threshold(series)  # NaN when nothing is observed, unless the threshold is absolute
    got = float(thresholds_of([[c]], {"society": np.array(values, dtype=float)})[0][0])
    assert (np.isnan(expected) and np.isnan(got)) or got == expected  # the same float, not approximately


def _slow_refit(sample: pd.DataFrame, spec: dict, axes: pd.DataFrame):
    """The bootstrap refit as it was: a RuleTypology fitted on every replicate."""
    def refit(positions):
        drawn = sample.iloc[positions]
        model = rule_model(spec).fit(drawn)
        codes = pd.Index(sorted(set(drawn.index)))
        keys = model.assign(axes.loc[codes])
        return pd.DataFrame({"group": keys, "type": keys}, index=codes)
    return refit


@pytest.mark.parametrize("when", [{"society": ">= mean"}, {"society": "> median + 0.1", "resource": "< mean"}])
def test_rules_bootstrap_equals_refitting_a_rule_typology(default_run, when):
    spec = {**default_run.config["typology"], "bootstrap": {"n": 40, "unstable_below": 0.7}}
    spec["types"] = [{**spec["types"][0], "when": when}, *spec["types"][1:]]
    scores = default_run.scores[list(DIMENSIONS)].sort_index()
    scores.iloc[3, 1] = np.nan  # a unit without a civic score: no society axis, so unclassified
    out = classify(scores, spec, default_run.catalog)
    typed = out.typed[out.typed["type"] != spec["unclassified"]["key"]]
    sample = scores.loc[typed.index]
    slow = bootstrap(typed["type"], typed["type"], _slow_refit(sample, spec, rule_model(spec).axis_scores(sample)),
                     40, spec["seed"])
    np.testing.assert_array_equal(out.typed.loc[typed.index, "type_stability"].to_numpy(),
                                  slow.probability.reindex(typed.index).round(4).to_numpy())
    stability = out.tables["stability"]
    assert len(stability) and stability["jaccard"].notna().all()


def test_rules_bootstrap_with_missing_axes_on_synthetic_units():
    # Synthetic: a unit missing an axis that only the second type needs is still drawn.
    rng = np.random.default_rng(3)
    scores = pd.DataFrame(rng.normal(size=(30, 4)), columns=list(DIMENSIONS),
                          index=pd.Index([f"{20000 + i}" for i in range(30)], name="code"))
    scores.iloc[0, 0] = np.nan  # economy → no resource axis
    spec = typology("rules", bootstrap={"n": 25, "unstable_below": 0.7})
    spec["types"] = [{"key": "a", "name_ko": "가", "name_en": "A", "when": {"society": ">= median"}},
                     {"key": "b", "name_ko": "나", "name_en": "B", "when": {"resource": ">= mean"}},
                     {"key": "c", "name_ko": "다", "name_en": "C", "when": {}}]
    out = classify(scores, spec, CATALOG)
    typed = out.typed[out.typed["type"] != spec["unclassified"]["key"]]
    sample = scores.loc[typed.index]
    slow = bootstrap(typed["type"], typed["type"], _slow_refit(sample, spec, rule_model(spec).axis_scores(sample)),
                     25, spec["seed"])
    np.testing.assert_array_equal(out.typed.loc[typed.index, "type_stability"].to_numpy(),
                                  slow.probability.reindex(typed.index).round(4).to_numpy())


def test_static_maps_from_the_run_folder_are_the_directly_drawn_bytes(default_run, tmp_path):
    from typology.data.geometry import attach, load_unit_geometry
    from typology.render.layers import build_layers
    from typology.render.static_maps import frame_for, render_static_maps
    from typology.render.webmap import dimension_names
    from typology.workflow.outputs import write_run

    table = default_run.table()
    layers = build_layers(table, default_run.settings, dimension_names(default_run))
    here = render_static_maps(frame_for(attach(table, load_unit_geometry())), layers, default_run.config, dpi=80)
    small = dataclasses.replace(default_run, config={**default_run.config, "output": {
        **default_run.config["output"], "static_dpi": 80, "report": False, "xlsx": False}})
    folder = write_run(small, tmp_path / "run")
    assert set(here) == {"map_type.png", "map_dimensions.png", "maps.pdf"}
    for name, data in here.items():
        assert (folder / name).read_bytes() == data, name


def test_score_frame_reproduces_the_run(default_run):
    dimension_of = {i.key: i.dimension for i in default_run.indicators}
    directions = {i.key: i.direction for i in default_run.indicators}
    # the default adjusts staff per resident for log population, one of the run's unit attributes
    context = default_run.tables["unit_attributes"].set_index("code")
    levels = {i.key: i.level for i in default_run.indicators}
    scored = score_frame(default_run.raw, dimension_of, directions, default_run.config["scoring"], context=context,
                         levels=levels)
    pd.testing.assert_frame_equal(scored.scores, default_run.scores)


def test_score_frame_takes_any_dimension_names():
    # Hand-checked, synthetic: min-max to [0, 100], equal weights, arithmetic means.
    frame = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [2.0, 1.0, 0.0], "c": [1.0, 2.0, 3.0]},
                         index=["x", "y", "z"])
    scoring = {"impute": {"method": "none"}, "treat": {"method": "none"},
               "normalise": {"method": "minmax", "range": [0, 100]}, "weights": {"method": "equal"},
               "aggregate": {"method": "arithmetic"}, "composite": {"method": "arithmetic"}, "min_share": 0.5}
    scored = score_frame(frame, {"a": "left", "b": "left", "c": "right"}, {"b": -1}, scoring)
    assert list(scored.scores.columns) == ["left", "right", "composite"]
    assert scored.scores["left"].tolist() == [0.0, 50.0, 100.0]  # a and reversed b agree
    assert scored.scores["right"].tolist() == [0.0, 50.0, 100.0]
    assert scored.scores["composite"].tolist() == [0.0, 50.0, 100.0]


def test_score_frame_names_a_missing_column():
    from typology.errors import TypologyError

    with pytest.raises(TypologyError, match="lacks: \\['nope'\\]"):
        score_frame(pd.DataFrame({"a": [1.0, 2.0]}), {"a": "d", "nope": "d"})


def test_the_runs_scores_follow_from_its_normalised_indicators_by_hand(default_run):
    # Recomputed outside the package from the run's own normalised values and weights: a dimension
    # is the weighted mean over the indicators a unit has, its weights rescaled to what is observed,
    # given only when the observed weight reaches min_share; the composite weighs the four dimensions.
    z, w = default_run.normalised, default_run.weights
    min_share = float(default_run.config["scoring"]["min_share"])
    partly = 0
    for dim in DIMENSIONS:
        keys = [i.key for i in default_run.indicators if i.dimension == dim]
        observed = z[keys].notna() * w[keys]
        by_hand = (z[keys].fillna(0) * w[keys]).sum(axis=1) / observed.sum(axis=1)
        by_hand = by_hand.where(observed.sum(axis=1) / w[keys].sum() >= min_share - 1e-12)
        pd.testing.assert_series_equal(by_hand, default_run.scores[dim], check_names=False, atol=1e-12)
        partly += int((z[keys].isna().any(axis=1) & by_hand.notna()).sum())
    assert partly > 0  # the rescaling to the observed weight is exercised, not only complete rows
    dim_w = next(s for s in default_run.steps if s["step"] == "weight")["dimensions"]
    composite = sum(default_run.scores[d] * float(dim_w[d]) for d in DIMENSIONS) / sum(map(float, dim_w.values()))
    pd.testing.assert_series_equal(composite, default_run.scores["composite"], check_names=False, atol=1e-12)


def test_every_file_of_the_run_folder_is_the_same_twice(default_run, tmp_path):
    # The maps, report and workbook are compared in test_outputs; here the rest, scores.gpkg included.
    from typology.workflow.outputs import write_run

    lean = dataclasses.replace(default_run, config={**default_run.config, "output": {
        **default_run.config["output"], "static_maps": False, "report": False, "xlsx": False}})
    a, b = write_run(lean, tmp_path / "a"), write_run(lean, tmp_path / "b")
    names = sorted(p.name for p in a.iterdir())
    assert "scores.gpkg" in names and names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_map_geometry_is_what_geos_geojson_gives():
    # map.html's geometry is built from coordinate arrays instead of parsing shapely.to_geojson per
    # unit: the same JSON text, bundled shapes and odd ones (a hole, several parts, empty).
    import json

    import geopandas as gpd
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    from typology.data.geometry import load_sido_geometry, load_unit_geometry
    from typology.render.webmap import COORD_DECIMALS, _rounded

    odd = gpd.GeoSeries([Polygon([(0, 0), (3, 0), (3, 3.123456), (0, 0)], [[(1, 1), (2, 1), (2, 2), (1, 1)]]),
                         MultiPolygon([Polygon([(0, 0), (1, 0), (1, 1)]), Polygon([(5, 5), (6, 5), (6, 6.99999)])]),
                         Polygon()])
    for geometry in (load_unit_geometry().geometry, load_sido_geometry().geometry, odd):
        rounded = shapely.transform(geometry.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS))
        plain = [json.loads(shapely.to_geojson(g)) for g in rounded]
        assert json.dumps(_rounded(geometry)) == json.dumps(plain)
