"""typology.method latent_class (StepMix): recovery on simulated data, probabilities, seeds, the bundled run.

The recovery tests use SYNTHETIC data (drawn here with a fixed seed, labelled as such): three
known classes, four continuous indicators and two 0/1 flags, some cells missing.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from tests.conftest import run_cli
from typology.errors import TypologyError
from typology.typologies.latent_class import LatentClassModel, fit_classes, measures, type_probabilities

LEVELS = ["continuous"] * 4 + ["binary"] * 2


def synthetic(n: int = 300, seed: int = 7, missing: float = 0.03) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """SYNTHETIC: three classes with separated means and flag rates; a covariate that shifts membership."""
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    logits = np.column_stack([np.zeros(n), 0.8 * size, -0.8 * size])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = np.array([rng.choice(3, p=row) for row in p])
    means = np.array([[2.0, 0.0, -2.0, 1.0], [-2.0, 2.0, 0.0, -1.0], [0.0, -2.0, 2.0, 0.0]])
    flags = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]])
    cont = means[truth] + rng.normal(scale=0.7, size=(n, 4))
    binary = (rng.random((n, 2)) < flags[truth]).astype(float)
    codes = [f"U{i:04d}" for i in range(n)]
    values = pd.DataFrame(np.column_stack([cont, binary]), index=codes, columns=[f"x{j}" for j in range(6)])
    values = values.mask(rng.random(values.shape) < missing)
    context = pd.DataFrame({"log_population": size, "class": rng.choice(["군", "시", "자치구"], n)}, index=codes)
    return values, context, truth


def _measures(values: pd.DataFrame, context: pd.DataFrame, covariates: list[str]):
    indicators = [SimpleNamespace(key=k, level=lv) for k, lv in zip(values.columns, LEVELS)]
    return measures(values, values, indicators, context, covariates)


def test_recovers_known_classes_from_mixed_indicators():
    values, context, truth = synthetic()
    data = _measures(values, context, ["log_population"])
    assert data.levels["x4"] == "binary" and not data.excluded
    fit, table = fit_classes(data, [2, 3, 4, 5], "auto", seed=3, options={"n_init": 3})
    assert int(table.loc[table["chosen"], "k"].iloc[0]) == 3  # BIC finds the true number
    assert adjusted_rand_score(truth, fit.labels_) >= 0.9
    assert np.allclose(fit.proba_.sum(axis=1), 1.0)
    assert 0.8 < table.loc[table["chosen"], "relative_entropy"].iloc[0] <= 1.0
    # the labels are the modal columns of proba_
    assert (fit.proba_.argmax(axis=1) + 1 == fit.labels_).all()


def test_same_seed_same_fit_and_type_probabilities_sum_to_one():
    values, context, _ = synthetic(n=200, seed=11)
    data = _measures(values, context, ["log_population", "class"])
    a = LatentClassModel(k=3, seed=5, n_init=2).fit(data)
    b = LatentClassModel(k=3, seed=5, n_init=2).fit(data)
    assert np.array_equal(a.proba_, b.proba_) and a.bic_ == b.bic_
    # classes 1 and 3 share a type: their probabilities are summed
    probs = type_probabilities(a, pd.Series({1: "t1", 2: "t2", 3: "t1"}), ["t1", "t2", "none"], values.index)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert (probs["prob_none"] == 0).all()
    assert np.allclose(probs["prob_t1"], a.proba_[:, 0] + a.proba_[:, 2], atol=1e-6)


def test_units_without_covariate_or_indicators_are_listed_not_guessed():
    values, context, _ = synthetic(n=120, seed=2)
    values.iloc[0] = np.nan
    context.iloc[1, 0] = np.nan
    data = _measures(values, context, ["log_population"])
    assert set(data.excluded) == {values.index[0], values.index[1]}
    assert "covariate" in data.excluded[values.index[1]]
    fit = LatentClassModel(k=2, seed=0, n_init=1).fit(data)
    assert values.index[0] not in fit.index_ and len(fit.index_) == 118


def test_bad_flag_and_unknown_covariate_are_one_line_errors():
    values, context, _ = synthetic(n=60)
    with pytest.raises(TypologyError, match="covariates: 'density' is not a unit attribute"):
        _measures(values, context, ["density"])
    values.iloc[3, 4] = 0.5
    with pytest.raises(TypologyError, match="x4.*0/1"):
        _measures(values, context, [])


def test_cli_latent_class_on_bundled_data_writes_probabilities(tmp_path):
    out = tmp_path / "lc"
    result = run_cli("run", "configs/default.yaml", "--set", "typology.method=latent_class",
                     "--set", "typology.k_range=[2, 4]", "--set", "validation.leave_one_out=false",
                     "--set", "output.static_maps=false", "--set", "output.xlsx=false", "--set", f"output.dir={out}")
    assert result.returncode == 0, result.stderr
    assert "method: latent_class" in result.stdout and "BIC" in result.stdout
    scores = pd.read_csv(out / "scores.csv", encoding="utf-8-sig", dtype={"code": str})
    probs = scores[[c for c in scores.columns if c.startswith("prob_")]]
    assert list(probs.columns) == ["prob_society_led", "prob_resource_combining", "prob_unclassified"]
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert scores["cluster"].notna().all()
    k_sel = pd.read_csv(out / "k_selection.csv", encoding="utf-8-sig")
    assert {"bic", "relative_entropy"} <= set(k_sel.columns) and k_sel["chosen"].sum() == 1
    assert k_sel.loc[k_sel["chosen"], "bic"].iloc[0] == k_sel["bic"].min()
    summary = pd.read_csv(out / "agreement_summary.csv", encoding="utf-8-sig").set_index("measure")["value"]
    assert -1 <= summary["ari_cluster_type_vs_rule_type"] <= 1
    assert (out / "latent_indicators.csv").exists()


def test_uncertainty_refuses_latent_class_in_one_line(tmp_path, monkeypatch):
    import typology.workflow.pipeline as pipeline

    def no_run(*args, **kwargs):
        raise AssertionError("the nominal run started before the latent class model was refused")

    monkeypatch.setattr(pipeline, "run", no_run)  # refused up front, not after a whole run
    result = run_cli("uncertainty", "configs/default.yaml", "--n", "4", "--set", "typology.method=latent_class",
                     "--set", "typology.k=2", "--set", "validation.leave_one_out=false", "--out", str(tmp_path / "u"))
    assert result.returncode == 2
    assert "uncertainty.typology: latent_class is not supported by typology uncertainty yet" in result.stderr


def test_check_uncertainty_passes_a_config_it_can_vary():
    from typology.core.config import load_config
    from typology.workflow.validate import check_uncertainty

    config = load_config("configs/default.yaml", ["typology.method=latent_class", "typology.k=2"])
    with pytest.raises(TypologyError, match="uncertainty.typology: latent_class is not supported"):
        check_uncertainty(config)
    fine = load_config("configs/default.yaml", ["typology.method=latent_class", "typology.k=2",
                                                "uncertainty.typology=[rules]"])
    assert check_uncertainty(fine) is fine
