"""Hostile and careless input, second round (issue 20): one in-process case per failure class.

Each case failed before the fix: a file outside --out deleted through the marker, a user's file
lost from a folder without a marker, the earlier run lost after a killed swap, a symbolic link
replaced, a file replaced by fetch or beside the run folder, values put on the wrong region,
edited outputs loaded silently, file contents in errors, control characters in the CSV files,
unbounded work, and usage errors as a box instead of one line.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

from typology.core.ownership import MARKER, atomic_dir
from typology.errors import TypologyError

from .conftest import copy_folder, run_cli, write_config

# The error-line check, the fast runs' settings and the fixture that holds progress lines back, shared with
# the first round.
from .test_hostile_inputs import QUICK, _no_progress_lines, one_line_error  # noqa: F401

DEAD_PID = "pid 999999999"


def write_into(target: Path, **files: str) -> None:
    with atomic_dir(target) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")


# ---- data loss ------------------------------------------------------------------------------------

def test_a_marker_cannot_point_the_cleanup_outside_the_folder_or_at_a_users_file(tmp_path):
    victim, absolute = tmp_path / "victim.txt", tmp_path / "elsewhere" / "abs.txt"
    absolute.parent.mkdir()
    for path in (victim, absolute):
        path.write_text("someone's", encoding="utf-8")
    run = tmp_path / "run"
    run.mkdir()
    (run / "mine.txt").write_text("my notes", encoding="utf-8")  # the marker lists it, the tool never wrote it
    (run / "added.txt").write_text("added", encoding="utf-8")  # not listed: the run's files go in one by one
    (run / MARKER).write_text(f"typology run folder\nfile ../victim.txt\nfile {absolute}\nfile mine.txt\n",
                              encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_into(run, **{"a.csv": "a"})
    assert victim.read_text(encoding="utf-8") == "someone's" and absolute.is_file()
    assert (run / "mine.txt").read_text(encoding="utf-8") == "my notes" and (run / "a.csv").is_file()
    assert (run / "added.txt").is_file()
    assert any("not the plain name" in str(w.message) for w in caught)


def test_a_folder_from_before_markers_keeps_files_its_manifest_does_not_record(tmp_path):
    old = tmp_path / "default"
    old.mkdir()
    (old / "scores.csv").write_text("the old run's", encoding="utf-8")
    sha = __import__("hashlib").sha256(b"the old run's").hexdigest()
    (old / "manifest.json").write_text(json.dumps({"tool": "typology", "outputs": {"scores.csv": sha}}),
                                       encoding="utf-8")
    (old / "my_table.csv").write_text("mine", encoding="utf-8")
    (old / "chart.png").write_bytes(b"my figure")
    write_into(old, **{"scores.csv": "new", "manifest.json": "{}"})
    assert (old / "my_table.csv").read_text(encoding="utf-8") == "mine"
    assert (old / "chart.png").read_bytes() == b"my figure"
    assert (old / "scores.csv").read_text(encoding="utf-8") == "new"


def test_the_earlier_run_left_by_a_killed_swap_is_put_back_not_deleted(tmp_path):
    target = tmp_path / "run"
    old = tmp_path / ".run.old.k1ll3d"  # killed between moving the earlier run away and moving the new one in
    (old / "prev").mkdir(parents=True)
    (old / MARKER).write_text(f"typology temporary folder\n{DEAD_PID}\n", encoding="utf-8")
    (old / "prev" / "scores.csv").write_text("the only copy", encoding="utf-8")
    sha = __import__("hashlib").sha256(b"the only copy").hexdigest()
    (old / "prev" / MARKER).write_text(f"typology run folder\nfile scores.csv {sha}\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught, pytest.raises(RuntimeError), atomic_dir(target):
        warnings.simplefilter("always")
        raise RuntimeError("a failing run")  # the next run, which fails
    assert (target / "scores.csv").read_text(encoding="utf-8") == "the only copy"
    assert not old.exists() and any("put back" in str(w.message) for w in caught)


def test_out_as_a_symbolic_link_writes_into_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real"
    write_into(real, **{"scores.csv": "first"})
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    write_into(link, **{"scores.csv": "second"})
    assert link.is_symlink() and (real / "scores.csv").read_text(encoding="utf-8") == "second"


def test_fetch_never_replaces_a_file_it_did_not_write(tmp_path, monkeypatch):
    from typology.core.catalog import load_catalog
    from typology.data.fetch import KEY_ENV, cache_path, fetch, kosis_queries

    monkeypatch.delenv(KEY_ENV, raising=False)
    catalog = load_catalog()
    query = kosis_queries(catalog, "fiscal_independence")[0]
    cache = tmp_path / "cache"
    cached = cache_path(cache, query, 2021)
    cached.parent.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "fixtures" / "kosis" / "DT_1YL20921_2021.json", cached)
    thesis = tmp_path / "thesis.csv"
    thesis.write_text("my thesis data", encoding="utf-8")
    with pytest.raises(TypologyError, match="not written by the tool"):
        fetch(catalog, "fiscal_independence", [2021], thesis, cache)
    assert thesis.read_text(encoding="utf-8") == "my thesis data"
    fresh = tmp_path / "fi.csv"
    fetch(catalog, "fiscal_independence", [2021], fresh, cache)
    fetch(catalog, "fiscal_independence", [2021], fresh, cache)  # its own file: replaced again
    fetch(catalog, "fiscal_independence", [2021], thesis, cache, force=True)
    assert thesis.read_text(encoding="utf-8-sig").startswith("code,")


BAD_TABLE = "code,year,variable,value,source_id\n99999,2020,env_ngos,3,mine\n"


def test_the_list_beside_the_run_folder_never_replaces_a_users_file(tmp_path):
    (tmp_path / "bad.csv").write_text(BAD_TABLE, encoding="utf-8")
    cfg = write_config(tmp_path, "extends: default\ndata:\n  tables:\n    - {path: bad.csv, code_system: kostat}\n")
    side = tmp_path / "out.unmatched.csv"
    side.write_text("my own list", encoding="utf-8")
    line = one_line_error(run_cli("run", str(cfg), "--out", str(tmp_path / "out"), *QUICK, cwd=tmp_path))
    assert "not listed" in line and side.read_text(encoding="utf-8") == "my own list"
    side.unlink()  # now the tool writes it, and may replace it (and remove it after a good run)
    one_line_error(run_cli("run", str(cfg), "--out", str(tmp_path / "out"), *QUICK, cwd=tmp_path))
    from typology.core.ownership import owned_file, remove_owned

    assert owned_file(side)
    side.write_text("edited by hand", encoding="utf-8")
    remove_owned(side)
    assert side.read_text(encoding="utf-8") == "edited by hand"


# ---- wrong values, silently: edited outputs ---------------------------------------------------------

def test_load_results_refuses_an_edited_output_unless_accepted(tmp_path, default_run_folder):
    from typology import load_results

    folder = copy_folder(default_run_folder, tmp_path / "run")
    scores = folder / "scores.csv"
    scores.write_bytes(scores.read_bytes().replace(b"\n", b"\n", 1) + b"")
    text = scores.read_text(encoding="utf-8-sig").splitlines()
    text[1] = text[1].replace(",", ",9", 1)  # one value changed
    scores.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    with pytest.raises(TypologyError, match="scores.csv differ"):
        load_results(folder)
    with pytest.warns(UserWarning, match="accept_edited"):
        load_results(folder, accept_edited=True)


@pytest.mark.parametrize("damage", ["manifest_list", "gpkg_garbage", "indicators_binary"])
def test_a_damaged_run_folder_is_one_error(tmp_path, default_run_folder, damage):
    from typology import load_results

    folder = copy_folder(default_run_folder, tmp_path / "run")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["outputs"]  # a damaged file, not an edited one: read, and found unreadable
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if damage == "manifest_list":
        (folder / "manifest.json").write_text("[1, 2]", encoding="utf-8")
    elif damage == "gpkg_garbage":
        (folder / "scores.gpkg").write_bytes(b"not a geopackage" * 10)
    else:
        (folder / "indicators.csv").write_bytes(b"\xff\xfe\x00\x81" * 50)
    with pytest.raises(TypologyError) as err:
        load_results(folder)
    assert "\n" not in str(err.value) and str(folder) in str(err.value)


# ---- tracebacks: usage errors ------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["run", "--bogus"], ["uncertainty", "--n", "abc"], ["fetch"], ["nosuch"]])
def test_usage_errors_are_one_line(args):
    assert one_line_error(run_cli(*args))


# ---- wrong values, silently: code systems and declared ranges ----------------------------------------

def _units() -> pd.DataFrame:
    from typology import paths

    return pd.read_csv(paths.UNITS, dtype=str, encoding="utf-8-sig")


def _read(path: Path, **options):
    from typology.core.catalog import load_catalog
    from typology.data.load import read_table
    from typology.data.specs import TableSpec
    from typology.data.units import matcher

    return read_table(TableSpec(path, "data.tables[0]", **options), load_catalog(), matcher())


def test_auto_detection_refuses_when_two_code_systems_both_fit(tmp_path):
    # 울산's 행정표준코드 31110-31200 are KOSTAT codes of 경기 과천/오산/의왕/파주; beside ten KOSTAT-only
    # codes of 경기 the old rule chose KOSTAT and put 울산's values on those four cities.
    units = _units()
    ulsan = list(units[units["sido_ko"].str.startswith("울산")]["code_std5"])
    gyeonggi = [c for c in units[units["sido_ko"].str.startswith("경기")]["code"]
                if not c.startswith("311") and c not in ulsan][:10]
    rows = [f"{c},2020,ngos,{i}" for i, c in enumerate(ulsan + gyeonggi)]
    path = tmp_path / "mixed.csv"
    path.write_text("code,year,variable,value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(TypologyError, match=r"both explain a sizeable share.*code_system: kostat"):
        _read(path, on_unmatched="warn")


def test_rows_matching_no_unit_are_told_the_code_system_that_would_match(tmp_path):
    from typology.core.catalog import load_catalog
    from typology.data.load import read_variable_table
    from typology.data.units import matcher

    units = _units()
    std5 = [c for c in units[units["sido_ko"].str.startswith("경기")]["code_std5"]][:5]
    path = tmp_path / "std5.csv"
    path.write_text("code,year,variable,value,source_id\n" + "".join(f"{c},2020,ngos,1,t\n" for c in std5),
                    encoding="utf-8")
    with pytest.raises(TypologyError, match=r"would match with code_system: std5"):
        read_variable_table(path, load_catalog(), matcher())


@pytest.mark.parametrize(("variable", "value", "words"), [("fiscal_independence", "250", "between 0 and 100"),
                                                          ("participation_unit", "0.5", "0 or 1")])
def test_values_outside_the_declared_range_are_refused(tmp_path, variable, value, words):
    path = tmp_path / "t.csv"
    path.write_text(f"code,year,variable,value\n11010,2020,{variable},1\n11020,2020,{variable},{value}\n",
                    encoding="utf-8")
    with pytest.raises(TypologyError, match=rf"row 3, column 'value': {variable} is {value}.*{words}"):
        _read(path, code_system="kostat")


def test_an_indicator_without_variance_has_weight_0_in_indicators_csv(default_run):
    import dataclasses

    from typology.workflow.outputs import indicator_table
    from typology.workflow.pipeline import constant_indicators

    key = default_run.indicators[0].key
    raw = default_run.raw.copy()
    raw[key] = 7.0
    flat = dataclasses.replace(default_run, raw=raw)
    assert constant_indicators(raw) == [key] and constant_indicators(default_run.raw) == []
    table = indicator_table(flat).set_index("indicator")["weight"]
    assert table[key] == 0 and (indicator_table(default_run).set_index("indicator")["weight"] > 0).all()


# ---- leaks: no file content in a message -----------------------------------------------------------

def test_a_file_that_is_no_config_is_not_printed(tmp_path):
    shadow = tmp_path / "shadow"
    shadow.write_text("root:$6$secrethash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n", encoding="utf-8")
    line = one_line_error(run_cli("run", str(shadow), "--out", str(tmp_path / "o")))
    assert "secrethash" not in line and "19000" not in line
    cfg = write_config(tmp_path, f"extends: default\ncatalog: [{shadow}]\n")
    line = one_line_error(run_cli("run", str(cfg), "--out", str(tmp_path / "o")))
    assert "secrethash" not in line


def test_a_huge_bad_cell_is_shown_short_and_escaped(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code,year,variable,value\n11010,2020,ngos," + "x\x1b" * 50_000 + "\n", encoding="utf-8")
    with pytest.raises(TypologyError) as err:
        _read(path, code_system="kostat")
    message = str(err.value)
    assert "row 2, column value" in message and "100,000 characters" in message
    assert len(message) < len(str(path)) + 200 and "\x1b" not in message


# ---- tracebacks and live formulas: control characters ----------------------------------------------

@pytest.mark.parametrize("override", ["title_ko=보고서\x07", "typology.unclassified.name_en=a\x1b[31mred",
                                      "typology.unclassified.name_ko=\u202eevil"])
def test_control_characters_in_names_and_titles_are_refused_with_the_key(override):
    from typology import load_config

    with pytest.raises(TypologyError, match=r"config key (title_ko|typology\.unclassified\.name_(en|ko)): holds the "
                                            "control character"):
        load_config(None, [override])


def test_csv_cells_lose_control_characters_before_the_formula_check(tmp_path):
    from typology.core.atomic import write_csv

    frame = pd.DataFrame({"type": ["\r=cmd|' /C calc'!A0", "plain\nname", "ok"], "n": [1, 2, 3]})
    write_csv(frame, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert text.count("\n") == 4 and "\r" not in text  # header and three rows, each one line
    back = pd.read_csv(tmp_path / "t.csv")
    assert list(back["type"]) == ["'=cmd|' /C calc'!A0", "plain name", "ok"]


def test_the_workbook_takes_a_name_with_bel_and_esc():
    from typology.render.xlsx import _cell

    assert _cell("유형\x07\x1b[0m") == "유형[0m"


def test_a_newline_in_out_is_one_line(tmp_path):
    line = one_line_error(run_cli("run", "--out", str(tmp_path / "a\nb"), *QUICK))
    assert "control character" in line and "\n" not in line
    assert list(tmp_path.iterdir()) == []


# ---- hangs: bounded work ---------------------------------------------------------------------------

@pytest.mark.parametrize("override", ["typology.options.kmeans.n_init=100000000",
                                      "typology.options.gmm.n_init=100000000", "typology.bootstrap.n=1000000000",
                                      "uncertainty.n=1000000000", "uncertainty.n_jobs=100000",
                                      "typology.seed=4294967296", "scoring.impute.seed=99999999999"])
def test_knobs_that_scale_work_have_upper_bounds(override):
    from typology import load_config

    key = override.split("=")[0]
    with pytest.raises(TypologyError, match=rf"config key {key}: expected"):
        load_config(None, [override])


def test_a_monte_carlo_too_large_for_memory_is_refused_before_it_starts(default_config, monkeypatch):
    from typology.uncertainty import alternatives, analysis

    plan = alternatives.plan({**default_config, "uncertainty": {**default_config["uncertainty"], "n": 1_000_000}}, 4)
    monkeypatch.setattr(analysis, "_available_memory", lambda: 2 * 2**30)
    with pytest.raises(TypologyError, match=r"need about .* GiB of memory"):
        analysis.check_memory(plan, 228, 20)
    assert analysis.check_memory(alternatives.plan(default_config, 4), 228, 20) < 2**30


def test_jobs_above_the_core_count_are_capped_with_a_warning(default_config):
    from typology.uncertainty import alternatives

    cores = os.cpu_count() or 1
    with pytest.warns(UserWarning, match=f"using {cores}"):
        plan = alternatives.plan({**default_config, "uncertainty": {**default_config["uncertainty"],
                                                                    "n_jobs": cores + 1}}, 4)
    assert plan.n_jobs == cores


def test_a_workbook_that_unpacks_to_millions_of_rows_is_refused(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["code", "year", "variable", "value"])
    sheet.append(["11010", 2020, "ngos", 1])
    sheet.cell(row=1_000_000, column=1, value=" ")  # the sheet now declares a million rows
    path = tmp_path / "big.xlsx"
    book.save(path)
    assert path.stat().st_size < 100_000
    with pytest.raises(TypologyError, match="1,000,000 rows"):
        _read(path, code_system="kostat")


# ---- tracebacks: a full disk under GDAL, manifests of the wrong shape ---------------------------------

def test_a_full_disk_while_the_geopackage_is_written_is_one_line(tmp_path, monkeypatch):
    import geopandas
    import pyogrio.errors

    def full(self, *args, **kwargs):  # what GDAL raises when the disk fills during the commit
        raise pyogrio.errors.DataSourceError("Failed to commit transaction")

    monkeypatch.setattr(geopandas.GeoDataFrame, "to_file", full)
    line = one_line_error(run_cli("run", "--out", str(tmp_path / "run"), *QUICK))
    assert "scores.gpkg" in line and "GeoPackage" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("section", "value"), [("inputs", ["boundaries/units.csv"]), ("steps", "load"),
                                                ("steps", [{"step": "load", "tables": "a.csv"}])])
def test_rebuild_refuses_manifest_sections_of_the_wrong_type(tmp_path, default_run_folder, section, value):
    folder = copy_folder(default_run_folder, tmp_path / "run")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest[section] = value  # not covered by the recorded digests (config and outputs are)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    line = one_line_error(run_cli("rebuild", str(folder / "manifest.json"), "--out", str(tmp_path / "again")))
    assert section in line
