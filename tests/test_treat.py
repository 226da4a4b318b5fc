"""Outlier treatment: flags, winsorising, the log fallback, and what is recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from typology.errors import TypologyError
from typology.scoring.treat import TREATMENTS, shape, winsorise

# Synthetic: 1…10 and two outliers (COINr's documentation example).
CODES = [f"u{i:02d}" for i in range(12)]
X = pd.Series([*range(1, 11), 30.0, 100.0], index=CODES, dtype=float)


def treat(method, frame, **params):
    model = TREATMENTS.get(method, "scoring.treat.method")(**params)
    return model, model.fit_transform(frame)


def test_every_method_of_the_issue_is_registered():
    assert TREATMENTS.names() == ["log", "none", "winsorise"]


def test_shape_is_excel_skew_and_excess_kurtosis():
    skew, kurt = shape(pd.Series([1.0, 2.0, 3.0, 10.0]))
    # By hand: mean 4, deviations −3, −2, −1, 6; s² = 50/3.
    # SKEW = n/((n−1)(n−2)) · Σd³/s³ = 4/6 · 180 / (50/3)^1.5
    # KURT = n(n+1)/((n−1)(n−2)(n−3)) · Σd⁴/s⁴ − 3(n−1)²/((n−2)(n−3)) = 20/6 · 1394 / (50/3)² − 13.5
    assert skew == pytest.approx(4 / 6 * 180 / (50 / 3) ** 1.5) == pytest.approx(1.76363, abs=1e-5)
    assert kurt == pytest.approx(20 / 6 * 1394 / (50 / 3) ** 2 - 13.5) == pytest.approx(3.22800, abs=1e-5)


def test_winsorise_hand_case():
    assert shape(X) == pytest.approx((3.0632, 9.7414), abs=1e-4)  # flagged: |skew| > 2 and kurtosis > 3.5
    y, moved, ok = winsorise(X, 5, 2.0, 3.5)
    # one point is enough: 100 takes the value of the next point in, 30
    assert moved == ["u11"] and ok
    assert y.tolist() == [*range(1, 11), 30.0, 30.0]


def test_winsorise_moves_ties_together_and_counts_units():
    x = pd.Series([*range(1, 21), 500.0, 500.0], index=[f"v{i}" for i in range(22)], dtype=float)
    y, moved, _ = winsorise(x, 5, 2.0, 3.5)
    assert moved[:2] == ["v20", "v21"] and y["v20"] == y["v21"] == 20.0


def test_winsorise_step_records_points_and_treats_only_flagged_indicators():
    frame = pd.DataFrame({"x": X, "calm": np.arange(12.0)})
    model, out = treat("winsorise", frame)
    assert out["x"].tolist() == [*range(1, 11), 30.0, 30.0]
    assert out["calm"].equals(frame["calm"])
    report = {t.indicator: t for t in model.report_}
    assert report["x"].action == "winsorised" and report["x"].points == ["u11"]
    assert report["x"].detail == "1 points (u11)"
    assert report["calm"].action == "none" and not report["calm"].outlier
    assert report["x"].skew_after == pytest.approx(shape(out["x"])[0])


def test_log_fallback_when_winsorising_is_not_enough():
    frame = pd.DataFrame({"x": X})
    model, out = treat("winsorise", frame, kurtosis=1.0, skew=1.0, max_points=1)
    t = model.report_[0]
    assert t.action == "log" and "winsorising 1 points left" in t.detail
    a = 0.01 * (100 - 1)
    assert np.allclose(out["x"], np.log(X - 1 + a))  # the COIN tool's log of the original values
    model, out = treat("winsorise", frame, kurtosis=1.0, skew=1.0, max_points=1, fallback="none")
    assert model.report_[0].action == "winsorised" and "still flagged" in model.report_[0].detail
    assert out["x"].max() == 30.0


def test_log_mirrors_a_left_skew_and_keeps_the_order():
    left = pd.DataFrame({"x": -X})
    model, out = treat("log", left)
    assert model.report_[0].action == "log" and "−log" in model.report_[0].detail
    assert (np.argsort(out["x"].to_numpy()) == np.argsort(left["x"].to_numpy())).all()
    assert abs(shape(out["x"])[0]) < abs(shape(left["x"])[0])


def test_thresholds_are_configurable():
    frame = pd.DataFrame({"x": X})
    model, out = treat("winsorise", frame, skew=4.0)
    assert not model.report_[0].outlier and out["x"].equals(frame["x"])
    model, _ = treat("none", frame)
    assert model.report_[0].outlier and model.report_[0].action == "flagged"


def test_flags_and_listed_indicators_are_never_treated():
    flag = pd.Series([1.0] + [0.0] * 30)  # skew 5.6, kurtosis 31: flagged, but a 0/1 flag
    frame = pd.DataFrame({"flag": flag, "x": pd.Series([*range(1, 30), 30.0, 100.0])})
    model, out = treat("winsorise", frame, skip=["x"])
    assert out.equals(frame.astype(float))
    assert [t.action for t in model.report_] == ["skipped", "skipped"]
    assert "two values" in model.report_[0].detail and "scoring.treat.skip" in model.report_[1].detail


def test_fitted_on_observed_values_applied_to_imputed_ones():
    frame = pd.DataFrame({"x": X})
    model = TREATMENTS.get("winsorise", "k")().fit(frame)
    filled = pd.DataFrame({"x": [*X.tolist(), 500.0]}, index=[*CODES, "imputed"])
    assert model.transform(filled)["x"]["imputed"] == 30.0  # capped like the observed outlier


@pytest.mark.parametrize(("params", "match"), [
    ({"max_points": 0}, "scoring.treat.max_points: expected a positive whole number"),
    ({"fallback": "drop"}, "scoring.treat.fallback: unknown value 'drop'; expected one of log, none"),
    ({"skew": "high"}, "scoring.treat.skew: expected a number"),
    ({"skip": ["nope"]}, r"scoring.treat.skip: \['nope'\] are not indicators in use"),
])
def test_bad_parameters_name_their_key(params, match):
    with pytest.raises(TypologyError, match=match):
        treat("winsorise", pd.DataFrame({"x": X}), **params)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(5, 60), elements=st.floats(0, 1e4, allow_nan=False)),
       st.sampled_from(["winsorise", "log"]), st.integers(1, 8))
def test_treatment_never_reverses_the_order_of_two_units(values, method, points):
    frame = pd.DataFrame({"x": values})
    model, out = treat(method, frame, **({"max_points": points} if method == "winsorise" else {}))
    x, y = frame["x"].to_numpy(), out["x"].to_numpy()
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(y[order]) >= -1e-9)
    t = model.report_[0]
    if t.action == "winsorised":
        changed = set(frame.index[x != y].astype(str))
        assert changed <= set(t.points) and len(t.points) <= points
