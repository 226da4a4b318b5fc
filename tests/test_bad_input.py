"""Bad input: one line naming what is wrong, exit code 2, nothing half written."""

from __future__ import annotations

import pytest

from typology import paths
from typology.core.ownership import MARKER, atomic_dir

from .conftest import run_cli, write_config


def check_fails(tmp_path, *args, match):
    out = tmp_path / "out"
    result = run_cli("run", *args, "--out", str(out))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in match:
        assert fragment in lines[0], lines[0]
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_unknown_config_key(tmp_path):
    cfg = write_config(tmp_path, "scoring:\n  weighting: {method: equal}\n")
    check_fails(tmp_path, str(cfg), match=["unknown config key 'scoring.weighting'", "cfg.yaml"])


def test_indicator_not_in_catalogue(tmp_path):
    cfg = write_config(tmp_path, "extends: default\nindicators:\n  economy: [grdp_per_capita, gdp_magic]\n")
    check_fails(tmp_path, str(cfg), match=["indicators.economy", "'gdp_magic' is not in the catalogue"])


def test_missing_data_file(tmp_path):
    cfg = write_config(tmp_path, "extends: default\ndata:\n  tables: [no_such_table.csv]\n")
    check_fails(tmp_path, str(cfg), match=["no_such_table.csv: data file not found"])


def test_invalid_yaml(tmp_path):
    cfg = write_config(tmp_path, "indicators: {economy: [a, b\n")
    check_fails(tmp_path, str(cfg), match=["cfg.yaml", "invalid YAML"])


def test_missing_config_file(tmp_path):
    check_fails(tmp_path, str(tmp_path / "absent.yaml"), match=["absent.yaml: config file not found"])


def test_unknown_method_lists_choices(tmp_path):
    check_fails(tmp_path, "--set", "scoring.normalise.method=robust",
                match=["scoring.normalise.method",
                       "expected one of distance_to_mean, goalposts, minmax, percentile, rank, zscore"])


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("99999,2020,env_ngos,3,mine", "row 3, column code: '99999' matches no unit"),
        ("11010,2020,env_ngos,many,mine", "row 3, column value: 'many' is not a number"),
        ("11010,2020,not_a_variable,3,mine", "row 3, column variable: 'not_a_variable'"),
        ("11010,2020,env_ngos,-3,mine", "count cannot be negative"),
        ("11010,2020,env_ngos,4,mine",
         "rows [2, 3]: env_ngos 2020 given twice for 서울특별시 종로구 (code 11010 in the table)"),
    ],
)
def test_bad_rows_in_a_user_table(tmp_path, row, fragment):
    table = tmp_path / "mine.csv"
    table.write_text("code,year,variable,value,source_id\n11010,2020,env_ngos,5,mine\n" + row + "\n",
                     encoding="utf-8")
    cfg = write_config(tmp_path, f"extends: default\ndata:\n  tables: [{table}]\n")
    check_fails(tmp_path, str(cfg), match=["mine.csv", fragment])


def test_user_table_missing_columns(tmp_path):
    table = tmp_path / "mine.csv"
    table.write_text("code,variable,value\n11010,env_ngos,5\n", encoding="utf-8")
    cfg = write_config(tmp_path, f"extends: default\ndata:\n  tables: [{table}]\n")
    check_fails(tmp_path, str(cfg), match=["mine.csv: missing columns ['year', 'source_id']"])


def test_user_table_cannot_overwrite_bundled_values(tmp_path):
    table = tmp_path / "mine.csv"
    table.write_text("code,year,variable,value,source_id\n11010,2020,fiscal_independence,99,mine\n", encoding="utf-8")
    cfg = write_config(tmp_path, f"extends: default\ndata:\n  tables: [{table}]\n")
    check_fails(tmp_path, str(cfg), match=["fiscal_independence 2020 for unit 11010 is already given by"])


def test_failed_write_keeps_the_previous_folder(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "scores.csv").write_text("old", encoding="utf-8")
    (target / MARKER).write_text("typology run folder\nfile scores.csv\n", encoding="utf-8")  # an earlier run
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "scores.csv").write_text("half", encoding="utf-8")
            raise RuntimeError("disk full")
    assert (target / "scores.csv").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_user_table_for_an_unbundled_indicator_is_used(tmp_path, default_config):
    """A researcher adds environmental NGOs as their own table: it flows into the scores."""
    lines = ["code,year,variable,value,source_id"]
    from typology.data.places import load_units

    for i, code in enumerate(load_units()["code"]):
        lines.append(f"{code},2020,env_ngos,{i % 7},my_survey")
    table = tmp_path / "ngos.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = write_config(tmp_path, f"extends: default\ndata:\n  tables: [{table}]\nindicators:\n"
                                 "  economy: [grdp_per_capita]\n  civic: [local_election_turnout, env_ngos_per_100k]\n"
                                 "  institution: [jumin_jachihoe]\n  capacity: [fiscal_independence]\n")
    # No static maps: the table's way into the scores is the point here, not the drawing.
    result = run_cli("run", str(cfg), "--out", str(tmp_path / "out"), "--set", "output.static_maps=false")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "out" / "scores.csv").read_text(encoding="utf-8-sig")
    assert "env_ngos_per_100k_norm" in text.splitlines()[0]
    assert str(paths.ROOT) not in text
