from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from typology.errors import TypologyError
from typology.scoring.normalise import NORMALISERS

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
columns = arrays(np.float64, st.integers(min_value=3, max_value=40), elements=finite).filter(
    lambda a: np.ptp(a) > 1e-3 * max(1.0, np.abs(a).max())
)
ALL = ["distance_to_mean", "goalposts", "minmax", "percentile", "rank", "zscore"]


def norm(method, values, direction=1, **params):
    frame = pd.DataFrame({"x": values})
    if method == "goalposts" and "goalposts" not in params:
        params["goalposts"] = {"x": [float(np.min(values)), float(np.max(values))]}
    out = NORMALISERS.get(method, "test")(**params).fit_transform(frame, pd.Series({"x": direction}))
    return out["x"].to_numpy()


def test_every_method_of_the_issue_is_registered():
    assert NORMALISERS.names() == ALL


def test_minmax_hand_case():
    # max region 100, min region 0, midpoint 50
    assert norm("minmax", [10.0, 20.0, 30.0]).tolist() == [0.0, 50.0, 100.0]
    assert norm("minmax", [10.0, 20.0, 30.0], direction=-1).tolist() == [100.0, 50.0, 0.0]
    # onto [1, 100], the interval a geometric mean can use
    assert norm("minmax", [10.0, 20.0, 30.0], range=[1, 100]).tolist() == [1.0, 50.5, 100.0]
    assert norm("minmax", [10.0, 20.0, 30.0], direction=-1, range=[1, 100]).tolist() == [100.0, 50.5, 1.0]


def test_zscore_hand_case():
    z = norm("zscore", [1.0, 2.0, 3.0])
    assert np.allclose(z, [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])
    assert np.allclose(norm("zscore", [1.0, 2.0, 3.0], direction=-1), [np.sqrt(1.5), 0.0, -np.sqrt(1.5)])


def test_rank_hand_case():
    # ordinal ranks, 1 = lowest; ties share the mean of their ranks (2 and 3 → 2.5)
    assert norm("rank", [5.0, 1.0, 3.0, 3.0]).tolist() == [4.0, 1.0, 2.5, 2.5]
    assert norm("rank", [5.0, 1.0, 3.0, 3.0], direction=-1).tolist() == [1.0, 4.0, 2.5, 2.5]


def test_percentile_hand_case():
    assert norm("percentile", [5.0, 1.0, 3.0, 3.0]).tolist() == [100.0, 25.0, 62.5, 62.5]
    assert norm("percentile", [5.0, 1.0, 3.0, 3.0], direction=-1).tolist() == [25.0, 100.0, 62.5, 62.5]


def test_distance_to_mean_hand_case():
    assert norm("distance_to_mean", [1.0, 2.0, 3.0]).tolist() == [50.0, 100.0, 150.0]
    assert norm("distance_to_mean", [1.0, 2.0, 3.0], direction=-1).tolist() == [150.0, 100.0, 50.0]


def test_goalposts_hand_case():
    # goalposts 10 and 30: 20 is half-way; values beyond the posts are capped
    posts = {"x": [10, 30]}
    assert norm("goalposts", [5.0, 10.0, 20.0, 35.0], goalposts=posts).tolist() == [0.0, 0.0, 50.0, 100.0]
    assert norm("goalposts", [5.0, 10.0, 20.0, 35.0], direction=-1, goalposts=posts).tolist() == [
        100.0, 100.0, 50.0, 0.0]
    assert norm("goalposts", [10.0, 20.0, 30.0], goalposts=posts, range=[1, 100]).tolist() == [1.0, 50.5, 100.0]


def test_goalposts_must_cover_every_indicator_and_only_those():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    with pytest.raises(TypologyError, match=r"scoring.normalise.goalposts: .*missing for \['b'\]"):
        NORMALISERS.get("goalposts", "k")(goalposts={"a": [0, 1]}).fit(frame)
    with pytest.raises(TypologyError, match=r"given for \['zz'\], which are not indicators in use"):
        NORMALISERS.get("goalposts", "k")(goalposts={"a": [0, 1], "b": [0, 1], "zz": [0, 1]}).fit(frame)
    with pytest.raises(TypologyError, match=r"scoring.normalise.goalposts.b: expected two numbers"):
        NORMALISERS.get("goalposts", "k")(goalposts={"a": [0, 1], "b": [5, 1]}).fit(frame)


@pytest.mark.parametrize("bad", [[0], [100, 0], ["a", 1], "0,100", [0, float("inf")]])
def test_range_must_be_two_increasing_numbers(bad):
    with pytest.raises(TypologyError, match="config key scoring.normalise.range: expected two numbers"):
        norm("minmax", [1.0, 2.0, 3.0], range=bad)


def test_missing_values_stay_missing():
    for method in NORMALISERS.names():
        out = norm(method, [1.0, np.nan, 3.0, 4.0], **({"goalposts": {"x": [0, 5]}} if method == "goalposts" else {}))
        assert np.isnan(out[1]) and not np.isnan(out[[0, 2, 3]]).any(), method


def test_rank_counts_only_observed_units():
    # three observed units: the best gets rank 3 (and percentile 100) whatever is missing
    assert norm("rank", [1.0, np.nan, 3.0, 2.0], direction=-1)[[0, 2, 3]].tolist() == [3.0, 1.0, 2.0]
    assert norm("percentile", [1.0, np.nan, 3.0, 2.0], direction=-1)[0] == 100.0


def test_constant_column_gives_missing_not_a_division_error():
    assert np.isnan(norm("zscore", [2.0, 2.0, 2.0])).all()
    assert np.isnan(norm("minmax", [2.0, 2.0, 2.0])).all()


def test_unknown_method_lists_choices():
    with pytest.raises(TypologyError, match=f"expected one of {', '.join(ALL)}"):
        NORMALISERS.get("robust", "scoring.normalise.method")


@settings(max_examples=60, deadline=None)
@given(columns, st.floats(min_value=0.01, max_value=100), st.floats(min_value=-1e3, max_value=1e3))
def test_zscore_and_minmax_invariant_under_positive_affine(values, scale, shift):
    for method in ("zscore", "minmax"):
        assert np.allclose(norm(method, values), norm(method, values * scale + shift), atol=1e-6), method


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, st.integers(min_value=3, max_value=40), elements=st.integers(-10_000, 10_000)))
def test_rank_invariant_under_monotone_transform(values):
    # Integers cubed stay exact in float64, so the transform is strictly monotone as computed.
    x = values.astype(float)
    for method in ("rank", "percentile"):
        assert np.array_equal(norm(method, x), norm(method, x**3 + 5)), method
        assert np.array_equal(norm(method, x, direction=-1), norm(method, np.exp(x / 1e4), direction=-1)), method


@settings(max_examples=60, deadline=None)
@given(columns, st.sampled_from(ALL))
def test_direction_minus_one_reverses_order(values, method):
    up, down = norm(method, values), norm(method, values, direction=-1)
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(up[order]) >= -1e-9)
    assert np.all(np.diff(down[order]) <= 1e-9)
    # strictly: the unit with the highest raw value is best with +1 and worst with −1
    top, bottom = int(np.argmax(values)), int(np.argmin(values))
    assert up[top] > up[bottom] and down[top] < down[bottom]


@settings(max_examples=60, deadline=None)
@given(columns, st.sampled_from([1, -1]))
def test_minmax_spans_exactly_0_to_100(values, direction):
    out = norm("minmax", values, direction=direction)
    assert out.min() == 0.0 and out.max() == 100.0
