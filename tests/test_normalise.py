from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from typology.errors import TypologyError
from typology.normalise import NORMALISERS

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
columns = arrays(np.float64, st.integers(min_value=3, max_value=40), elements=finite).filter(
    lambda a: np.ptp(a) > 1e-3 * max(1.0, np.abs(a).max())
)


def norm(method, values, direction=1):
    frame = pd.DataFrame({"x": values})
    return NORMALISERS.get(method, "test")().fit_transform(frame, pd.Series({"x": direction}))["x"].to_numpy()


def test_minmax_hand_case():
    # max region 100, min region 0, midpoint 50
    assert norm("minmax", [10.0, 20.0, 30.0]).tolist() == [0.0, 50.0, 100.0]
    assert norm("minmax", [10.0, 20.0, 30.0], direction=-1).tolist() == [100.0, 50.0, 0.0]


def test_zscore_hand_case():
    z = norm("zscore", [1.0, 2.0, 3.0])
    assert np.allclose(z, [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])


def test_rank_and_distance_hand_cases():
    assert norm("rank", [5.0, 1.0, 3.0, 3.0]).tolist() == [100.0, 25.0, 62.5, 62.5]
    assert norm("distance_to_mean", [1.0, 2.0, 3.0]).tolist() == [50.0, 100.0, 150.0]
    assert norm("distance_to_mean", [1.0, 2.0, 3.0], direction=-1).tolist() == [150.0, 100.0, 50.0]


def test_missing_values_stay_missing():
    for method in NORMALISERS.names():
        out = norm(method, [1.0, np.nan, 3.0, 4.0])
        assert np.isnan(out[1]) and not np.isnan(out[[0, 2, 3]]).any(), method


def test_constant_column_gives_missing_not_a_division_error():
    assert np.isnan(norm("zscore", [2.0, 2.0, 2.0])).all()
    assert np.isnan(norm("minmax", [2.0, 2.0, 2.0])).all()


def test_unknown_method_lists_choices():
    with pytest.raises(TypologyError, match="expected one of distance_to_mean, minmax, rank, zscore"):
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
    assert np.array_equal(norm("rank", x), norm("rank", x**3 + 5))


@settings(max_examples=60, deadline=None)
@given(columns, st.sampled_from(["zscore", "minmax", "rank"]))
def test_direction_minus_one_reverses_order(values, method):
    up, down = norm(method, values), norm(method, values, direction=-1)
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(up[order]) >= -1e-9)
    assert np.all(np.diff(down[order]) <= 1e-9)


@settings(max_examples=60, deadline=None)
@given(columns)
def test_minmax_spans_exactly_0_to_100(values):
    out = norm("minmax", values)
    assert out.min() == 0.0 and out.max() == 100.0
