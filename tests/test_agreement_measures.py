"""The statistics the validity audit computes without importing scikit-learn or scipy.stats, held to those
libraries as oracles: Cohen's κ, the adjusted Rand index, ROC AUC, the size-only logistic regression
and Spearman's ρ; and that a default run's process imports none of the heavy libraries."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from typology import paths
from typology.core.agreement import adjusted_rand, cohen_kappa, contingency, roc_auc, roc_auc_ovr
from typology.validity.baseline import _fit_logistic, logistic_size
from typology.validity.criteria import spearman

CLOSED_FORM = 1e-12  # κ, ARI, AUC and ρ are the same formulas; at most the last bits of a sum may differ

labelings = st.integers(1, 60).flatmap(
    lambda n: st.tuples(st.lists(st.sampled_from("abcd"), min_size=n, max_size=n),
                        st.lists(st.sampled_from("abcde"), min_size=n, max_size=n)))


def test_contingency_counts_pairs_in_sorted_label_order():
    table = contingency(["y", "x", "x", "y"], [2, 1, 1, 1])
    assert table.tolist() == [[2, 0], [1, 1]]  # rows x, y; columns 1, 2


def test_known_values_by_hand():
    # ARI: pairs together in both 1 of C(4,2) = 6; together in a 2, in b 1; expected 2·1/6 = 1/3,
    # maximum (2 + 1)/2 = 3/2: (1 − 1/3) / (3/2 − 1/3) = 4/7.
    assert adjusted_rand([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7, abs=CLOSED_FORM)
    # κ: observed agreement 3/4; by chance (2/4)(1/4) + (2/4)(3/4) = 1/2: (3/4 − 1/2) / (1 − 1/2) = 1/2.
    assert cohen_kappa(list("xxyy"), list("xyyy")) == pytest.approx(0.5, abs=CLOSED_FORM)
    # AUC: of the 4 (positive, negative) pairs, 3 ordered rightly and one tie (0.4, 0.4) counting half.
    assert roc_auc([True, True, False, False], [0.9, 0.4, 0.4, 0.1]) == 3.5 / 4


def test_edge_cases_follow_scikit_learn():
    assert adjusted_rand(["a"] * 5, ["z"] * 5) == 1.0  # one cluster each: the same partition
    assert adjusted_rand([], []) == 1.0
    assert adjusted_rand(list("aabb"), list("abab")) < 0  # worse than chance
    assert np.isnan(cohen_kappa(["a"] * 4, ["a"] * 4))  # nothing can disagree
    assert cohen_kappa(["a"] * 4, ["b"] * 4) == 0.0
    assert np.isnan(roc_auc([True, True], [0.1, 0.2]))  # no negatives


@settings(max_examples=80, deadline=None)
@given(labelings)
def test_ari_and_kappa_are_scikit_learns(pair):
    from sklearn.metrics import adjusted_rand_score, cohen_kappa_score

    a, b = pair
    assert adjusted_rand(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=CLOSED_FORM)
    assert adjusted_rand(b, a) == pytest.approx(adjusted_rand(a, b), abs=CLOSED_FORM)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's note that κ is undefined
        theirs = cohen_kappa_score(a, b)
    ours = cohen_kappa(a, b)
    assert (np.isnan(ours) and np.isnan(theirs)) or ours == pytest.approx(theirs, abs=CLOSED_FORM)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 6)), min_size=2, max_size=80))
def test_binary_auc_is_roc_auc_score_ties_included(points):
    from sklearn.metrics import roc_auc_score

    positive = [p for p, _ in points]
    score = [s / 3 for _, s in points]  # few distinct values: many ties
    assume(0 < sum(positive) < len(positive))
    assert roc_auc(positive, score) == pytest.approx(roc_auc_score(positive, score), abs=CLOSED_FORM)


@settings(max_examples=80, deadline=None)
@given(st.integers(3, 5), st.integers(8, 90), st.integers(0, 2**32 - 1), st.booleans())
def test_one_vs_rest_auc_is_roc_auc_scores_macro_mean(k, n, seed, coarse):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    classes = np.array([f"t{i}" for i in range(k)])
    labels = classes[np.r_[np.arange(k), rng.integers(0, k, n - k)]]  # every class present
    proba = rng.dirichlet(np.ones(k), size=n)
    if coarse:  # ties inside a column
        proba = np.round(proba, 1) + 1e-3
        proba /= proba.sum(axis=1, keepdims=True)
    theirs = roc_auc_score(labels, proba, multi_class="ovr", labels=classes)
    assert roc_auc_ovr(labels, proba, classes) == pytest.approx(theirs, abs=CLOSED_FORM)


def _logistic_case(n: int, k: int, noise: float, seed: int) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    x = rng.normal(11.0, 1.0, n)  # log population of a few thousand to a few million
    cut = np.quantile(x, np.linspace(0, 1, k + 1)[1:-1])
    code = np.searchsorted(cut, x + rng.normal(0, noise, n))
    code[:k] = np.arange(k)  # every type present
    return pd.Series([f"type{c}" for c in code]), pd.Series(x)


@settings(max_examples=25, deadline=None)
@given(st.integers(12, 120), st.integers(2, 5), st.floats(0.05, 3.0), st.integers(0, 2**32 - 1))
def test_logistic_size_is_scikit_learns_logistic_regression(n, k, noise, seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    types, x = _logistic_case(n, k, noise, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs may stop at max_iter on separable data, as ours does
        model = LogisticRegression(C=1e6, max_iter=1000).fit(x.to_frame(), types)
    classes, code = np.unique(types, return_inverse=True)
    w = _fit_logistic(x.to_numpy()[:, None].copy(), code, len(classes))
    theirs = (np.r_[model.coef_[0], model.intercept_] if len(classes) == 2 else
              np.column_stack([model.coef_, model.intercept_]).ravel(order="F"))
    # The same objective, gradient, start and L-BFGS-B settings take the same steps: in practice the
    # same bits. The tolerance leaves room for a BLAS that sums in another order.
    assert np.abs(w - theirs).max() <= 1e-8 * max(1.0, np.abs(theirs).max())

    guess, auc = logistic_size(types, x)
    decision = model.decision_function(x.to_frame())
    # How far each unit is from the boundary: |decision|, or the lead of the best type over the next.
    margin = np.abs(decision) if decision.ndim == 1 else np.diff(np.sort(decision, axis=1)[:, -2:], axis=1)[:, 0]
    clear = margin > 1e-6  # a unit on the boundary may go either way with the last bit
    assert clear.sum() >= len(clear) - 2
    assert (guess.to_numpy()[clear] == model.predict(x.to_frame())[clear]).all()
    proba = model.predict_proba(x.to_frame())
    sorted_proba = np.sort(proba, axis=0)
    gaps = np.diff(sorted_proba, axis=0)
    assume(not ((gaps > 0) & (gaps < 1e-9)).any())  # no near-tie whose order the last bit could flip
    expected = (roc_auc_score(types == classes[1], proba[:, 1]) if len(classes) == 2 else
                roc_auc_score(types, proba, multi_class="ovr", labels=classes))
    assert auc == pytest.approx(expected, abs=CLOSED_FORM)


def test_logistic_size_by_hand_on_separated_sizes():
    # Small places one type, large the other: the regression puts every unit in its own type and the
    # size ranks them perfectly.
    types = pd.Series(["small"] * 5 + ["large"] * 5)
    x = pd.Series(np.r_[np.linspace(8, 9, 5), np.linspace(12, 13, 5)])
    guess, auc = logistic_size(types, x)
    assert guess.tolist() == types.tolist() and auc == 1.0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.floats(-50, 50, allow_nan=False)), min_size=3, max_size=70))
def test_spearman_is_scipys_spearmanr(points):
    from scipy.stats import spearmanr

    x = pd.Series([float(a) for a, _ in points])  # few values: ties
    y = pd.Series([b for _, b in points])
    assume(x.nunique() > 1 and y.nunique() > 1)
    rho, p, n = spearman(x, y)
    theirs = spearmanr(x, y)
    assert n == len(points)
    assert rho == pytest.approx(theirs.statistic, abs=CLOSED_FORM)
    assert p == pytest.approx(theirs.pvalue, abs=CLOSED_FORM)


def test_spearman_by_hand_and_its_edges():
    # Ranks 1..4 against 1, 3, 2, 4: Σd² = 2, ρ = 1 − 6·2 / (4·15) = 0.8; with 2 degrees of freedom
    # t = 0.8 √(2 / 0.36) and the two-sided p = 1 − t / √(2 + t²) = 1 − 0.8 = 0.2.
    rho, p, n = spearman(pd.Series([1.0, 2, 3, 4]), pd.Series([1.0, 3, 2, 4]))
    assert (rho, n) == (pytest.approx(0.8, abs=CLOSED_FORM), 4) and p == pytest.approx(0.2, abs=CLOSED_FORM)
    rho, p, _ = spearman(pd.Series([1.0, 2, 3, 4]), pd.Series([2.0, 4, 6, 9]))
    assert rho == 1.0 and p == 0.0  # a perfect order: t is infinite
    assert np.isnan(spearman(pd.Series([1.0, 1, 1]), pd.Series([1.0, 2, 3]))[0])  # one variable constant
    rho, _, n = spearman(pd.Series([1.0, 2, np.nan, 4]), pd.Series([1.0, np.nan, 3, 4]))
    assert np.isnan(rho) and n == 2  # too few units with both


def test_the_measures_have_one_home():
    # κ, the ARI and the AUC live in core.agreement; nothing in the package takes them from
    # scikit-learn again, nor imports scipy.stats, semopy or pingouin (the tests' oracles).
    import ast

    measures = {"adjusted_rand_score", "cohen_kappa_score", "roc_auc_score"}
    found = []
    for path in sorted((paths.ROOT / "typology").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {n}" for n in names
                      if n.split(".")[-1] in measures or n.startswith(("scipy.stats", "semopy", "pingouin"))]
    assert found == []


@pytest.mark.e2e
def test_a_default_run_imports_no_heavy_statistics_library(cli_run_imports, cli_run_dir):
    # A fresh interpreter's run (conftest.cli_run_imports, `python -X importtime -m typology run`), because
    # this one is no witness: the tests above import scikit-learn, scipy.stats and semopy as oracles,
    # and any of them stays in sys.modules once imported.
    heavy = ("sklearn", "scipy.stats", "semopy", "sympy", "pingouin")
    assert sorted(m for m in cli_run_imports if any(m == h or m.startswith(h + ".") for h in heavy)) == []
    assert (cli_run_dir / "validity.csv").stat().st_size > 0
