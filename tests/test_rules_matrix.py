"""The shared array forms give the numbers of the readable forms they stand for.

- ``scoring.aggregate``: the matrix forms (many weightings at once) against the frame forms;
- ``typologies.rules``: thresholds and types of many replicates at once against a RuleTypology
  fitted on each replicate;
- ``typologies.contiguity``: the ``W`` handed to spopt, built through a ``Graph``, against a ``W``
  built directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from typology.core.registry import Registry
from typology.scoring import aggregate
from typology.scoring.aggregate import AGGREGATORS, MATRIX_AGGREGATORS, matrix_aggregator
from typology.typologies.contiguity import Contiguity
from typology.typologies.rules import RuleTypology, axis_values, first_match, thresholds_of

VALUES = st.one_of(st.floats(0.1, 100), st.just(np.nan))


@settings(max_examples=40, deadline=None)
@given(values=arrays(float, (6, 5), elements=VALUES), seed=st.integers(0, 1000))
@pytest.mark.parametrize("method", ["arithmetic", "geometric"])
def test_matrix_forms_equal_the_frame_forms(method, values, seed):
    weights = np.random.default_rng(seed).dirichlet(np.ones(5), size=3)
    frame_form = AGGREGATORS.get(method, "test")
    expected = np.stack([frame_form(pd.DataFrame(values), pd.Series(w)).to_numpy(dtype=float) for w in weights])
    shared = MATRIX_AGGREGATORS.get(method, "test")(values, weights)
    per_row = MATRIX_AGGREGATORS.get(method, "test")(np.broadcast_to(values, (3, *values.shape)), weights)
    np.testing.assert_allclose(shared, expected, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(per_row, expected, rtol=1e-12, equal_nan=True)


def test_a_method_with_a_frame_form_only_runs_row_by_row(monkeypatch):
    frames = Registry("aggregation")
    frames.register("maximum")(lambda values, weights: (values * weights).max(axis=1))
    monkeypatch.setattr(aggregate, "AGGREGATORS", frames)
    values = np.array([[1.0, 4.0], [3.0, np.nan]])
    weights = np.array([[0.5, 0.5], [1.0, 0.0]])
    np.testing.assert_array_equal(matrix_aggregator("maximum", "k")(values, weights), [[2.0, 1.5], [1.0, 3.0]])
    np.testing.assert_array_equal(matrix_aggregator("maximum", "k")(np.stack([values, values]), weights),
                                  [[2.0, 1.5], [1.0, 3.0]])


AXES = {"society": {"dimensions": ["civic", "institution"]}, "resource": {"dimensions": ["economy", "capacity"]}}
TYPES = [{"key": "s", "name_ko": "사", "name_en": "S", "when": {"society": ">= median - 0.25", "resource": "< mean"}},
         {"key": "r", "name_ko": "자", "name_en": "R", "when": {"resource": ">= 0"}},
         {"key": "b", "name_ko": "기", "name_en": "B", "when": {}}]
UNCLASSIFIED = {"key": "u", "name_ko": "미", "name_en": "U"}
COLUMNS = ["economy", "civic", "institution", "capacity"]


@settings(max_examples=40, deadline=None)
@given(values=arrays(float, (4, 12, 4), elements=st.one_of(st.sampled_from([-1.0, 0.0, 0.5]), st.floats(-2, 2),
                                                           st.just(np.nan))))
def test_replicates_at_once_equal_a_rule_typology_per_replicate(values):
    model = RuleTypology(AXES, TYPES, UNCLASSIFIED)
    model.fit(pd.DataFrame(values[0], columns=COLUMNS))
    axes = axis_values(values, model.positions(COLUMNS))
    got = first_match(model.conditions_, axes, thresholds_of(model.conditions_, axes))
    for replicate, hits in zip(values, got):
        frame = pd.DataFrame(replicate, columns=COLUMNS)
        fitted = RuleTypology(AXES, TYPES, UNCLASSIFIED).fit(frame)
        assert np.array(fitted.type_keys)[hits].tolist() == fitted.predict(frame)["type"].tolist()


def test_weights_from_a_graph_equal_a_w_built_directly():
    from libpysal import weights as lps

    neighbours = {"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"], "e": []}
    contiguity = Contiguity(["a", "b", "c", "d", "e"], neighbours, own=[["e"]])
    got = contiguity.weights()
    expected = lps.W({c: neighbours[c] for c in "abcd"}, id_order=list("abcd"))
    assert got.id_order == expected.id_order
    assert got.neighbors == expected.neighbors
    assert got.weights == expected.weights
    assert (got.sparse != expected.sparse).nnz == 0 and got.sparse.dtype == expected.sparse.dtype
