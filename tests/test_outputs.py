"""The run folder's maps, report and workbook: written by default, switchable, same bytes twice."""

from __future__ import annotations

import dataclasses

import pytest

from typology.workflow.outputs import write_run

from .conftest import run_cli

RENDERED = ("map.html", "map_type.png", "map_dimensions.png", "maps.pdf", "report.html", "scores.xlsx")


def with_output(result, **output):
    return dataclasses.replace(result, config={**result.config, "output": {**result.config["output"], **output}})


@pytest.fixture(scope="module")
def folders(default_run, default_run_folder, tmp_path_factory):
    # The session's written default run (conftest.default_run_folder) and a second write of the same run.
    return default_run_folder, write_run(default_run, tmp_path_factory.mktemp("runs") / "b")


def test_default_run_writes_maps_report_and_workbook(folders):
    folder, _ = folders
    for name in RENDERED:
        assert (folder / name).stat().st_size > 10_000, name
    assert (folder / "map.html").stat().st_size <= 2 * 1024 * 1024


def test_rendered_outputs_are_byte_identical_across_runs(folders):
    a, b = folders
    for name in RENDERED:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_outputs_can_be_switched_off(default_run, tmp_path):
    folder = write_run(with_output(default_run, static_maps=False, report=False, xlsx=False), tmp_path / "lean")
    names = {p.name for p in folder.iterdir()}
    assert "map.html" in names and "scores.csv" in names
    assert not names & {"map_type.png", "map_dimensions.png", "maps.pdf", "report.html", "scores.xlsx"}


def test_report_without_static_maps_still_links_the_map(default_run, tmp_path):
    folder = write_run(with_output(default_run, static_maps=False), tmp_path / "nomaps")
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert 'href="map.html"' in report and "data:image/png" not in report.split('id="method"')[0]


@pytest.mark.parametrize(("setting", "fragment"), [("output.static_dpi=5", "output.static_dpi"),
                                                    ("output.xlsx=maybe", "output.xlsx"),
                                                    ("output.map_tiles=OpenStreetMap", "output.map_tiles")])
def test_bad_output_settings_fail_in_one_line(tmp_path, setting, fragment):
    out = tmp_path / "out"
    result = run_cli("run", "--set", setting, "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr
    assert not out.exists()
