"""typology uncertainty on the bundled real data: reproducibility, the tables' properties, agreement with
the nominal run, the engine's vectorised parts against the pipeline's own, and bad alternatives."""

from __future__ import annotations

import copy
import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests.conftest import run_cli
from typology import TypologyError
from typology.core.catalog import DIMENSIONS
from typology.core.ranks import rank_rows
from typology.render.uncertainty_report import attach
from typology.typologies.rules import first_match, rule_model, thresholds_of
from typology.uncertainty.alternatives import plan
from typology.uncertainty.analysis import analyse
from typology.uncertainty.design import Design, draw
from typology.uncertainty.montecarlo import axis_rows, dirichlet_weights, evaluate, prepare

SMALL = {"n": 60, "backend": "sequential"}


def variant(result, uncertainty=None, **sections):
    """The nominal run with other config values (no rerun: the analysis reads raw values and scores)."""
    config = copy.deepcopy(result.config)
    config["uncertainty"].update(uncertainty or {})
    for key, value in sections.items():
        config[key].update(value)
    return dataclasses.replace(result, config=config, tables=dict(result.tables), figures=dict(result.figures),
                               sections=list(result.sections), steps=list(result.steps), typed=result.typed.copy())


def csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, float_format="%.10g", lineterminator="\n")


@pytest.fixture(scope="module")
def small(default_run):
    return analyse(variant(default_run, SMALL))


def test_same_seed_same_tables_other_seed_other_draws(default_run, small):
    again = analyse(variant(default_run, SMALL))
    for name in ("regions", "sensitivity", "replicates"):
        assert csv(getattr(small, name)) == csv(getattr(again, name))
    other = analyse(variant(default_run, {**SMALL, "seed": 1}))
    assert csv(other.replicates) != csv(small.replicates)


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_every_backend_gives_the_sequential_tables(default_run, small, backend):
    out = analyse(variant(default_run, {**SMALL, "backend": backend, "n_jobs": 2}))
    for name in ("regions", "sensitivity", "replicates"):
        assert csv(getattr(out, name)) == csv(getattr(small, name))


def test_every_region_has_an_ordered_rank_interval(default_run, small):
    regions = small.regions
    assert sorted(regions["code"]) == sorted(default_run.units["code"])
    ranked = regions.dropna(subset=["rank_median"])
    assert len(ranked) == default_run.scores["composite"].notna().sum()
    assert (ranked["rank_p05"] <= ranked["rank_median"]).all()
    assert (ranked["rank_median"] <= ranked["rank_p95"]).all()
    assert (ranked["rank_interval"] == ranked["rank_p95"] - ranked["rank_p05"]).all()
    assert ranked["rank_p05"].min() >= 1 and ranked["rank_p95"].max() <= len(ranked)
    assert (regions["replicates_ranked"] == SMALL["n"]).all()


def test_type_probabilities_sum_to_one_and_name_the_nominal_type(default_run, small):
    regions = small.regions
    probs = regions[[f"p_{k}" for k in small.type_keys]]
    assert np.allclose(probs.sum(axis=1), 1.0, atol=2e-4)  # rounded to 4 decimals
    nominal = default_run.typed.reindex(regions["code"])["type"].to_numpy()
    assert (regions["type"].to_numpy() == nominal).all()
    picked = [regions.at[i, f"p_{t}"] for i, t in zip(regions.index, regions["type"])]
    assert regions["type_probability"].tolist() == picked
    assert (regions["modal_probability"] >= regions["type_probability"]).all()
    assert (regions["type_stable"] == (regions["type_probability"] >= 0.9)).all()


def test_replicate_table_records_each_draw(small, default_run):
    reps = small.replicates
    assert len(reps) == SMALL["n"]
    assert set(reps["normalise"]) <= {"zscore", "minmax", "percentile"}
    weights = reps[[f"w_{i.key}" for i in default_run.indicators]]
    for dim in DIMENSIONS:
        keys = [f"w_{i.key}" for i in default_run.indicators if i.dimension == dim]
        assert np.allclose(weights[keys].sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(reps[[f"w_{d}" for d in DIMENSIONS]].sum(axis=1), 1.0, atol=1e-5)
    counts = reps[[f"n_{k}" for k in small.type_keys]].sum(axis=1)
    assert (counts == len(default_run.units)).all()


def test_dimension_weights_cannot_move_rule_types(small):
    # The rules read unweighted axes, so dimension weights move ranks only: exactly 0 for types.
    row = small.sensitivity.set_index("factor").loc["weights_dimensions"]
    assert row["type_first_order"] == 0 and row["type_total"] == 0 and row["regions_type_changed"] == 0
    assert row["rank_total"] > 0


def fixed(result, method="rules", k=None):
    """A plan whose every alternative is the nominal choice, without weight noise."""
    spec = {**SMALL, "impute": None, "treat": None, "normalise": None, "aggregate": None, "composite": None,
            "typology": None, "k": None, "weights": {"concentration": None}}
    typology = {"method": method, "bootstrap": {"n": 0}} | ({"k": k} if k else {})
    return variant(result, spec, typology=typology)


def _prepared(result, nominal_k=None):
    p = plan(result.config, nominal_k)
    groups = result.units.set_index("code")["sido_code"]
    context = result.tables["unit_attributes"].set_index("code")
    return p, prepare(p, result.config, result.raw, result.indicators, groups, result.scores, context)


def test_a_replicate_of_the_nominal_choices_is_the_nominal_run(default_run):
    result = fixed(default_run)
    p, prep = _prepared(result)
    assert p.active() == []
    out = evaluate(prep, draw(p, 3, len(prep.indicators), len(DIMENSIONS), np.random.default_rng(0)))
    table = default_run.table().set_index("code").reindex(prep.codes)
    assert (out.ranks == table["composite_rank"].to_numpy(dtype=float)).all()
    keys = np.array(prep.typing.type_keys)
    assert (keys[out.types] == table["type"].to_numpy()).all()
    regions = analyse(result).regions
    assert (regions["type_probability"] == 1).all()
    assert (regions["rank_median"] == regions["composite_rank"]).all() and (regions["rank_interval"] == 0).all()


def test_a_kmeans_replicate_is_the_kmeans_run(default_config):
    from typology import run

    config = copy.deepcopy(default_config)
    config["typology"].update(method="kmeans", k=3, bootstrap={**config["typology"]["bootstrap"], "n": 0})
    config["validation"]["leave_one_out"] = False  # not what this test is about, and it refits k-means
    result = run(config)
    p, prep = _prepared(fixed(result, "kmeans", 3), 3)
    out = evaluate(prep, draw(p, 2, len(prep.indicators), len(DIMENSIONS), np.random.default_rng(0)))
    keys = np.array(prep.typing.type_keys)
    assert (keys[out.types[0]] == result.typed.reindex(prep.codes)["type"].to_numpy()).all()


def test_rule_typing_in_numpy_matches_the_rules(default_run, default_config):
    typology = default_config["typology"]
    _, prep = _prepared(fixed(default_run))
    scores = default_run.scores[list(DIMENSIONS)]
    expected = rule_model(typology).fit(scores).predict(scores)["type"].to_numpy()
    axes = axis_rows(scores.to_numpy()[None], prep.typing)
    got = first_match(prep.typing.conditions, axes, thresholds_of(prep.typing.conditions, axes))[0]
    assert (np.array(prep.typing.type_keys)[got] == expected).all()


@pytest.fixture(scope="module")
def three_types(default_run):
    """Rules with three types and mean, median and absolute thresholds, and the engine's form of them."""
    typology = copy.deepcopy(default_run.config["typology"])
    typology["types"][0]["when"] = {"society": ">= median - 0.25", "resource": "< mean"}
    typology["types"].insert(1, {"key": "third", "name_ko": "셋", "name_en": "Third", "when": {"resource": ">= 0"}})
    _, prep = _prepared(fixed(variant(default_run, typology=typology)))
    return lambda: (typology, prep.typing)  # a function: hypothesis shows no large repr on failure


# Values drawn from a few numbers too, so that units tie with each other and with the thresholds.
SCORE_VALUES = st.one_of(st.floats(-3, 3), st.sampled_from([-1.0, 0.1, 1 / 3, 2.0]), st.just(np.nan))


@settings(max_examples=80, deadline=None)
@given(values=arrays(float, (30, 4), elements=SCORE_VALUES))
def test_rule_typing_in_numpy_matches_the_rules_on_random_scores(three_types, values):
    typology, typing = three_types()
    scores = pd.DataFrame(values, columns=list(DIMENSIONS), index=[f"{i:05d}" for i in range(30)])
    model = rule_model(typology).fit(scores)
    if any(np.isnan(t) for ts in model.thresholds_ for t in ts):
        return  # an axis missing everywhere: the rules have no threshold either
    expected = model.predict(scores)["type"].to_numpy()
    prep = type("P", (), {"typing": typing})
    axes = axis_rows(values[None], prep.typing)
    got = first_match(prep.typing.conditions, axes, thresholds_of(prep.typing.conditions, axes))[0]
    assert (np.array(prep.typing.type_keys)[got] == expected).all()


@settings(max_examples=80, deadline=None)
@given(arrays(float, (3, 12), elements=st.one_of(st.sampled_from([0.0, 1.0, 2.5, -1.0]), st.just(np.nan),
                                                  st.floats(-5, 5))))
def test_rank_rows_is_pandas_min_rank(values):
    expected = pd.DataFrame(values).rank(axis=1, ascending=False, method="min").to_numpy()
    np.testing.assert_array_equal(rank_rows(values), expected)


def test_dirichlet_weights_centre_on_the_nominal_weights():
    nominal = np.array([0.5, 0.25, 0.25, 1.0, 0.0])
    groups = [np.array([0, 1, 2]), np.array([3]), np.array([4])]
    u = np.random.default_rng(0).random((20000, 5))
    w = dirichlet_weights(nominal, u, groups, 50.0)
    assert np.allclose(w[:, :3].sum(axis=1), 1.0) and (w[:, 3] == 1.0).all() and (w[:, 4] == 0.0).all()
    assert w[:, :3].mean(axis=0) == pytest.approx([0.5, 0.25, 0.25], abs=0.005)
    # Dirichlet SD: sqrt(w (1 - w) / (c + 1))
    assert w[:, 0].std() == pytest.approx(np.sqrt(0.25 / 51), rel=0.05)
    assert (dirichlet_weights(nominal, None, groups, 50.0) == nominal).all()


def test_design_mix_swaps_one_factor_only(default_run):
    p = plan(variant(default_run, SMALL).config)
    rng = np.random.default_rng(0)
    A, B = (draw(p, 50, 11, 4, rng) for _ in range(2))
    mixed = A.mix(B, "normalise")
    col = 2
    assert (mixed.choice[:, col] == B.choice[:, col]).all()
    assert (np.delete(mixed.choice, col, axis=1) == np.delete(A.choice, col, axis=1)).all()
    assert (mixed.u_ind == A.u_ind).all() and (mixed.u_dim == A.u_dim).all()
    weights = A.mix(B, "weights_indicators")
    assert (weights.u_ind == B.u_ind).all() and (weights.choice == A.choice).all()
    assert len(Design.concat([A, mixed])) == 100


@pytest.mark.parametrize(("override", "key", "listed"), [
    ("uncertainty.normalise=[zscore,bogus]", "uncertainty.normalise[1]", "minmax"),
    ("uncertainty.typology=[rules,kmeanz]", "uncertainty.typology[1]", "kmeans"),
    ("uncertainty.impute=[{method: mean, k: 3, colour: red}]", "uncertainty.impute[0]", "seed"),
    ("uncertainty.backend=spark", "uncertainty.backend", "dask"),
])
def test_invalid_alternative_is_one_line_with_the_choices(tmp_path, override, key, listed):
    proc = run_cli("uncertainty", "--n", "4", "--out", str(tmp_path / "out"), "--set", override)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert key in lines[0] and listed in lines[0]
    assert not (tmp_path / "out").exists()


def test_geometric_with_zscore_is_refused_up_front(default_run):
    result = variant(default_run, {**SMALL, "aggregate": ["arithmetic", "geometric"]})
    with pytest.raises(TypologyError, match=r"uncertainty.aggregate\[1\].*uncertainty.normalise\[0\] \(zscore\)"):
        analyse(result)
    ok = variant(default_run, {**SMALL, "aggregate": ["arithmetic", "geometric"], "n": 20,
                               "normalise": ["percentile", {"method": "minmax", "range": [1, 100]}]})
    out = analyse(ok)
    assert set(out.replicates["aggregate"]) == {"arithmetic", "geometric"}
    assert set(out.replicates["normalise"]) == {"percentile", "minmax(range=[1, 100])"}


def test_bad_numbers_name_their_key(default_run):
    for spec, key in [({"n": 1}, "uncertainty.n"), ({"interval": [95, 5]}, "uncertainty.interval"),
                      ({"weights": {"concentration": -1}}, "uncertainty.weights.concentration"),
                      ({"sensitivity": {"n": 40}}, "uncertainty.sensitivity.n"),
                      ({"k": [1]}, "uncertainty.k"), ({"scheduler": "tcp://x:1"}, "uncertainty.scheduler")]:
        with pytest.raises(TypologyError, match=re.escape(key)):
            analyse(variant(default_run, {**SMALL, **spec}))


def test_cluster_alternatives_draw_k(default_run):
    out = analyse(variant(default_run, {**SMALL, "n": 24, "typology": ["rules", "ward"], "k": [2, 3]}))
    reps = out.replicates
    assert set(reps["typology"]) == {"rules", "ward"}
    assert set(reps.loc[reps["typology"] == "ward", "k"]) == {"2", "3"}
    assert (reps.loc[reps["typology"] == "rules", "k"] == "").all()
    assert {"typology", "k"} <= set(out.sensitivity["factor"])


def test_cli_writes_the_analysis_into_the_run_folder(tmp_path):
    out = tmp_path / "unc"
    proc = run_cli("uncertainty", "--n", "40", "--backend", "sequential", "--out", str(out),
                   "--set", "output.static_maps=false", "--set", "output.xlsx=false")
    assert proc.returncode == 0, proc.stderr
    assert "40 replicates" in proc.stdout and "moves ranks most" in proc.stdout
    assert proc.stdout.startswith("method: rules")  # the nominal run's summary comes first
    for name in ("uncertainty.csv", "sensitivity.csv", "uncertainty_replicates.csv", "rank_intervals.png",
                 "sensitivity.png", "scores.csv", "report.html", "map.html"):
        assert (out / name).is_file(), name
    regions = pd.read_csv(out / "uncertainty.csv", dtype={"code": str}, encoding="utf-8-sig")
    scores = pd.read_csv(out / "scores.csv", dtype={"code": str}, encoding="utf-8-sig")
    merged = scores.merge(regions, on="code")
    assert (merged["mc_type_probability"] == merged["type_probability"]).all()
    assert len(merged) == 228
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="section-uncertainty"' in report and "rank_intervals" in report
    page = (out / "map.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script id="typology-data" type="application/json">(.*?)</script>', page,
                                re.S).group(1))
    layer = next(x for x in data["layers"] if x["key"] == "type_probability")
    assert sum(layer["counts"]) + layer["missing"] == 228
    stable = int(regions["type_stable"].sum())
    assert sum(layer["counts"][-2:]) == stable  # the two classes from 90% up are the stable regions
    step = next(s for s in json.loads((out / "manifest.json").read_text())["steps"] if s["step"] == "uncertainty")
    assert step["n"] == 40 and step["stable_regions"] == stable
    # Another process, from the manifest: the same tables, byte for byte.
    again = run_cli("rebuild", str(out / "manifest.json"), "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr
    for name in ("uncertainty.csv", "sensitivity.csv", "uncertainty_replicates.csv", "scores.csv"):
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def test_attach_adds_columns_layer_and_section(default_run, small):
    result = attach(variant(default_run), small)
    table = result.table()
    assert {"mc_type_probability", "mc_type_stable", "mc_rank_median", "mc_rank_p05", "mc_rank_p95"} <= set(table)
    assert result.sections[-1].key == "uncertainty"
    assert result.figures["rank_intervals"].startswith(b"\x89PNG")
    assert "uncertainty" not in default_run.tables  # the nominal run is untouched


def test_rows_that_repeat_a_run_are_copies_of_it(default_run):
    from typology.uncertainty.analysis import _copies

    result = variant(default_run, {**SMALL, "n": 40, "typology": ["rules", "ward"], "k": [2, 3]})
    p, prep = _prepared(result)
    base = draw(p, p.n, len(prep.indicators), len(DIMENSIONS), np.random.default_rng(3))
    m = p.sensitivity_n
    A, B = base.take(slice(0, m)), base.take(slice(m, 2 * m))
    factors = p.active()
    design = Design.concat([base, *[A.mix(B, f) for f in factors]])
    source = _copies(p, factors, design, m)
    copied = np.flatnonzero(source != np.arange(len(design)))
    assert len(copied) > 0 and (source[copied] < m).all()  # copies point at rows of A
    every = evaluate(prep, design)  # every row run: the copies give what a run gives
    np.testing.assert_array_equal(every.types[copied], every.types[source[copied]])
    np.testing.assert_array_equal(every.ranks[copied], every.ranks[source[copied]])
