"""Hostile and careless input, second round (issue 20): one in-process case per failure class.

Each case failed before the fix: a file outside --out deleted through the marker, a user's file
lost from a folder without a marker, the earlier run lost after a killed swap, a symbolic link
replaced, a file replaced by fetch or beside the run folder, values put on the wrong region,
edited outputs loaded silently, file contents in errors, control characters in the CSV files,
unbounded work, and usage errors as a box instead of one line.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

from typology.core.atomic import MARKER, atomic_dir
from typology.errors import TypologyError

from .conftest import copy_folder, run_cli, write_config

QUICK = ["--set", "output.static_maps=false", "--set", "output.xlsx=false", "--set", "typology.bootstrap.n=0"]
DEAD_PID = "pid 999999999"


def one_line_error(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


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
    from typology.core.atomic import owned_file, remove_owned

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
