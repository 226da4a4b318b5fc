"""The sensitivity estimators on synthetic models whose indices are known by hand (synthetic by design).

Factors are fair ±1 coins, drawn as the Monte Carlo draws its discrete choices. For
f = x1 + 2·x2 + 0·x3: Var f = 1 + 4 = 5, so S1 = ST1 = 1/5, S2 = ST2 = 4/5, and x3 has no
effect (both indices exactly 0, because redrawing it changes nothing). For f = x1·x2 all the
variance is interaction: S1 = S2 = 0 and ST1 = ST2 = 1.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typology.uncertainty.sensitivity import indices, one_hot, type_indices

M = 4000


def design(rng: np.random.Generator, factors: int = 3) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    A = rng.choice([-1.0, 1.0], size=(M, factors))
    B = rng.choice([-1.0, 1.0], size=(M, factors))
    AB = []
    for i in range(factors):
        mixed = A.copy()
        mixed[:, i] = B[:, i]
        AB.append(mixed)
    return A, B, AB


def run(model, A, B, AB):
    return model(A), model(B), np.stack([model(x) for x in AB])


def test_additive_model_gives_the_variance_shares():
    A, B, AB = design(np.random.default_rng(1))
    est = indices(*run(lambda X: (X[:, 0] + 2 * X[:, 1] + 0 * X[:, 2])[:, None], A, B, AB))
    assert est.first_order == pytest.approx([0.2, 0.8, 0.0], abs=0.03)
    assert est.total == pytest.approx([0.2, 0.8, 0.0], abs=0.03)
    assert est.first_order[2] == 0 and est.total[2] == 0  # no effect: redrawing it changes no output at all
    assert est.variance == pytest.approx(5.0, rel=0.05)
    for i, value in enumerate([0.2, 0.8]):  # the bootstrap interval covers the known value
        assert est.first_order_ci[i, 0] <= value <= est.first_order_ci[i, 1]
        assert est.total_ci[i, 0] <= value <= est.total_ci[i, 1]


def test_pure_interaction_has_no_first_order_effect():
    A, B, AB = design(np.random.default_rng(2), factors=2)
    est = indices(*run(lambda X: (X[:, 0] * X[:, 1])[:, None], A, B, AB))
    assert est.first_order == pytest.approx([0.0, 0.0], abs=0.05)
    assert est.total == pytest.approx([1.0, 1.0], abs=0.05)


def test_many_outputs_are_weighted_by_their_variance():
    # Output 1 depends on x1 only (variance 1), output 2 on x2 only (variance 9): pooled S1 = 1/10, S2 = 9/10.
    A, B, AB = design(np.random.default_rng(3), factors=2)
    est = indices(*run(lambda X: np.column_stack([X[:, 0], 3 * X[:, 1]]), A, B, AB))
    assert est.total == pytest.approx([0.1, 0.9], abs=0.02)
    assert est.first_order == pytest.approx([0.1, 0.9], abs=0.02)


def test_types_total_effect_counts_regions_that_change():
    # Three "regions": types 0/1 follow x1 in region 1, x2 in region 2; region 3 never changes (type 2).
    A, B, AB = design(np.random.default_rng(4), factors=2)

    def types(X):
        return np.column_stack([X[:, 0] > 0, X[:, 1] > 0, np.full(len(X), 2)]).astype(int)

    fA, fB, fAB = types(A), types(B), np.stack([types(x) for x in AB])
    est = indices(one_hot(fA, 3), one_hot(fB, 3), np.stack([one_hot(x, 3) for x in fAB]))
    assert est.total == pytest.approx([0.5, 0.5], abs=0.03)
    assert est.first_order == pytest.approx([0.5, 0.5], abs=0.03)
    # ST's numerator is the mean number of regions whose type changes when only that factor is redrawn: 1/2.
    changed = [(fA != fAB[i]).sum(axis=1).mean() for i in range(2)]
    assert est.total_change == pytest.approx(changed)
    assert est.total_change == pytest.approx([0.5, 0.5], abs=0.03)
    # ... and the variance is the number that change between two independent runs: 1/2 + 1/2.
    assert est.variance == pytest.approx(1.0, abs=0.03)


def test_one_hot():
    out = one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert out.tolist() == [[1, 0, 0, 0, 0, 1], [0, 1, 0, 0, 1, 0]]


def test_outputs_missing_in_a_run_are_left_out():
    A, B, AB = design(np.random.default_rng(5), factors=2)
    fA, fB, fAB = run(lambda X: np.column_stack([X[:, 0], np.full(len(X), np.nan)]), A, B, AB)
    est = indices(fA, fB, fAB)
    assert est.total == pytest.approx([1.0, 0.0], abs=0.05)


def test_constant_output_gives_no_index():
    A, B, AB = design(np.random.default_rng(6), factors=2)
    est = indices(*run(lambda X: np.ones((len(X), 1)), A, B, AB))
    assert np.isnan(est.first_order).all() and np.isnan(est.total).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 40), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_indices_are_exactly_zero_for_a_factor_without_effect(m, outputs, seed):
    rng = np.random.default_rng(seed)
    fA, fB = rng.normal(size=(m, outputs)), rng.normal(size=(m, outputs))
    noisy = rng.normal(size=(m, outputs))
    est = indices(fA, fB, np.stack([fA.copy(), noisy]), n_boot=20, seed=seed)
    assert est.first_order[0] == 0 and est.total[0] == 0
    assert est.total[1] >= 0  # a total effect is a mean of squares
    assert est.total_ci[0].tolist() == [0, 0]


def test_seeded_bootstrap_is_reproducible():
    A, B, AB = design(np.random.default_rng(7))
    outs = run(lambda X: (X[:, 0] + X[:, 1] * X[:, 2])[:, None], A, B, AB)
    one, two = indices(*outs, seed=3), indices(*outs, seed=3)
    assert one.first_order_ci.tolist() == two.first_order_ci.tolist()
    assert one.total_ci.tolist() == two.total_ci.tolist()


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 30), st.integers(1, 6), st.integers(2, 4), st.integers(0, 2**31 - 1))
def test_type_indices_from_labels_equal_the_one_hot_indices(m, outputs, classes, seed):
    rng = np.random.default_rng(seed)
    tA, tB = rng.integers(0, classes, (m, outputs)), rng.integers(0, classes, (m, outputs))
    tAB = [np.where(rng.random((m, outputs)) < 0.5, tA, tB), tA.copy()]
    direct = type_indices(tA, tB, tAB, classes, n_boot=30, seed=seed)
    encoded = indices(one_hot(tA, classes), one_hot(tB, classes), [one_hot(x, classes) for x in tAB], n_boot=30,
                      seed=seed)
    for field in ("first_order", "total", "first_order_ci", "total_ci", "total_change"):
        np.testing.assert_allclose(getattr(direct, field), getattr(encoded, field), atol=1e-9, err_msg=field)
    assert direct.variance == pytest.approx(encoded.variance)


def test_a_resample_without_variance_is_alike_on_both_paths():
    # The case that split the two paths: one resample's variance was 0 from the labels and
    # 2.8e-17 from the one-hot sums, so one interval had a NaN left out and the other did not.
    rng = np.random.default_rng(20)
    tA, tB = rng.integers(0, 2, (3, 1)), rng.integers(0, 2, (3, 1))
    tAB = [np.where(rng.random((3, 1)) < 0.5, tA, tB), tA.copy()]
    direct = type_indices(tA, tB, tAB, 2, n_boot=30, seed=20)
    encoded = indices(one_hot(tA, 2), one_hot(tB, 2), [one_hot(x, 2) for x in tAB], n_boot=30, seed=20)
    np.testing.assert_allclose(direct.first_order_ci, encoded.first_order_ci, atol=1e-9)
    np.testing.assert_allclose(direct.total_ci, encoded.total_ci, atol=1e-9)
