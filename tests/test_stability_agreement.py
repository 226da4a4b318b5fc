"""Bootstrap stability, Jaccard, rule-vs-cluster agreement and the choice of k, on hand-checked values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from typology.render.type_sections import k_plot
from typology.typologies import agreement, choose_k
from typology.typologies.classify import classify
from typology.typologies.stability import bootstrap, jaccard_best

from .typology_synth import CATALOG, planted, typology


def test_jaccard_best_hand_checked():
    ref = np.array(["a", "a", "a", "b", "b"])
    rep = np.array([1, 1, 2, 2, 2])
    groups, best = jaccard_best(ref, rep)
    # a = {0,1,2}: with {0,1} → 2/3, with {2,3,4} → 1/5; b = {3,4}: with {2,3,4} → 2/3
    assert groups.tolist() == ["a", "b"]
    assert best == pytest.approx([2 / 3, 2 / 3])


def test_bootstrap_counts_only_drawn_units_and_is_seeded():
    codes = pd.Index([f"u{i}" for i in range(6)])
    groups = pd.Series([1, 1, 1, 2, 2, 2], index=codes)

    def refit(positions):  # u0 flips type whenever it is drawn; everything else keeps its group
        drawn = pd.Index(sorted(set(codes[positions])))
        out = pd.DataFrame({"group": groups[drawn].to_numpy(), "type": groups[drawn].astype(str).to_numpy()},
                           index=drawn)
        out.loc[out.index == "u0", "type"] = "other"
        return out

    types = groups.astype(str)
    a = bootstrap(groups, types, refit, n=30, seed=5)
    b = bootstrap(groups, types, refit, n=30, seed=5)
    pd.testing.assert_series_equal(a.probability, b.probability)
    assert a.probability["u0"] == 0.0
    assert (a.probability.drop("u0") == 1.0).all()
    assert a.jaccard.tolist() == [1.0, 1.0]
    assert a.draws.between(1, 30).all()


def test_bootstrap_skips_replicates_too_small_to_type():
    groups = pd.Series([1, 2], index=["a", "b"])
    stab = bootstrap(groups, groups, lambda positions: None, n=4, seed=0)
    assert stab.probability.isna().all() and stab.jaccard.isna().all()


def test_rules_bootstrap_flags_units_near_the_threshold():
    # Synthetic: society axis values spread widely, with one unit sitting right at the mean.
    rng = np.random.default_rng(0)
    civic = np.concatenate([rng.normal(-2, 0.2, 20), rng.normal(2, 0.2, 20), [0.0]])
    civic[-1] = civic[:-1].mean()  # then it is also the mean of all 41
    scores = pd.DataFrame({"economy": 0.0, "civic": civic, "institution": civic, "capacity": 0.0},
                          index=pd.Index([f"{10000 + i}" for i in range(41)], name="code"))
    spec = typology("rules", bootstrap={"n": 60, "unstable_below": 0.7})
    out = classify(scores, spec, CATALOG)
    typed = out.typed
    assert typed.at["10040", "type_unstable"]
    assert 0.2 < typed.at["10040", "type_stability"] < 0.8
    assert not typed["type_unstable"].drop("10040").any()
    assert out.steps[0]["bootstrap"]["unstable_regions"] == 1
    assert set(out.tables["stability"]["group"]) == {"society_led", "resource_combining"}


def test_cluster_bootstrap_on_planted_clusters_is_stable():
    scores, _ = planted()
    out = classify(scores, typology("kmeans", k=3, bootstrap={"n": 15, "unstable_below": 0.7}), CATALOG)
    assert (out.typed["type_stability"] == 1.0).all()
    assert not out.typed["type_unstable"].any()
    assert out.tables["clusters"]["jaccard"].min() > 0.95


def test_bootstrap_off():
    scores, _ = planted(n_per=5)
    out = classify(scores, typology("kmeans", k=3, k_range=[2, 3], bootstrap={"n": 0}), CATALOG)
    assert out.typed["type_stability"].isna().all()
    assert "stability" not in out.tables


def test_crosstab_and_ari_hand_checked():
    clusters = pd.Series([1, 1, 2, 2, 3])
    cluster_types = pd.Series(["s", "s", "r", "r", "r"])
    rule_types = pd.Series(["s", "r", "r", "r", "r"])
    table = agreement.crosstab(clusters, cluster_types, rule_types, ["s", "r"])
    assert table.columns.tolist() == ["cluster", "cluster_type", "rules_s", "rules_r", "total"]
    assert table.values.tolist() == [[1, "s", 1, 1, 2], [2, "r", 0, 2, 2], [3, "r", 0, 1, 1]]
    summary = agreement.summary(clusters, cluster_types, rule_types)
    assert summary["share_same_type"] == pytest.approx(0.8)
    assert summary["regions_compared"] == 5
    same = agreement.summary(clusters, cluster_types, cluster_types)
    assert same["ari_cluster_type_vs_rule_type"] == pytest.approx(1.0)


def test_k_rules_and_tie_break():
    table = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.5, 0.6, 0.6], "calinski_harabasz": [10, 30, 20],
                          "davies_bouldin": [1.0, 0.8, 0.5]})
    for name, higher in choose_k.INDICES.items():
        table[f"{name}_rank"] = table[name].rank(ascending=not higher, method="min")
    table["mean_rank"] = table[[f"{n}_rank" for n in choose_k.INDICES]].mean(axis=1)
    # ranks: k=3 → (1, 1, 2) = 4/3; k=4 → (1, 2, 1) = 4/3: a tie, the smaller k wins
    assert choose_k.by_mean_rank(table) == 3
    assert choose_k.by_silhouette(table) == 3


def test_k_table_marks_degenerate_partitions():
    X = np.arange(10, dtype=float).reshape(-1, 1)
    table = choose_k.k_table(X, [2, 3], lambda k: np.ones(10, dtype=int))  # a method that found one cluster
    assert table["silhouette"].isna().all()
    assert table["clusters_found"].tolist() == [1, 1]


def test_plot_is_deterministic_png():
    table = pd.DataFrame({"k": [2, 3], "silhouette": [0.1, 0.2], "calinski_harabasz": [1, 2],
                          "davies_bouldin": [2, 1]})
    a = k_plot(table, 3, "synthetic")
    assert a[:4] == b"\x89PNG" and a == k_plot(table, 3, "synthetic")
