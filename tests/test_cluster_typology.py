"""Cluster methods on synthetic planted clusters: recovery, naming by rules, reasons, determinism, errors."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from typology import paths
from typology.core.config import SCHEMA, load_config
from typology.errors import TypologyError
from typology.render.type_sections import k_plot
from typology.typologies.classify import TYPOLOGIES, classify
from typology.typologies.cluster import GMMClusters, canonical_labels
from typology.workflow.validate import validate

from .typology_synth import CATALOG, planted, typology


@pytest.mark.parametrize("method", ["kmeans", "ward", "gmm"])
def test_planted_clusters_are_recovered(method):
    scores, truth = planted()
    out = classify(scores, typology(method, k=3), CATALOG)
    clusters = out.typed["cluster"].to_numpy(dtype=int)
    assert adjusted_rand_score(truth, clusters) >= 0.9


@pytest.mark.parametrize("method", ["kmeans", "ward"])
def test_k_auto_finds_the_planted_number(method):
    scores, _ = planted()
    out = classify(scores, typology(method), CATALOG)
    table = out.tables["k_selection"]
    assert table.loc[table["chosen"], "k"].tolist() == [3]
    assert list(table["k"]) == [2, 3, 4, 5, 6]
    assert {"silhouette", "calinski_harabasz", "davies_bouldin", "mean_rank"} <= set(table.columns)
    assert k_plot(table, 3, method)[:8] == b"\x89PNG\r\n\x1a\n"


def test_clusters_are_named_by_the_rules_through_their_centroid():
    scores, truth = planted()
    out = classify(scores, typology("kmeans", k=3), CATALOG)
    clusters = out.tables["clusters"].set_index("cluster")
    # planted cluster 0 (society-strong) is the first in code order → cluster 1
    assert clusters.loc[1, "type"] == "society_led"
    assert clusters.loc[2, "type"] == "resource_combining"
    assert clusters.loc[3, "type"] == "resource_combining"  # both weak: society axis below the mean
    assert clusters["size"].tolist() == [30, 30, 30]
    centroid = scores[truth == 0].mean()
    assert clusters.loc[1, "mean_civic"] == pytest.approx(centroid["civic"], abs=1e-4)
    assert set(out.typed["type"]) == {"society_led", "resource_combining"}


def test_every_region_gets_a_reason_with_cluster_centroid_and_own_position():
    scores, _ = planted()
    out = classify(scores, typology("kmeans", k=3), CATALOG)
    reason = out.typed.at["10000", "reason"]
    assert reason.startswith("군집 1 (중심: 사회 축 ")
    threshold = scores[["civic", "institution"]].mean(axis=1).mean()
    assert f"≥ 평균 {threshold:+.2f}) → 사회주도형; 이 지역: 사회 축 " in reason
    assert "자원 축" in reason.split("이 지역:")[1]
    assert out.typed["reason"].str.len().gt(0).all()


def test_missing_scores_leave_a_unit_unclassified_with_a_reason():
    scores, _ = planted()
    scores.loc["10005", "civic"] = np.nan
    out = classify(scores, typology("kmeans", k=3), CATALOG)
    assert out.typed.at["10005", "type"] == "unclassified"
    assert "civic_ko" in out.typed.at["10005", "reason"]
    assert pd.isna(out.typed.at["10005", "cluster"])
    assert out.typed["cluster"].notna().sum() == 89


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_fixed_seed_gives_identical_labels(method):
    scores, _ = planted(spread=0.9)  # overlapping clusters, so starts matter
    a = classify(scores, typology(method, k=4, seed=3), CATALOG).typed
    b = classify(scores, typology(method, k=4, seed=3), CATALOG).typed
    pd.testing.assert_frame_equal(a, b)


def test_canonical_labels_number_by_first_appearance():
    assert canonical_labels(np.array([7, 7, 2, 9, 2])).tolist() == [1, 1, 2, 3, 2]


def test_rule_vs_cluster_agreement_is_reported():
    scores, _ = planted()
    out = classify(scores, typology("kmeans", k=3), CATALOG)
    summary = dict(zip(out.tables["agreement_summary"]["measure"], out.tables["agreement_summary"]["value"]))
    # clusters named by rules agree exactly with the rules on such well-separated data
    assert summary["ari_cluster_type_vs_rule_type"] == pytest.approx(1.0)
    assert summary["share_same_type"] == pytest.approx(1.0)
    cross = out.tables["agreement"]
    assert cross["total"].sum() == 90
    assert cross.loc[cross["cluster"] == 1, "rules_society_led"].item() == 30


def test_types_table_carries_policy_and_counts():
    scores, _ = planted()
    types = classify(scores, typology("kmeans", k=3), CATALOG).tables["types"].set_index("key")
    assert types.loc["society_led", "regions"] == 30
    assert types.loc["resource_combining", "regions"] == 60
    assert types.loc["society_led", "policy_ko"] == "재량권"
    assert not types.loc["society_led", "extension"]


def test_unknown_method_is_a_clear_error():
    scores, _ = planted()
    with pytest.raises(TypologyError, match=r"typology.method: unknown typology method 'kmedoids'.*kmeans"):
        classify(scores, typology("kmedoids"), CATALOG)


def test_k_larger_than_the_regions_is_a_clear_error():
    scores, _ = planted(n_per=3)
    with pytest.raises(TypologyError, match=r"typology.k: 50 clusters is more than the 9 regions"):
        classify(scores, typology("kmeans", k=50, k_range=[2, 3]), CATALOG)
    with pytest.raises(TypologyError, match=r"typology.k_range: largest k 12"):
        classify(scores, typology("kmeans", k_range=[2, 12]), CATALOG)


@pytest.mark.parametrize(("overrides", "match"), [
    (["typology.k=1"], "config key typology.k: expected auto or a whole number ≥ 2, got 1"),
    (["typology.k=many"], "config key typology.k: expected auto or a whole number ≥ 2, got 'many'"),
    (["typology.k_rule=elbow"], "config key typology.k_rule: expected one of mean_rank, silhouette, got 'elbow'"),
    (["typology.features=indicators"], "config key typology.features: expected one of dimensions, axes"),
    (["typology.options.kmeans.n_inits=3"], "unknown config key 'typology.options.kmeans.n_inits'; expected one of "
                                            "n_init, max_iter"),
    (["typology.method=gmm", "typology.options.gmm.covariance_type=round"],
     "config key typology.options.gmm.covariance_type: expected one of full, tied, diag, spherical, got 'round'"),
    (["typology.bootstrap.n=-1"], "config key typology.bootstrap.n: expected a whole number in"),
    (["typology.bootstrap.unstable_below=1.5"], "config key typology.bootstrap.unstable_below: expected a number"),
    (["typology.contiguity.islands=drop"], "config key typology.contiguity.islands: expected one of nearest, own"),
])
def test_bad_settings_are_clear_errors(overrides, match):
    # The typology settings are checked once, with the whole config (typology.workflow.validate); classify
    # takes them typed and checks nothing again.
    with pytest.raises(TypologyError, match=re.escape(match)):
        validate(load_config(paths.DEFAULT_CONFIG, overrides))


def test_an_unknown_option_in_a_config_dict_given_to_run_is_caught_up_front():
    config = load_config(paths.DEFAULT_CONFIG)
    config["typology"]["options"]["kmeans"]["n_inits"] = 3  # a dict built by hand skips load_config's key check
    with pytest.raises(TypologyError, match=re.escape("unknown config key 'typology.options.kmeans.n_inits'")):
        validate(config)


def test_the_gmm_estimator_names_a_config_key_that_exists():
    scores, _ = planted(n_per=5)
    with pytest.raises(TypologyError) as caught:
        GMMClusters(k=2, covariance_type="round").fit(scores)
    key = str(caught.value).split("config key ", 1)[1].split(":", 1)[0]
    node = SCHEMA
    for part in key.split("."):
        node = node[part]  # KeyError if the message names a key the config cannot hold
    assert key == "typology.options.gmm.covariance_type"


def test_registry_holds_every_method():
    assert TYPOLOGIES.names() == ["gmm", "kmeans", "latent_class", "rules", "skater", "ward", "ward_spatial"]


def test_axes_as_features():
    scores, truth = planted()
    out = classify(scores, typology("kmeans", k=3, features="axes"), CATALOG)
    assert adjusted_rand_score(truth, out.typed["cluster"].to_numpy(dtype=int)) >= 0.9
    assert out.steps[0]["features"] == "axes"
