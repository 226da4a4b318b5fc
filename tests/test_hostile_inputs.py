"""Hostile and careless input: the cases of an attack run, each as a test (all in-process).

A config may come from someone else, and an --out may point at a folder that holds someone's
work. Each case must end in one line on stderr and exit code 2, or in a run that touched nothing
it did not write.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import stat
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from typology.core.atomic import spreadsheet_safe
from typology.core.ownership import MARKER, atomic_dir
from typology.core.yamlio import read_yaml

from .conftest import copy_folder, run_cli, write_config

# Fast runs: the cases are about where files go, not about the maps or the validity audit.
QUICK = ["--set", "output.static_maps=false", "--set", "output.xlsx=false", "--set", "typology.bootstrap.n=0",
         "--set", "validation.leave_one_out=false"]


@pytest.fixture(autouse=True)
def _no_progress_lines(monkeypatch):
    """A slow write on a loaded machine prints a progress line after two seconds; these tests are about
    the error line, so progress waits far longer than any case runs."""
    from typology.core import progress

    monkeypatch.setattr(progress, "LINES_AFTER", 3600.0)


def one_line_error(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- 1. data loss: --out is the tool's own folder ------------------------------------------------

@pytest.fixture
def someones_folder(tmp_path) -> Path:
    folder = tmp_path / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "precious.txt").write_text("my work", encoding="utf-8")
    (folder / "sub" / "notes.txt").write_text("notes", encoding="utf-8")
    folder.chmod(0o750)
    return folder


def test_a_folder_with_someone_elses_files_is_refused_and_untouched(someones_folder):
    before = tree(someones_folder)
    line = one_line_error(run_cli("run", "--out", str(someones_folder), *QUICK))
    assert "did not write" in line and "--force" in line
    assert tree(someones_folder) == before
    assert stat.S_IMODE(someones_folder.stat().st_mode) == 0o750


def test_force_writes_beside_others_files_and_never_deletes_them(someones_folder):
    result = run_cli("run", "--out", str(someones_folder), "--force", *QUICK)
    assert result.returncode == 0, result.stderr
    assert (someones_folder / "precious.txt").read_text(encoding="utf-8") == "my work"
    assert (someones_folder / "sub" / "notes.txt").read_text(encoding="utf-8") == "notes"
    assert (someones_folder / "scores.csv").is_file() and (someones_folder / MARKER).is_file()
    assert stat.S_IMODE(someones_folder.stat().st_mode) == 0o750  # the folder keeps its mode
    # A second forced run replaces the tool's files and still leaves the others alone.
    assert run_cli("run", "--out", str(someones_folder), "--force", *QUICK).returncode == 0
    assert (someones_folder / "precious.txt").read_text(encoding="utf-8") == "my work"


def test_force_never_replaces_someones_file_that_has_an_outputs_name(someones_folder):
    (someones_folder / "scores.csv").write_text("their own table", encoding="utf-8")
    line = one_line_error(run_cli("run", "--out", str(someones_folder), "--force", *QUICK))
    assert "scores.csv" in line
    assert (someones_folder / "scores.csv").read_text(encoding="utf-8") == "their own table"
    assert not list(someones_folder.parent.glob(".mine.*"))  # no temporary folder left behind


def test_out_at_a_regular_file_is_refused_even_with_force(tmp_path):
    target = tmp_path / "report.docx"
    target.write_bytes(b"precious")
    for extra in ([], ["--force"]):
        line = one_line_error(run_cli("run", "--out", str(target), *extra, *QUICK))
        assert "is a file" in line
    assert target.read_bytes() == b"precious"


def test_out_at_the_working_folder_keeps_the_config_and_its_table(tmp_path):
    # `typology run my.yaml --out "$PWD"` used to delete the config and its only input table.
    table = tmp_path / "ngos.csv"
    table.write_text("code,year,variable,value,source_id\n11010,2020,env_ngos,3,mine\n", encoding="utf-8")
    cfg = write_config(tmp_path, "extends: default\n")
    before = tree(tmp_path)
    for out in (str(tmp_path), "."):
        one_line_error(run_cli("run", str(cfg), "--out", out, *QUICK, cwd=tmp_path))
    assert tree(tmp_path) == before
    assert not [p for p in tmp_path.parent.iterdir() if p.name.startswith(f".{tmp_path.name}.")]


def test_new_and_empty_and_earlier_run_folders_are_accepted(tmp_path):
    new = tmp_path / "new" / "run"
    assert run_cli("run", "--out", str(new), *QUICK).returncode == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o777 & ~mask  # not the 0700 of a temporary folder
    listed = (new / MARKER).read_text(encoding="utf-8")
    assert "file scores.csv" in listed and "file manifest.json" in listed
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("run", "--out", str(empty), *QUICK).returncode == 0
    # An earlier run folder where someone added a file: the run is replaced, the file kept.
    (new / "my_notes.txt").write_text("keep me", encoding="utf-8")
    (new / "old_output.csv").write_text("x", encoding="utf-8")
    marker = new / MARKER
    # (listed with its checksum: only a file as the tool wrote it counts as the tool's)
    marker.write_text(marker.read_text(encoding="utf-8") + f"file old_output.csv {hashlib.sha256(b'x').hexdigest()}\n",
                      encoding="utf-8")
    assert run_cli("run", "--out", str(new), *QUICK).returncode == 0
    assert (new / "my_notes.txt").read_text(encoding="utf-8") == "keep me"
    assert not (new / "old_output.csv").exists()  # the tool's own file of the earlier run, not written now


def test_rebuild_out_is_guarded_too(default_run_folder, someones_folder):
    before = tree(someones_folder)
    line = one_line_error(run_cli("rebuild", str(default_run_folder / "manifest.json"), "--out", str(someones_folder)))
    assert "did not write" in line
    assert tree(someones_folder) == before


def test_stale_temporary_folders_of_killed_runs_are_removed(tmp_path):
    target = tmp_path / "run"
    dead = tmp_path / ".run.run.abc123"  # what a run killed during its write phase leaves
    dead.mkdir()
    (dead / MARKER).write_text("typology temporary folder\npid 999999999\n", encoding="utf-8")
    (dead / "scores.csv").write_text("half", encoding="utf-8")
    alive = tmp_path / ".run.run.def456"  # a run still going: left alone
    alive.mkdir()
    (alive / MARKER).write_text(f"typology temporary folder\npid {os.getpid()}\n", encoding="utf-8")
    foreign = tmp_path / ".run.run.notours"  # not the tool's: no marker
    foreign.mkdir()
    with atomic_dir(target) as tmp:
        (tmp / "a.csv").write_text("a", encoding="utf-8")
    assert not dead.exists() and alive.exists() and foreign.exists()
    assert (target / "a.csv").is_file()


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "run") as tmp:
        (tmp / "a.csv").write_text("a", encoding="utf-8")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


# ---- 2. a config's name is a name, not a path -----------------------------------------------------

@pytest.mark.parametrize("name", ["../configs", "/tmp/somewhere", ".hidden", "a/b", "a b"])
def test_name_that_is_a_path_is_refused(tmp_path, name):
    line = one_line_error(run_cli("run", "--set", f"name={name}", *QUICK, cwd=tmp_path))
    assert "config key name" in line
    assert not (tmp_path / "out").exists()


def test_hangul_and_dotted_names_are_names():
    from typology import load_config

    assert load_config(None, ["name=서울-유형_v2.1"])["name"] == "서울-유형_v2.1"


# ---- 3. YAML alias bomb -------------------------------------------------------------------------

def test_alias_bomb_is_refused_at_once(tmp_path):
    levels = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        levels.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    body = "\n".join(f"      {line}" for line in levels)
    cfg = write_config(tmp_path, f"extends: default\nscoring:\n  weights:\n    indicators:\n{body}\n")
    started = time.perf_counter()
    line = one_line_error(run_cli("run", str(cfg), "--out", str(tmp_path / "out")))
    assert time.perf_counter() - started < 20
    assert "anchors and aliases" in line


def test_small_anchors_are_still_fine(tmp_path):
    path = write_config(tmp_path, "a: &x {k: 1}\nb: *x\n", name="x.yaml")
    assert read_yaml(path, "config") == {"a": {"k": 1}, "b": {"k": 1}}


def test_weights_are_validated_as_the_mapping_they_are(tmp_path):
    cfg = write_config(tmp_path, "extends: default\nscoring:\n  weights:\n    indicators: {grdp_per_capita: -1}\n")
    assert "scoring.weights.indicators" in one_line_error(run_cli("run", str(cfg), *QUICK, cwd=tmp_path))


# ---- 4. errors quote names, never file contents --------------------------------------------------

SECRET = "root:$6$s3cr3t$hashhashhash:19000:0:99999:7:::"


def test_extends_of_a_file_that_is_no_config_does_not_print_it(tmp_path):
    other = tmp_path / "passwd"
    other.write_text(f"{SECRET}\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n", encoding="utf-8")
    cfg = write_config(tmp_path, f"extends: {other}\n")
    line = one_line_error(run_cli("run", str(cfg), *QUICK, cwd=tmp_path))
    assert "s3cr3t" not in line and "daemon" not in line and "passwd" in line


@pytest.mark.parametrize("layout", ["long", "wide", "kosis"])
def test_a_table_that_is_no_table_is_named_not_printed(tmp_path, layout):
    shadow = tmp_path / "shadow"
    shadow.write_text(f"{SECRET}\ndaemon:*:19000:0:99999:7:::\n", encoding="utf-8")
    cfg = write_config(tmp_path, "extends: default\ndata:\n  tables:\n"
                                 f"    - {{path: {shadow}, layout: {layout}, variable: volunteers}}\n")
    line = one_line_error(run_cli("run", str(cfg), *QUICK, cwd=tmp_path))
    assert "s3cr3t" not in line and str(shadow) in line


# ---- 5. formulas in spreadsheets ----------------------------------------------------------------

def test_formula_text_is_text_in_the_workbook_and_the_csv(tmp_path):
    evil = '=HYPERLINK("http://example.invalid","x")'
    cfg = write_config(tmp_path, "extends: default\ntypology:\n  axes:\n"
                                 f"    '{evil}': {{dimensions: [civic, institution]}}\n"
                                 "    resource: {dimensions: [economy, capacity]}\n  types:\n"
                                 "    - {key: a, name_ko: 가, name_en: A, when: {resource: '>= mean'}}\n"
                                 "    - {key: b, name_ko: '+나', name_en: '@B', when: {}}\n"
                                 "  bootstrap: {n: 0}\noutput: {static_maps: false}\n")
    out = tmp_path / "out"
    result = run_cli("run", str(cfg), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    wb = openpyxl.load_workbook(out / "scores.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.value.startswith("=HYPERLINK") for c in cells)  # the header is there, as text
    assert all(c.data_type == "s" for c in cells if c.value.startswith(("=", "+", "-", "@")))
    types = pd.read_csv(out / "types.csv", encoding="utf-8-sig", dtype=str)
    assert "'+나" in set(types["name_ko"]) and "'@B" in set(types["name_en"])


def test_spreadsheet_safe_quotes_formulas_but_not_numbers():
    frame = pd.DataFrame({"=x": ["=1+1", "-3.5", "-", "+82 2", "text", None], "n": [1, 2, 3, 4, 5, 6]})
    safe = spreadsheet_safe(frame)
    assert list(safe.columns) == ["'=x", "n"]
    assert safe["'=x"].tolist()[:5] == ["'=1+1", "-3.5", "-", "'+82 2", "text"]
    assert pd.isna(safe["'=x"].iloc[5]) and safe["n"].tolist() == [1, 2, 3, 4, 5, 6]


# ---- 6. values that are not finite ---------------------------------------------------------------

@pytest.mark.parametrize("value, multiply", [("inf", 1), ("1e400", 1), ("-inf", 1), ("1e308", 10)])
def test_non_finite_values_are_errors_with_row_and_column(tmp_path, value, multiply):
    table = tmp_path / "t.csv"
    table.write_text(f"code,year,variable,value,source_id\n11010,2020,env_ngos,{value},mine\n", encoding="utf-8")
    cfg = write_config(tmp_path, f"extends: default\ndata:\n  tables:\n    - {{path: t.csv, multiply: {multiply}}}\n")
    line = one_line_error(run_cli("run", str(cfg), *QUICK, cwd=tmp_path))
    assert "row 2, column value" in line and "not a finite number" in line


# ---- 7. one line, never a traceback --------------------------------------------------------------

@pytest.mark.parametrize("override, key", [
    ("reference_year=twenty", "reference_year"), ("reference_year=[1,2]", "reference_year"),
    ("data.max_year_gap=x", "data.max_year_gap"), ("title_ko=[1,2]", "title_ko"),
])
def test_bad_values_from_the_command_line(tmp_path, override, key):
    assert f"config key {key}" in one_line_error(run_cli("run", "--set", override, *QUICK, cwd=tmp_path))


def test_an_out_below_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    line = one_line_error(run_cli("run", "--out", str(blocker / "run"), *QUICK))
    assert "cannot write" in line or "is a file" in line


def test_a_name_too_long_is_one_line(tmp_path):
    line = one_line_error(run_cli("run", "--out", str(tmp_path / ("x" * 300)), *QUICK))
    assert "cannot write" in line or "name too long" in line.lower()


def test_a_full_disk_is_one_line_and_leaves_no_junk(tmp_path, monkeypatch):
    def full(self, data):
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    line = one_line_error(run_cli("run", "--out", str(tmp_path / "run"), *QUICK))
    assert "No space left on device" in line
    assert list(tmp_path.iterdir()) == []


# ---- 9. smaller cases ----------------------------------------------------------------------------

def test_map_tiles_host_is_allowed_by_the_page_and_nothing_else(tmp_path, default_run):
    from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry
    from typology.render.webmap import build_map

    def page_of(run):
        table = run.table()
        return build_map(run, table, attach(table, load_unit_geometry()), load_sido_geometry())

    url = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    config = {**default_run.config, "output": {**default_run.config["output"], "map_tiles": url}}
    result = type(default_run)(**{**default_run.__dict__, "config": config})
    page = page_of(result)
    csp = html.unescape(page.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0])
    assert "img-src data: https://*.tile.example.org;" in csp and "connect-src 'none'" in csp
    plain = page_of(default_run)
    assert "img-src data:;" in plain.split("Content-Security-Policy", 1)[1][:600]


def test_rebuild_refuses_an_edited_manifest_before_running(tmp_path, default_run_folder):
    folder = copy_folder(default_run_folder, tmp_path / "run")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["config"]["scoring"]["normalise"]["method"] = "minmax"
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    started = time.perf_counter()
    line = one_line_error(run_cli("rebuild", str(folder / "manifest.json"), "--out", str(tmp_path / "re")))
    assert "config section was edited" in line and time.perf_counter() - started < 10
    assert not (tmp_path / "re").exists()


def test_rebuild_compares_every_file(tmp_path, default_run_folder):
    folder = copy_folder(default_run_folder, tmp_path / "run")
    (folder / "report.html").write_text("<p>edited</p>", encoding="utf-8")
    (folder / "scores.xlsx").unlink()
    result = run_cli("rebuild", str(folder / "manifest.json"), "--out", str(tmp_path / "re"))
    assert result.returncode == 1
    assert "report.html" in result.stderr and "scores.xlsx" in result.stderr
    assert "map.html" in result.stdout  # compared, and identical


def test_negative_count_message_says_it_once(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("code,year,variable,value,source_id\n11010,2020,env_ngos,-3,mine\n", encoding="utf-8")
    cfg = write_config(tmp_path, "extends: default\ndata:\n  tables: [t.csv]\n")
    line = one_line_error(run_cli("run", str(cfg), *QUICK, cwd=tmp_path))
    assert "a count cannot be negative" in line and "count count" not in line


def test_rules_with_a_gap_warn_instead_of_blaming_missing_data(tmp_path):
    cfg = write_config(tmp_path, "extends: default\ntypology:\n  types:\n"
                                 "    - {key: top, name_ko: 상위, name_en: Top,\n"
                                 "       when: {society: '>= mean', resource: '>= mean'}}\n"
                                 "  bootstrap: {n: 0}\noutput: {static_maps: false, xlsx: false}\n")
    result = run_cli("run", str(cfg), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "match no type rule" in result.stderr and "although no data are missing" in result.stderr
    scores = pd.read_csv(tmp_path / "out" / "scores.csv", dtype={"code": str}, encoding="utf-8-sig")
    gap = scores[scores["type"] == "unclassified"]
    assert len(gap) and gap["reason"].str.contains("어느 규칙에도 해당하지 않음").all()
    assert np.isfinite(gap["composite"]).all()
    # Nothing lost: every unclassified region is in exclusions.csv, excluded from the type, with its reason.
    excluded = pd.read_csv(tmp_path / "out" / "exclusions.csv", dtype={"code": str}, encoding="utf-8-sig")
    typed_out = excluded[excluded["excluded_from"] == "type"].set_index("code")
    assert sorted(typed_out.index) == sorted(gap["code"])
    assert typed_out.loc[gap["code"], "reason"].tolist() == gap["reason"].tolist()


def test_a_run_folder_from_before_markers_is_still_a_run_folder(tmp_path):
    # Folders written by earlier versions have no marker; their manifest says the tool made them.
    old = tmp_path / "default"
    old.mkdir()
    # Only the outputs its manifest records (with their checksums) count as the tool's.
    (old / "manifest.json").write_text(json.dumps({"tool": "typology", "outputs": {
        "scores.csv": hashlib.sha256(b"old").hexdigest()}}), encoding="utf-8")
    (old / "scores.csv").write_text("old", encoding="utf-8")
    (old / "my_notes.txt").write_text("mine", encoding="utf-8")
    assert run_cli("run", "--out", str(old), *QUICK).returncode == 0
    assert (old / "my_notes.txt").read_text(encoding="utf-8") == "mine"
    assert (old / "scores.csv").read_text(encoding="utf-8-sig").startswith("code,")
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "manifest.json").write_text('{"tool": "something else"}', encoding="utf-8")
    assert "did not write" in one_line_error(run_cli("run", "--out", str(fake), *QUICK))
