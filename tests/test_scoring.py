"""Weights, aggregation and the whole scoring step on small hand-computed tables."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from typology.core.catalog import Indicator
from typology.core.config import DEFAULTS, SCHEMA, _defaults, _merge
from typology.errors import TypologyError
from typology.scoring.aggregate import AGGREGATORS, arithmetic, geometric, score_dimension
from typology.scoring.score import score
from typology.scoring.weights import WEIGHTINGS, first_component, indicator_weights

values = st.lists(st.floats(min_value=0.1, max_value=1e3, allow_nan=False), min_size=1, max_size=6)


def scoring(**blocks):
    """The scoring section of a config: schema defaults, then the given blocks."""
    base = _merge(_merge(_defaults(SCHEMA), DEFAULTS), {})["scoring"]
    return _merge(base, blocks)


def ind(key, dimension, direction=1):
    return Indicator(key, {"dimension": dimension, "direction": direction, "name_ko": key})


# Three units, five indicators across the four dimensions (synthetic, for hand computation).
RAW = pd.DataFrame({"e1": [0.0, 5.0, 10.0], "e2": [10.0, 0.0, 5.0], "c": [1.0, 2.0, 3.0],
                    "i": [3.0, 2.0, 1.0], "k": [2.0, 2.0, 4.0]}, index=pd.Index(["A", "B", "C"], name="code"))
CHOSEN = [ind("e1", "economy"), ind("e2", "economy", -1), ind("c", "civic"), ind("i", "institution"),
          ind("k", "capacity")]


def test_score_hand_case_minmax_equal_arithmetic():
    out = score(RAW, CHOSEN, scoring(normalise={"method": "minmax"}))
    # e1 → 0, 50, 100; e2 (direction −1) → 0, 100, 50; economy is their mean
    assert out.normalised["e2"].tolist() == [0.0, 100.0, 50.0]
    assert out.scores["economy"].tolist() == [0.0, 75.0, 75.0]
    assert out.scores["civic"].tolist() == [0.0, 50.0, 100.0]
    assert out.scores["institution"].tolist() == [100.0, 50.0, 0.0]
    assert out.scores["capacity"].tolist() == [0.0, 0.0, 100.0]
    assert out.scores["composite"].tolist() == [25.0, 43.75, 68.75]
    assert [s["step"] for s in out.steps] == ["impute", "treat", "normalise", "weight", "aggregate"]


def test_score_hand_case_explicit_weights():
    out = score(RAW, CHOSEN, scoring(normalise={"method": "minmax"},
                                     weights={"method": "explicit", "indicators": {"e1": 3, "e2": 1},
                                              "dimensions": {"economy": 2}}))
    assert out.weights[["e1", "e2"]].tolist() == [0.75, 0.25]
    assert out.scores["economy"].tolist() == [0.0, 62.5, 87.5]
    assert out.dimension_weights.tolist() == [0.4, 0.2, 0.2, 0.2]
    # composite of C: 0.4·87.5 + 0.2·(100 + 0 + 100)
    assert out.scores.at["C", "composite"] == pytest.approx(75.0)


def test_score_hand_case_geometric_on_a_positive_range():
    out = score(RAW, CHOSEN, scoring(normalise={"method": "minmax", "range": [1, 100]},
                                     aggregate={"method": "geometric"}, composite={"method": "geometric"}))
    # B: e1 = 50.5, e2 = 100 → economy √(50.5 · 100)
    assert out.scores.at["B", "economy"] == pytest.approx(np.sqrt(50.5 * 100))
    dims = out.scores.loc["B", ["economy", "civic", "institution", "capacity"]].to_numpy()
    assert out.scores.at["B", "composite"] == pytest.approx(np.prod(dims) ** 0.25)


def test_geometric_on_values_that_can_be_zero_stops_with_the_way_out():
    with pytest.raises(TypologyError, match=r"scoring.aggregate.method: geometric needs positive inputs.*"
                                            r"range=\[1,100\]"):
        score(RAW, CHOSEN, scoring(normalise={"method": "minmax"}, aggregate={"method": "geometric"}))
    with pytest.raises(TypologyError, match="scoring.composite.method: geometric needs positive inputs"):
        score(RAW, CHOSEN, scoring(composite={"method": "geometric"}))  # z-scores are negative


def test_pca_weights_hand_case():
    # a and b move together, c is uncorrelated with both: PC1 = (1, 1, 0)/√2, weights ½, ½, 0
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0], "c": [1.0, -1.0, -1.0, 1.0]})
    loadings, share, rows = first_component(frame)
    assert np.allclose(loadings.abs(), [2**-0.5, 2**-0.5, 0.0], atol=1e-12)
    assert share == pytest.approx(2 / 3) and rows == 4
    w = WEIGHTINGS.get("pca", "k")().fit(frame, {"a": "x", "b": "x", "c": "x"}, ["x"])
    assert np.allclose(w.indicator_weights_.to_numpy(), [0.5, 0.5, 0.0], atol=1e-12)
    assert w.details_["x"]["pc1_share"] == pytest.approx(2 / 3)


def test_pca_weights_are_squared_loadings_by_hand():
    # Unequal loadings, so that squared and absolute loadings give different weights. u, v are
    # orthogonal, centred; a = u, b = 2u + 1, c = u + √3·v, so corr(a, b) = 1 and
    # corr(a, c) = corr(b, c) = 1/√(1 + 3) = ½. The correlation matrix [[1, 1, ½], [1, 1, ½], [½, ½, 1]]
    # has PC1 ∝ (x, x, 1) with 2x + ½ = λx and x + 1 = λ, so λ = (3 + √3)/2 and x = (1 + √3)/2.
    # Squared: x² = (2 + √3)/2, weights x²/(2x² + 1) = (3 + √3)/12 for a and b, (3 − √3)/6 for c
    # (absolute loadings would give x/(2x + 1) = 0.3868 and 0.2265 instead).
    u, v = np.array([1.0, 1.0, -1.0, -1.0]), np.array([1.0, -1.0, 1.0, -1.0])
    frame = pd.DataFrame({"a": u, "b": 2 * u + 1, "c": u + np.sqrt(3) * v})
    loadings, share, rows = first_component(frame)
    x = (1 + np.sqrt(3)) / 2
    assert np.allclose(loadings, np.array([x, x, 1.0]) / np.sqrt(2 * x**2 + 1), atol=1e-12)
    assert share == pytest.approx((3 + np.sqrt(3)) / 6) and rows == 4  # λ / 3 indicators
    w = WEIGHTINGS.get("pca", "k")().fit(frame, {"a": "x", "b": "x", "c": "x"}, ["x"])
    expected = [(3 + np.sqrt(3)) / 12, (3 + np.sqrt(3)) / 12, (3 - np.sqrt(3)) / 6]
    assert w.indicator_weights_.tolist() == pytest.approx(expected, abs=1e-12)


def test_pca_weights_in_a_full_score_are_reported():
    out = score(RAW, CHOSEN, scoring(weights={"method": "pca"}))
    step = next(s for s in out.steps if s["step"] == "weight")
    assert set(step["pca"]) == {"economy", "civic", "institution", "capacity"}
    # two indicators weigh ½ each whatever their correlation (here 0.5): PC1 is (1, 1)/√2
    assert out.weights[["e1", "e2"]].tolist() == pytest.approx([0.5, 0.5])


def test_weight_mappings_the_method_does_not_use_are_errors():
    with pytest.raises(TypologyError, match="scoring.weights.indicators: given, but scoring.weights.method 'equal' "
                                            "does not use it; methods that do: explicit"):
        score(RAW, CHOSEN, scoring(weights={"method": "equal", "indicators": {"e1": 2}}))
    with pytest.raises(TypologyError, match="scoring.weights.indicators: given, but .* 'pca'"):
        score(RAW, CHOSEN, scoring(weights={"method": "pca", "indicators": {"e1": 2}}))
    with pytest.raises(TypologyError, match=r"scoring.weights.indicators: \['zz'\] are not indicators in use"):
        score(RAW, CHOSEN, scoring(weights={"method": "explicit", "indicators": {"zz": 2}}))
    with pytest.raises(TypologyError, match="scoring.weights.dimensions: weights given for"):
        score(RAW, CHOSEN, scoring(weights={"method": "explicit", "dimensions": {"culture": 2}}))
    with pytest.raises(TypologyError, match="scoring.weights.indicators.e1: expected a number"):
        score(RAW, CHOSEN, scoring(weights={"method": "explicit", "indicators": {"e1": "heavy"}}))


@pytest.mark.parametrize(("block", "key", "choices"), [
    ("impute", "scoring.impute.method", "group_mean, group_median, knn, mean, median, none, regression"),
    ("treat", "scoring.treat.method", "log, none, winsorise"),
    ("normalise", "scoring.normalise.method", "distance_to_mean, goalposts, minmax, percentile, rank, zscore"),
    ("weights", "scoring.weights.method", "equal, explicit, pca"),
    ("aggregate", "scoring.aggregate.method", "arithmetic, geometric"),
    ("composite", "scoring.composite.method", "arithmetic, geometric"),
])
def test_unknown_method_of_every_step_lists_the_choices(block, key, choices):
    with pytest.raises(TypologyError, match=f"config key {key}: unknown .* method 'nope'; expected one of {choices}"):
        score(RAW, CHOSEN, scoring(**{block: {"method": "nope"}}))


def test_every_dimension_needs_an_indicator():
    with pytest.raises(TypologyError, match="indicators.capacity: every dimension needs at least one indicator"):
        score(RAW.drop(columns="k"), CHOSEN[:-1], scoring())


def test_imputed_cells_do_not_count_towards_min_share():
    raw = RAW.copy()
    raw.loc["A", ["e1", "e2"]] = np.nan  # A has no economy indicator observed
    raw.loc["B", "e2"] = np.nan  # B has half of economy
    out = score(raw, CHOSEN, scoring(impute={"method": "mean"}, min_share=0.5))
    assert np.isnan(out.scores.at["A", "economy"])  # filled, yet not scored on imputed values alone
    assert out.shares.at["B", "economy"] == 0.5 and not np.isnan(out.scores.at["B", "economy"])
    assert out.imputed.loc["A", ["e1", "e2"]].all() and out.imputed.sum().sum() == 3
    assert out.flags().loc[["A", "B", "C"], "imputed_indicators"].tolist() == ["e1;e2", "e2", ""]
    assert next(s for s in out.steps if s["step"] == "impute")["imputed"] == {"e1": 1, "e2": 2}


def test_score_does_not_change_its_inputs():
    raw, block = RAW.copy(), scoring(treat={"method": "winsorise"}, impute={"method": "median"})
    before = copy.deepcopy(block)
    score(raw, CHOSEN, block)
    pd.testing.assert_frame_equal(raw, RAW)
    assert block == before


@settings(max_examples=80, deadline=None)
@given(values)
def test_arithmetic_lies_within_inputs_and_geometric_is_not_larger(xs):
    frame = pd.DataFrame([xs])
    w = pd.Series(1.0 / len(xs), index=frame.columns)
    a, g = arithmetic(frame, w).iloc[0], geometric(frame, w).iloc[0]
    assert min(xs) - 1e-9 <= a <= max(xs) + 1e-9
    assert g <= a * (1 + 1e-9)
    assert min(xs) * (1 - 1e-9) <= g


@settings(max_examples=50, deadline=None)
@given(values, st.lists(st.floats(min_value=0.01, max_value=10), min_size=6, max_size=6))
def test_weighted_means_stay_within_inputs(xs, ws):
    frame = pd.DataFrame([xs])
    w = pd.Series(ws[: len(xs)], index=frame.columns)
    w = w / w.sum()
    for method in AGGREGATORS.names():
        v = AGGREGATORS.get(method, "k")(frame, w).iloc[0]
        assert min(xs) * (1 - 1e-9) <= v <= max(xs) * (1 + 1e-9), method


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from(list("abcdef")), st.floats(min_value=0.01, max_value=50), min_size=1))
def test_weights_in_use_sum_to_one(explicit):
    keys = list("abcdef")
    assert indicator_weights(keys, explicit, "w").sum() == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (12, 5), elements=st.floats(-100, 100, allow_nan=False)),
       st.sampled_from(["equal", "explicit", "pca"]),
       st.dictionaries(st.sampled_from(["x", "y"]), st.floats(min_value=0.01, max_value=9), max_size=2))
def test_weights_of_every_method_sum_to_one(data, method, dims):
    frame = pd.DataFrame(data, columns=list("abcde"))
    frame["e"] = frame["e"] + np.arange(12)  # never constant
    frame["a"] = frame["a"] + np.arange(12) ** 2
    frame["d"] = frame["d"] + np.arange(12) % 5
    if method == "pca" and (frame[["a", "b", "c"]].std() < 1e-6).any():
        return
    params = {"dimensions": dims} if method != "equal" else {}
    w = WEIGHTINGS.get(method, "k")(**params).fit(frame, {"a": "x", "b": "x", "c": "x", "d": "y", "e": "y"},
                                                  ["x", "y"])
    assert w.indicator_weights_[["a", "b", "c"]].sum() == pytest.approx(1.0)
    assert w.indicator_weights_[["d", "e"]].sum() == pytest.approx(1.0)
    assert (w.indicator_weights_ >= 0).all()
    assert w.dimension_weights_.sum() == pytest.approx(1.0)


def test_weights_must_name_indicators_in_use():
    with pytest.raises(TypologyError, match=r"weights given for \['zzz'\]"):
        indicator_weights(["a", "b"], {"zzz": 1.0}, "scoring.weights.indicators")


def test_min_share_leaves_thinly_measured_units_unscored():
    frame = pd.DataFrame({"a": [1.0, 1.0, np.nan], "b": [3.0, np.nan, np.nan], "c": [5.0, np.nan, 2.0]})
    w = pd.Series(1 / 3, index=frame.columns)
    score_, share = score_dimension(frame, w, "arithmetic", min_share=0.5)
    assert score_.iloc[0] == pytest.approx(3.0)
    assert np.isnan(score_.iloc[1]) and np.isnan(score_.iloc[2])  # one of three: never scored on one
    assert share.tolist() == pytest.approx([1.0, 1 / 3, 1 / 3])
    score_, _ = score_dimension(frame, w, "arithmetic", min_share=0.3)
    assert score_.iloc[1] == 1.0 and score_.iloc[2] == 2.0


def test_geometric_refuses_non_positive_inputs():
    frame = pd.DataFrame({"a": [1.0, -1.0], "b": [2.0, 3.0]})
    with pytest.raises(TypologyError, match="geometric needs positive inputs"):
        geometric(frame, pd.Series(0.5, index=frame.columns))


def test_geometric_hand_case():
    frame = pd.DataFrame({"a": [4.0, 8.0], "b": [1.0, np.nan]})
    out = geometric(frame, pd.Series(0.5, index=frame.columns))
    assert out.tolist() == pytest.approx([2.0, 8.0])  # a unit missing b is the mean of what it has
