"""Every option of the scoring engine, reached from the config and from --set, on the bundled data."""

from __future__ import annotations

import numpy as np
import pytest

from typology import load_config, paths, run
from typology.core.catalog import DIMENSIONS
from typology.data.places import load_units

from .conftest import run_cli, write_config

OPTIONS = [
    ["scoring.impute.method=mean"], ["scoring.impute.method=median"], ["scoring.impute.method=group_mean"],
    ["scoring.impute.method=group_median"], ["scoring.impute.method=knn", "scoring.impute.k=3"],
    ["scoring.impute.method=regression", "scoring.impute.seed=4"],
    ["scoring.treat.method=none"], ["scoring.treat.method=log"],
    ["scoring.treat.max_points=10", "scoring.treat.fallback=none", "scoring.treat.skew=2.5",
     "scoring.treat.kurtosis=5", "scoring.treat.skip=[net_migration_rate]"],
    ["scoring.normalise.method=minmax", "scoring.normalise.range=[1,100]", "scoring.aggregate.method=geometric",
     "scoring.composite.method=geometric"],
    ["scoring.normalise.method=percentile", "scoring.aggregate.method=geometric"],
    ["scoring.weights.method=pca"],
    ["scoring.weights.method=explicit", "scoring.weights.indicators={grdp_per_capita: 2}",
     "scoring.weights.dimensions={civic: 2}"],
]


def _step(result, name):
    return next(s for s in result.steps if s["step"] == name)


@pytest.mark.parametrize("overrides", OPTIONS, ids=lambda o: " ".join(o))
def test_every_option_is_reachable_from_set_and_recorded(overrides):
    result = run(load_config(paths.DEFAULT_CONFIG, overrides))
    for text in overrides:
        key, value = text.split("=", 1)
        block, param = key.split(".")[1:]
        step = {"weights": "weight", "composite": "aggregate"}.get(block, block)
        recorded = _step(result, step)
        if param == "method":
            assert recorded["composite" if block == "composite" else "method"] == value, text
        elif block != "weights":
            assert param in recorded["params"], text
    table = result.table()
    assert len(table) == 228 and table["composite"].notna().all()
    assert {"society_led", "resource_combining"} <= set(table["type"])


def test_imputation_fills_and_flags_the_five_missing_cells():
    result = run(load_config(paths.DEFAULT_CONFIG, ["scoring.impute.method=group_median"]))
    table = result.table().set_index("code")
    # 세종: its own 시도; absent from the migration source and from the ordinance list
    assert table.at["29010", "imputed_indicators"] == "net_migration_rate;participation_unit"
    assert table.at["29010", "missing_indicators"] == "net_migration_rate;participation_unit"  # raw stays observed
    assert np.isnan(table.at["29010", "participation_unit"])
    assert not np.isnan(table.at["29010", "participation_unit_norm"])
    assert (table["imputed_indicators"] != "").sum() == 4  # 세종 has two of the five cells
    assert len(result.tables["imputations"]) == 5
    assert _step(result, "impute")["national_fallback"] == {"net_migration_rate": 1, "participation_unit": 2}


def test_default_run_imputes_nothing_and_says_so(default_run):
    table = default_run.table()
    assert (table["imputed_indicators"] == "").all()
    assert (table["missing_indicators"] != "").sum() == 4
    assert default_run.tables["imputations"].empty
    assert list(default_run.tables["imputations"].columns) == ["code", "name", "sido", "indicator", "value", "method"]


def _goalposts(raw):
    # 5th and 95th percentiles of the bundled data, as a researcher might set them
    posts = {k: [float(raw[k].quantile(0.05)), float(raw[k].quantile(0.95))] for k in raw.columns}
    posts = {k: v if v[0] < v[1] else [float(raw[k].min()), float(raw[k].max())] for k, v in posts.items()}
    return "{" + ", ".join(f"{k}: [{lo!r}, {hi!r}]" for k, (lo, hi) in posts.items()) + "}"


@pytest.mark.parametrize("method", ["minmax", "rank", "percentile", "distance_to_mean", "goalposts"])
def test_switching_normalisation_changes_scores_but_keeps_every_region(method, default_run):
    overrides = [f"scoring.normalise.method={method}"]
    if method == "goalposts":
        overrides.append(f"scoring.normalise.goalposts={_goalposts(default_run.raw)}")
    result = run(load_config(paths.DEFAULT_CONFIG, overrides))
    table, base = result.table(), default_run.table()
    assert sorted(table["code"]) == sorted(load_units()["code"])
    for dim in [*DIMENSIONS, "composite"]:
        # the same units are scored (data availability does not depend on the method) …
        assert (table[dim].isna() == base[dim].isna()).all(), dim
    # … but the scores themselves differ
    assert not np.allclose(table["composite"], base["composite"])
    assert _step(result, "normalise")["method"] == method
    assert len(result.exclusions) == len(default_run.exclusions)


def test_invalid_values_fail_on_the_command_line_with_the_choices(tmp_path):
    result = run_cli("run", "--set", "scoring.treat.method=clip", "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: config key scoring.treat.method: expected one of log, none, winsorise, "
                                     "got 'clip'")
    result = run_cli("run", "--set", "scoring.impute.mehtod=knn", "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "expected one of method, k, seed" in result.stderr


def test_options_work_from_yaml_too(tmp_path):
    cfg = write_config(tmp_path, "extends: default\nscoring:\n  impute: {method: knn, k: 2}\n"
                                 "  weights: {method: pca}\n  normalise: {method: percentile}\n")
    result = run(load_config(cfg))
    assert _step(result, "impute")["params"] == {"k": 2}
    assert "pca" in _step(result, "weight")
    assert result.normalised.max().max() == 100.0
