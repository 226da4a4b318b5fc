"""Imputation: hand-computed values for every method; observed values are never touched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from typology.errors import TypologyError
from typology.scoring.impute import IMPUTERS

# Synthetic: five units in three 시도 (11, 11, 21, 21, 29); 29 has no observed x, as 세종 might.
GROUPS = pd.Series(["11", "11", "21", "21", "29"], index=list("ABCDE"))
X = pd.DataFrame({"x": [1.0, np.nan, 3.0, 5.0, np.nan], "y": [10.0, 20.0, np.nan, 40.0, 50.0]}, index=list("ABCDE"))


def impute(method, frame=X, groups=GROUPS, **params):
    model = IMPUTERS.get(method, "scoring.impute.method")(**params)
    return model, model.fit_transform(frame, groups)


def test_every_method_of_the_issue_is_registered():
    assert IMPUTERS.names() == ["group_mean", "group_median", "knn", "mean", "median", "none", "regression"]


def test_none_leaves_missing_missing():
    _, out = impute("none")
    pd.testing.assert_frame_equal(out, X)


def test_mean_and_median_hand_case():
    _, out = impute("mean")
    assert out.at["B", "x"] == 3.0 and out.at["E", "x"] == 3.0  # (1 + 3 + 5) / 3
    assert out.at["C", "y"] == 30.0  # (10 + 20 + 40 + 50) / 4
    x = X.copy()
    x.loc["A", "x"] = 100.0
    _, out = impute("median", x)
    assert out.at["B", "x"] == 5.0  # median of 100, 3, 5


def test_group_mean_uses_the_units_sido_and_falls_back_to_the_nation():
    model, out = impute("group_mean")
    assert out.at["B", "x"] == 1.0  # 시도 11 has A = 1
    assert out.at["E", "x"] == 3.0  # 시도 29 has nothing observed: national mean
    assert out.at["C", "y"] == 40.0  # 시도 21 has D = 40
    assert model.details() == {"national_fallback": {"x": 1}}
    x = X.copy()
    x.loc["B", "x"], x.loc["A", "x"] = np.nan, 2.0
    x = pd.concat([x, pd.DataFrame({"x": [4.0, 30.0], "y": [1.0, 1.0]}, index=["F", "G"])])
    groups = pd.concat([GROUPS, pd.Series({"F": "11", "G": "11"})])
    _, out = impute("group_median", x, groups)
    assert out.at["B", "x"] == 4.0  # median of 2, 4, 30 in 시도 11 (the mean would be 12)


def test_group_imputation_needs_groups():
    with pytest.raises(TypologyError, match="scoring.impute.method: group imputation needs the 시도"):
        impute("group_mean", groups=None)


def test_knn_takes_the_nearest_units_on_the_other_indicators():
    frame = pd.DataFrame({"a": [0.0, 0.1, 10.0, 10.2, 5.0], "b": [0.0, 0.1, 10.0, np.nan, 99.0]})
    _, out = impute("knn", frame, k=1)
    assert out.at[3, "b"] == pytest.approx(10.0)  # the unit nearest on a is the one with a = 10
    _, out = impute("knn", frame, k=2)
    assert out.at[3, "b"] == pytest.approx((10.0 + 99.0) / 2)  # a = 10 and a = 5 are the two nearest


def test_regression_recovers_a_linear_relation():
    a = np.arange(30, dtype=float)
    frame = pd.DataFrame({"a": a, "b": 2 * a + 1})
    frame.loc[7, "b"] = np.nan
    model, out = impute("regression", frame, seed=0)
    assert out.at[7, "b"] == pytest.approx(15.0, abs=0.05)
    assert model.details()["converged"] in (True, False)
    _, again = impute("regression", frame, seed=0)
    assert again.equals(out)  # seeded: the same data give the same values


@pytest.mark.parametrize(("method", "params", "match"), [
    ("knn", {"k": 0}, "scoring.impute.k: expected a positive whole number"),
    ("knn", {"k": 2.5}, "scoring.impute.k: expected a positive whole number"),
    ("regression", {"seed": "x"}, "scoring.impute.seed: expected a whole number"),
])
def test_bad_parameters_name_their_key(method, params, match):
    with pytest.raises(TypologyError, match=match):
        impute(method, **params)


frames = arrays(np.float64, st.tuples(st.integers(4, 25), st.integers(1, 4)),
                elements=st.one_of(st.floats(-1e4, 1e4, allow_nan=False), st.just(np.nan)))


@settings(max_examples=40, deadline=None)
@given(frames, st.sampled_from(sorted(["group_mean", "group_median", "knn", "mean", "median", "none", "regression"])))
def test_imputation_never_touches_observed_values(data, method):
    frame = pd.DataFrame(data, columns=[f"c{i}" for i in range(data.shape[1])])
    groups = pd.Series([str(i % 3) for i in range(len(frame))], index=frame.index)
    _, out = impute(method, frame, groups)
    observed = frame.notna()
    assert out[observed].equals(frame[observed])
    # a column with any observed value has no missing cell left, except with "none"
    if method != "none":
        has_data = observed.any()
        assert out.loc[:, has_data].notna().all().all()
