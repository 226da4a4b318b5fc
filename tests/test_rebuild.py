"""`typology rebuild <manifest.json>`: the same inputs give byte-identical tables; changed inputs are refused."""

from __future__ import annotations

import json

import pytest

from typology import load_config, run
from typology.data.places import load_units
from typology.errors import TypologyError
from typology.workflow.outputs import write_run
from typology.workflow.rebuild import rebuild

from .conftest import copy_folder, run_cli, write_config


def test_rebuild_of_the_default_run_is_byte_identical(cli_run_dir, tmp_path):
    original = copy_folder(cli_run_dir, tmp_path / "default")  # `typology run`'s folder (conftest.cli_run_dir)
    result = run_cli("rebuild", str(original / "manifest.json"))
    assert result.returncode == 0, result.stderr
    rebuilt = tmp_path / "default-rebuild"
    assert "identical to the original run: audit.csv, coverage.csv" in result.stdout
    for name in ("scores.csv", "audit.csv", "exclusions.csv", "indicators.csv", "coverage.csv", "imputations.csv"):
        assert (rebuilt / name).read_bytes() == (original / name).read_bytes(), name
    manifest = json.loads((original / "manifest.json").read_text(encoding="utf-8"))
    assert [s["step"] for s in manifest["steps"]] == ["config", "load", "transform", "impute", "treat", "adjust",
                                                      "normalise", "weight", "aggregate", "coherence", "classify",
                                                      "validity"]


@pytest.fixture(scope="module")
def user_run(tmp_path_factory):
    """A config outside the project, with a relative path to the user's own table and non-default methods.

    Shared by the tests below; a test that changes a file puts it back.
    """
    tmp_path = tmp_path_factory.mktemp("user")
    lines = ["code,year,variable,value,source_id"]
    for i, code in enumerate(load_units()["code"]):
        if i % 17:
            lines.append(f"{code},2020,env_ngos,{(i * 7) % 13},my_survey")
    home = tmp_path / "home"
    home.mkdir()
    (home / "ngos.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = write_config(home, "extends: default\ndata:\n  tables: [ngos.csv]\nindicators:\n"
                             "  civic: [local_election_turnout, early_voting_rate, env_ngos_per_100k]\n"
                             "scoring:\n  impute: {method: knn, k: 4}\n  weights: {method: pca}\n"
                             "typology:\n  types:\n    - {key: both, name_ko: 둘다, name_en: Both,\n"
                             "       when: {society: '>= mean', resource: '>= mean'}}\n"
                             "    - {key: rest, name_ko: 나머지, name_en: Rest, when: {}}\n"
                             # no static maps: finding and checking inputs is the point here; the maps
                             # are rebuilt byte for byte in the Seoul example's rebuild below
                             "output: {static_maps: false}\n", name="mine.yaml")
    out = tmp_path / "runs" / "mine"
    write_run(run(load_config(cfg)), out)
    return home, out


def test_rebuild_finds_tables_named_relative_to_a_config_it_cannot_see(user_run, tmp_path):
    home, out = user_run
    report = rebuild(out / "manifest.json", tmp_path / "again")
    assert "scores.csv" in report.identical and not report.different
    assert (tmp_path / "again" / "imputations.csv").read_bytes() == (out / "imputations.csv").read_bytes()
    scores = (out / "scores.csv").read_text(encoding="utf-8-sig")
    assert "→ 둘다" in scores  # the reason text lists society, then resource, as the config does


def test_rebuild_refuses_changed_inputs(user_run, tmp_path):
    home, out = user_run
    table = home / "ngos.csv"
    before = table.read_bytes()
    table.write_bytes(before + b"\n")
    try:
        result = run_cli("rebuild", str(out / "manifest.json"), "--out", str(tmp_path / "again"))
    finally:
        table.write_bytes(before)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "changed since the run" in result.stderr and "ngos.csv" in result.stderr
    assert "refusing to rebuild" in result.stderr
    assert not (tmp_path / "again").exists()


def test_rebuild_refuses_missing_inputs(user_run, tmp_path):
    home, out = user_run
    (home / "ngos.csv").rename(home / "moved.csv")
    try:
        with pytest.raises(TypologyError, match=r"inputs missing \[.*ngos.csv'\]; refusing to rebuild"):
            rebuild(out / "manifest.json", tmp_path / "again")
    finally:
        (home / "moved.csv").rename(home / "ngos.csv")


def test_rebuild_reports_tables_that_differ(user_run, tmp_path):
    _, out = user_run
    before = (out / "scores.csv").read_bytes()
    (out / "scores.csv").write_bytes(before + b"tampered\n")
    try:
        result = run_cli("rebuild", str(out / "manifest.json"), "--out", str(tmp_path / "again"))
    finally:
        (out / "scores.csv").write_bytes(before)
    assert result.returncode == 1
    assert "differ from the original run: scores.csv" in result.stderr


def test_bad_manifests_are_one_line_errors(tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text("{not json", encoding="utf-8")
    result = run_cli("rebuild", str(bad))
    assert result.returncode == 2 and "manifest.json: not a JSON manifest" in result.stderr
    bad.write_text('{"tool": "typology"}', encoding="utf-8")
    with pytest.raises(TypologyError, match=r"not a typology run manifest; missing \['config', 'inputs', 'steps'\]"):
        rebuild(bad)
    with pytest.raises(TypologyError, match="manifest not found"):
        rebuild(tmp_path / "nope.json")


def test_rebuild_will_not_overwrite_the_run_it_rebuilds(user_run):
    _, out = user_run
    with pytest.raises(TypologyError, match="that is the folder being rebuilt"):
        rebuild(out / "manifest.json", out)


def test_manifest_keeps_the_config_in_its_own_key_order(default_run, tmp_path):
    # The order of the axes and of a type's conditions shows in the tables; a sorted manifest
    # would lose it, so the config is stored as the run resolved it.
    from typology.workflow.manifest import manifest

    recorded = json.loads(json.dumps(manifest(default_run)["config"]))
    given = {k: v for k, v in default_run.config.items() if not k.startswith("_")}
    assert json.dumps(recorded, ensure_ascii=False) == json.dumps(given, ensure_ascii=False)
    assert list(recorded["typology"]["axes"]) == list(default_run.config["typology"]["axes"])



def test_rebuild_of_a_run_with_mapping_tables_and_a_project_catalogue(seoul_example_folder, tmp_path):
    # The Seoul example reads a table through a mapping entry (layout, sido) and defines its
    # indicators in a project catalogue beside the config; both used to stop a rebuild.
    # `typology run configs/examples/seoul.yaml`, shared (conftest); rebuild only reads it.
    out = seoul_example_folder
    report = rebuild(out / "manifest.json", tmp_path / "again")
    assert not report.different and not report.absent
    assert {"scores.csv", "report.html", "map.html", "manifest.json", "scores.xlsx"} <= set(report.identical)
