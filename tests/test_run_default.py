"""End to end: the default config on the bundled real data, through the CLI (the run_dir fixture as a process of
its own, marked e2e; the other runs in this process)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from typology.data.places import load_units

from .conftest import run_cli
from .output_helpers import map_data


@pytest.fixture(scope="module")
def run_dir(cli_run_dir):
    # End to end, a process of its own (conftest.cli_run_dir): `python -m typology run` with no
    # arguments: configs/default.yaml → out/default/
    return cli_run_dir


@pytest.fixture(scope="module")
def scores(run_dir):
    return pd.read_csv(run_dir / "scores.csv", dtype={"code": str}, encoding="utf-8-sig")


@pytest.mark.e2e
def test_outputs_are_written(run_dir):
    for name in ("scores.csv", "scores.gpkg", "map.html", "manifest.json", "coverage.csv", "exclusions.csv",
                 "indicators.csv"):
        assert (run_dir / name).stat().st_size > 0, name
    assert not [p for p in run_dir.parent.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_scores_csv_has_bom_for_excel(run_dir):
    assert (run_dir / "scores.csv").read_bytes()[:3] == b"\xef\xbb\xbf"


def test_every_unit_appears_exactly_once(scores):
    assert scores["code"].is_unique
    assert set(scores["code"]) == set(load_units()["code"])
    assert len(scores) == 228


def test_required_columns(scores, default_config):
    required = {"code", "name", "sido", "economy", "civic", "institution", "capacity", "composite", "type",
                "type_ko", "reason"}
    assert required <= set(scores.columns)
    for keys in default_config["indicators"].values():
        for key in keys:
            assert key in scores.columns and f"{key}_norm" in scores.columns


def test_both_named_types_present_and_keys_come_from_config(scores, default_config):
    keys = {t["key"] for t in default_config["typology"]["types"]} | {default_config["typology"]["unclassified"]["key"]}
    assert set(scores["type"]) <= keys
    counts = scores["type"].value_counts()
    assert counts.get("society_led", 0) > 0 and counts.get("resource_combining", 0) > 0
    assert dict(zip(scores["type"], scores["type_ko"]))["society_led"] == "사회주도형"


def test_hand_checked_values_survive_to_the_output(scores):
    row = scores.set_index("code").loc["11010"]
    assert row["name"] == "종로구" and row["sido"] == "서울특별시"
    assert row["fiscal_independence"] == 53.7


def test_reason_matches_type(scores):
    for _, row in scores.iterrows():
        assert row["reason"].endswith(f"→ {row['type_ko']}") or row["type"] == "unclassified"


def test_zscore_is_centred(scores):
    assert abs(scores["fiscal_independence_norm"].mean()) < 1e-9


def test_map_has_every_unit_and_a_legend(run_dir):
    html = (run_dir / "map.html").read_text(encoding="utf-8")
    data = map_data(html)
    assert len({f["properties"]["c"] for f in data["units"]["features"]}) == 228
    assert "사회주도형 (Society-led)" in data["layers"][0]["labels"] and "typology-legend" in html


def test_manifest_records_config_inputs_and_versions(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["scoring"]["normalise"]["method"] == "zscore"
    assert "indicators/data/variables.csv" in manifest["inputs"]
    assert len(manifest["inputs"]["indicators/catalog.yaml"]) == 64
    assert manifest["packages"]["pandas"] != "not installed"
    # the default adjusts staff per resident for size (scoring.adjust) before normalising
    assert [s["step"] for s in manifest["steps"]][:7] == ["config", "load", "transform", "impute", "treat", "adjust",
                                                          "normalise"]


def test_two_runs_give_byte_identical_scores(run_dir, default_run_folder):
    # Two runs of configs/default.yaml in two processes: `python -m typology run` (run_dir) and the
    # session's shared run in this one (conftest.default_run_folder), so no third run is needed and
    # the bytes are still compared across interpreters (hash seeds, import order).
    assert (default_run_folder / "scores.csv").read_bytes() == (run_dir / "scores.csv").read_bytes()


def test_coverage_flags_weak_dimensions(run_dir):
    coverage = pd.read_csv(run_dir / "coverage.csv", encoding="utf-8-sig").set_index("dimension")
    assert coverage.at["institution", "quality"] == "weak proxies only"
    assert coverage.at["capacity", "quality"] == "direct measures"
    assert "환경운동수준" in coverage.at["civic", "study_indicators_missing"]


def test_reference_year_2015_reads_the_2015_era_data(tmp_path):
    # population_growth is the 2015-era inflow measure (net migration starts in 2023)
    result = run_cli("run", "--set", "reference_year=2015", "--set",
                     "indicators.economy=[grdp_per_capita, establishments_per_1000, population_growth]",
                     "--set", "output.static_maps=false",  # the years read are the point, not the drawing
                     "--out", str(tmp_path / "y2015"))
    assert result.returncode == 0, result.stderr
    assert "note:" in result.stdout and "staff_per_1000 (2015;2026)" in result.stdout
    years = pd.read_csv(tmp_path / "y2015" / "indicators.csv", encoding="utf-8-sig").set_index("indicator")
    assert years.at["grdp_per_capita", "years"] == "2015"
    assert years.at["local_election_turnout", "years"] == "2014"
    assert years.at["population_growth", "years"] == "2010;2015"
    assert years.at["fiscal_independence", "years"] == "2017"
    scores = pd.read_csv(tmp_path / "y2015" / "scores.csv", dtype={"code": str}, encoding="utf-8-sig")
    assert len(scores) == 228
    # 세종 has no comparable 2010 area, so its 2010→2015 growth is missing, not invented.
    assert pd.isna(scores.set_index("code").at["29010", "population_growth"])
