"""Data choices in typology uncertainty: other vintages of an indicator, one indicator left out,
and the stable share under processing choices alone vs processing plus data choices (bundled data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli
from tests.test_uncertainty import SMALL, csv, fixed, variant
from typology import TypologyError
from typology.core.catalog import DIMENSIONS
from typology.data.transform import YearPolicy, compute_indicators
from typology.data.units import matcher
from typology.scoring.score import score
from typology.typologies.rules import rule_model
from typology.uncertainty.alternatives import plan
from typology.uncertainty.analysis import analyse
from typology.uncertainty.datachoices import exclusion_weights, vintage_levels
from typology.uncertainty.design import DISCRETE
from typology.uncertainty.montecarlo import evaluate, prepare

VINTAGES = {"local_election_turnout": [2014, 2018, 2022]}


def _prep(result):
    p, raws = vintage_levels(plan(result.config, None), result)
    groups = result.units.set_index("code")["sido_code"]
    context = result.tables["unit_attributes"].set_index("code")
    return p, raws, prepare(p, result.config, raws, result.indicators, groups, result.scores, context)


def _rule_types(result, raw, indicators):
    groups = result.units.set_index("code")["sido_code"]
    context = result.tables["unit_attributes"].set_index("code")
    scoring = result.config["scoring"]
    if "staff_per_1000" not in raw.columns:
        scoring = {**scoring, "adjust": {"covariates": [], "indicators": []}}
    dims = score(raw[[i.key for i in indicators]], indicators, scoring, groups=groups,
                 context=context).scores[list(DIMENSIONS)]
    rules = rule_model(result.config["typology"]).fit(dims)
    return rules.assign(rules.axis_scores(dims))


def test_vintage_levels_read_each_year_and_keep_the_run_as_level_zero(default_run):
    result = fixed(default_run)
    result.config["uncertainty"]["vintages"] = VINTAGES
    p, raws, _ = _prep(result)
    # 2022 is the run's own year (nearest 2020, the later on a tie): not drawn twice.
    assert p.vintage == ["nominal (local_election_turnout@2022)", "local_election_turnout@2014",
                         "local_election_turnout@2018"]
    assert raws[0] is result.raw and p.active() == ["vintage"]
    from typology import paths
    from typology.data.load import load_tables
    variables = load_tables(result.config, result.catalog, matcher(), paths.VARIABLES).variables
    turnout = [i for i in result.indicators if i.key == "local_election_turnout"]
    expected = compute_indicators(variables, turnout, result.raw.index, YearPolicy(reference_year=2014))[0]
    assert np.allclose(raws[1]["local_election_turnout"], expected["local_election_turnout"], equal_nan=True)
    assert not np.allclose(raws[1]["local_election_turnout"], result.raw["local_election_turnout"])
    others = [c for c in result.raw.columns if c != "local_election_turnout"]
    assert raws[2][others].equals(result.raw[others])


def test_a_vintage_replicate_at_nominal_processing_types_as_scoring_that_years_data(default_run):
    result = fixed(default_run)
    result.config["uncertainty"]["vintages"] = VINTAGES
    p, raws, prep = _prep(result)
    from typology.uncertainty.design import Design
    choice = np.zeros((len(p.vintage), len(DISCRETE)), dtype=np.int64)
    choice[:, DISCRETE.index("vintage")] = np.arange(len(p.vintage))
    out = evaluate(prep, Design(choice))
    keys = np.array(prep.typing.type_keys)
    for level, raw in enumerate(raws):
        assert (keys[out.types[level]] == _rule_types(result, raw, result.indicators)).all()
    assert (keys[out.types[1]] != keys[out.types[0]]).sum() > 0  # 2014 turnout moves some types


def test_leaving_one_indicator_out_is_scoring_without_it(default_run):
    result = fixed(default_run)
    result.config["uncertainty"]["exclude_indicators"] = True
    p, raws, prep = _prep(result)
    assert p.exclude == [i.key for i in result.indicators]  # every dimension has two or more
    from typology.uncertainty.design import Design
    levels = 1 + len(p.exclude)
    choice = np.zeros((levels, len(DISCRETE)), dtype=np.int64)
    choice[:, DISCRETE.index("exclude")] = np.arange(levels)
    out = evaluate(prep, Design(choice))
    keys = np.array(prep.typing.type_keys)
    nominal = result.typed.reindex(prep.codes)["type"].to_numpy()
    assert (keys[out.types[0]] == nominal).all()
    for e, key in enumerate(p.exclude, start=1):
        others = [i for i in result.indicators if i.key != key]
        assert (keys[out.types[e]] == _rule_types(result, raws[0], others)).all(), key
        if key in ("grdp_per_capita", "fiscal_independence"):  # the resource axis decides no type
            assert (keys[out.types[e]] == nominal).all()


def test_exclusion_weights_rescale_the_dimension_only():
    W = np.array([[0.5, 0.5, 0.2, 0.8]])
    out = exclusion_weights(W, 0, [np.array([0, 1]), np.array([2, 3])])
    assert out.tolist() == [[0.0, 1.0, 0.2, 0.8]]
    assert exclusion_weights(W, None, [np.array([0, 1])]) is W


def test_processing_alone_is_the_same_replicates_without_the_data_choices(default_run):
    spec = {**SMALL, "vintages": VINTAGES, "exclude_indicators": True}
    both = analyse(variant(default_run, spec))
    alone = analyse(variant(default_run, SMALL))
    regions = both.regions
    # The data factors are drawn after every other: the processing draws are the same replicates.
    assert regions["type_probability_processing"].tolist() == alone.regions["type_probability"].tolist()
    assert regions["type_stable_processing"].sum() >= regions["type_stable"].sum() - 5
    assert set(both.sensitivity["factor"]) >= {"vintage", "exclude"}
    data = both.data.set_index(["factor", "level"])
    assert data.loc["exclude", "replicates"].sum() == SMALL["n"] == data.loc["vintage", "replicates"].sum()
    assert {"vintage", "exclude"} <= set(both.replicates.columns)
    assert "vintage" not in alone.replicates.columns and alone.data is None
    again = analyse(variant(default_run, spec))
    assert csv(again.regions) == csv(regions) and csv(again.data) == csv(both.data)


@pytest.mark.parametrize(("spec", "fragment"), [
    ({"vintages": {"local_election_turnout": [2010]}}, "vintages.local_election_turnout: no data for 2010"),
    ({"vintages": {"early_voting_rate": [2018]}}, "vintages.early_voting_rate: not an indicator of this run"),
    ({"vintages": {"local_election_turnout": [2018, 2018]}}, "a year is listed twice"),
])
def test_bad_vintages_are_one_line_errors(default_run, spec, fragment):
    with pytest.raises(TypologyError, match=fragment):
        analyse(variant(default_run, {**SMALL, **spec}))


def test_cli_reports_both_stable_shares(tmp_path):
    out = tmp_path / "unc"
    result = run_cli("uncertainty", "configs/default.yaml", "--n", "40", "--backend", "sequential",
                     "--set", "uncertainty.vintages={local_election_turnout: [2018, 2022]}",
                     "--set", "uncertainty.exclude_indicators=true", "--set", "output.static_maps=false",
                     "--set", "output.xlsx=false", "--set", "validation.leave_one_out=false", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "stable under processing choices alone:" in result.stdout
    table = pd.read_csv(out / "uncertainty_data.csv", encoding="utf-8-sig")
    assert set(table["factor"]) == {"vintage", "exclude"}
    assert "type_stable_processing" in pd.read_csv(out / "uncertainty.csv", encoding="utf-8-sig").columns
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "처리 선택만" in report and "processing plus data choices" in report
