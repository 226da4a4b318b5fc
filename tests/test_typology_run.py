"""The typology step on the bundled real data, through the pipeline and the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from typology import load_config, paths, run
from typology.render.type_sections import agreement_section, cluster_section, types_section
from typology.typologies.classify import classify

from .conftest import run_cli, write_config
from .typology_synth import CATALOG, TYPES, planted, typology

# Fast: fewer bootstrap replicates, no leave-one-out re-typing (tests/test_validity.py covers it) and no
# static maps (their drawing is the maps process's tests'; test_progress draws a kmeans run's).
FAST = ["--set", "typology.bootstrap.n=10", "--set", "validation.leave_one_out=false",
        "--set", "output.static_maps=false"]


def read_scores(folder):
    return pd.read_csv(folder / "scores.csv", dtype={"code": str}, encoding="utf-8-sig")


def test_default_run_types_policies_and_stability(default_run):
    typed = default_run.typed
    assert {"type", "type_ko", "reason", "type_stability", "type_unstable"} <= set(typed.columns)
    assert typed["type_stability"].between(0, 1).all()
    assert typed["type_unstable"].equals((typed["type_stability"] < 0.7).astype("boolean"))
    types = default_run.tables["types"].set_index("key")
    assert types.loc["society_led", "name_ko"] == "사회주도형"
    assert "재량권" in types.loc["society_led", "policy_ko"]
    assert "guidelines" in types.loc["resource_combining", "policy_en"]
    assert types.loc[["society_led", "resource_combining"], "regions"].sum() == 228
    assert {s.key for s in default_run.sections} >= {"types", "stability"}
    step = next(s for s in default_run.steps if s["step"] == "classify")
    assert step["bootstrap"]["n"] == 100 and step["bootstrap"]["seed"] == 2019


@pytest.fixture(scope="module")
def kmeans_dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("kmeans")
    dirs = []
    for name in ("a", "b"):
        result = run_cli("run", "configs/kmeans.yaml", "--out", str(base / name), *FAST)
        assert result.returncode == 0, result.stderr
        dirs.append(base / name)
    return dirs


def test_kmeans_writes_types_reasons_stability_and_agreement(kmeans_dirs):
    out = kmeans_dirs[0]
    for name in ("k_selection.csv", "k_selection.png", "clusters.csv", "agreement.csv", "agreement_summary.csv",
                 "stability.csv", "types.csv"):
        assert (out / name).stat().st_size > 0, name
    scores = read_scores(out)
    assert set(scores["type"]) <= {"society_led", "resource_combining"}
    assert scores["reason"].str.match(r"^군집 \d+ \(중심: 사회 축 ").all()
    assert scores["cluster"].notna().all() and scores["rule_type"].notna().all()
    k_sel = pd.read_csv(out / "k_selection.csv", encoding="utf-8-sig")
    chosen = int(k_sel.loc[k_sel["chosen"], "k"].item())
    assert scores["cluster"].nunique() == chosen
    cross = pd.read_csv(out / "agreement.csv", encoding="utf-8-sig")
    assert cross["total"].sum() == 228
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    step = next(s for s in manifest["steps"] if s["step"] == "classify")
    assert step["k"] == chosen and -1 <= step["agreement"]["ari_cluster_type_vs_rule_type"] <= 1


def test_two_kmeans_runs_give_byte_identical_outputs(kmeans_dirs):
    a, b = kmeans_dirs
    for name in ("scores.csv", "clusters.csv", "k_selection.csv", "stability.csv", "agreement.csv", "types.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_skater_warns_about_islands_on_the_real_geometry(tmp_path):
    result = run_cli("run", "configs/skater.yaml", "--out", str(tmp_path / "out"), "--set", "typology.k=3",
                     "--set", "typology.k_range=[2, 3]", "--set", "typology.bootstrap.n=3",
                     "--set", "validation.leave_one_out=false", "--set", "output.static_maps=false")
    assert result.returncode == 0, result.stderr
    assert "warning: 9 units have no land neighbour" in result.stderr
    assert "울릉군(37430) → 울진군(37420)" in result.stderr
    assert "typology.contiguity.islands: nearest" in result.stderr
    scores = read_scores(tmp_path / "out")
    assert scores["cluster"].nunique() == 3


def test_ward_spatial_own_keeps_islands_apart():
    config = load_config(paths.CONFIGS_DIR / "skater.yaml",
                         ["typology.method=ward_spatial", "typology.k=3", "typology.k_range=[2, 3]",
                          "typology.bootstrap.n=0", "typology.contiguity.islands=own",
                          "validation.leave_one_out=false"])
    with pytest.warns(UserWarning, match="kept as their own regions"):
        result = run(config)
    clusters = result.typed["cluster"]
    assert clusters.nunique() == 3 + 9
    assert clusters.value_counts().sort_values().head(9).tolist() == [1] * 9
    assert clusters["37430"] != clusters["37420"]


def test_quadrants_config_names_four_types_two_marked_as_extension(tmp_path):
    result = run_cli("run", "configs/quadrants.yaml", "--out", str(tmp_path / "q"), *FAST)
    assert result.returncode == 0, result.stderr
    types = pd.read_csv(tmp_path / "q" / "types.csv", encoding="utf-8-sig").set_index("key")
    assert types.loc["society_led", "name_ko"] == "사회주도형" and not types.loc["society_led", "extension"]
    assert types.loc["resource_combining", "name_ko"] == "자원결합형"
    extensions = types.index[types["extension"]].tolist()
    assert len(extensions) == 2
    assert all("(확장)" in types.loc[k, "name_ko"] and "extension" in types.loc[k, "name_en"] for k in extensions)
    assert types.loc[["society_led", "resource_combining", *extensions], "regions"].sum() == 228
    assert (types.loc[extensions, "regions"] > 0).all()


@pytest.mark.parametrize(("sets", "fragment"), [
    (["typology.method=kmedoids"], "config key typology.method: expected one of gmm, kmeans, latent_class, rules, "
                                  "skater, ward, ward_spatial, got 'kmedoids'"),
    (["typology.method=kmeans", "typology.k=400"], "typology.k: 400 clusters is more than the 228 regions"),
])
def test_bad_typology_settings_fail_with_one_line(tmp_path, sets, fragment):
    args = [a for s in sets for a in ("--set", s)]
    result = run_cli("run", "--out", str(tmp_path / "out"), *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert fragment in result.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_option_key_in_config_is_caught(tmp_path):
    cfg = write_config(tmp_path, "extends: default\ntypology:\n  options:\n    kmeans: {n_starts: 3}\n")
    result = run_cli("run", str(cfg), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "typology.options.kmeans.n_starts" in result.stderr


def test_report_sections_escape_config_text():
    scores, _ = planted(n_per=5)
    evil = [{**TYPES[0], "name_ko": "<script>alert(1)</script>", "policy_ko": "a & b"}, TYPES[1]]
    config = typology("kmeans", k=3, k_range=[2, 3], types=evil)
    out = classify(scores, config, CATALOG)
    step = out.steps[0]
    html = "\n".join([types_section(out.tables["types"], "kmeans", config["unclassified"]["key"]).html,
                      cluster_section(out.tables["clusters"], "kmeans", step["k"]).html,
                      agreement_section(out.tables["agreement"], step["agreement"]).html])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    # the policy texts live in the report's own type block (report.types_html), not a second time here
    assert "a &amp; b" not in html and "a & b" not in html
