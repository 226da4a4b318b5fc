from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typology.aggregate import arithmetic, geometric, indicator_weights, score_dimension
from typology.errors import TypologyError

values = st.lists(st.floats(min_value=0.1, max_value=1e3, allow_nan=False), min_size=1, max_size=6)


@settings(max_examples=80, deadline=None)
@given(values)
def test_arithmetic_lies_within_inputs_and_geometric_is_not_larger(xs):
    frame = pd.DataFrame([xs])
    w = pd.Series(1.0 / len(xs), index=frame.columns)
    a, g = arithmetic(frame, w).iloc[0], geometric(frame, w).iloc[0]
    assert min(xs) - 1e-9 <= a <= max(xs) + 1e-9
    assert g <= a * (1 + 1e-9)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from(list("abcdef")), st.floats(min_value=0.01, max_value=50), min_size=1))
def test_weights_in_use_sum_to_one(explicit):
    keys = list("abcdef")
    assert indicator_weights(keys, explicit, "w").sum() == pytest.approx(1.0)


def test_weights_must_name_indicators_in_use():
    with pytest.raises(TypologyError, match=r"weights given for \['zzz'\]"):
        indicator_weights(["a", "b"], {"zzz": 1.0}, "scoring.weights.indicators")


def test_min_share_leaves_thinly_measured_units_unscored():
    frame = pd.DataFrame({"a": [1.0, 1.0, np.nan], "b": [3.0, np.nan, np.nan], "c": [5.0, np.nan, 2.0]})
    w = pd.Series(1 / 3, index=frame.columns)
    score, share = score_dimension(frame, w, "arithmetic", min_share=0.5)
    assert score.iloc[0] == pytest.approx(3.0)
    assert np.isnan(score.iloc[1]) and np.isnan(score.iloc[2])  # one of three: never scored on one
    assert share.tolist() == pytest.approx([1.0, 1 / 3, 1 / 3])
    score, _ = score_dimension(frame, w, "arithmetic", min_share=0.3)
    assert score.iloc[1] == 1.0 and score.iloc[2] == 2.0


def test_geometric_refuses_non_positive_inputs():
    frame = pd.DataFrame({"a": [1.0, -1.0], "b": [2.0, 3.0]})
    with pytest.raises(TypologyError, match="geometric needs positive inputs"):
        geometric(frame, pd.Series(0.5, index=frame.columns))
