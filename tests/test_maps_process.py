"""workflow/maps_process.py: the static maps drawn in a second process give the same bytes, and every
way it can fail is one error line, never a hang or a half-written run folder."""

from __future__ import annotations

import dataclasses

import pytest

from typology.errors import TypologyError
from typology.render.layers import build_layers
from typology.render.webmap import dimension_names
from typology.workflow.maps_process import MapsProcess
from typology.workflow.outputs import write_run


def _request(result):
    table = result.table()
    return table, build_layers(table, result.settings, dimension_names(result))


def test_maps_from_the_process_are_the_bytes_drawn_here(default_run):
    from typology.data.geometry import attach, load_unit_geometry
    from typology.render.static_maps import frame_for, render_static_maps

    table, layers = _request(default_run)
    here = render_static_maps(frame_for(attach(table, load_unit_geometry())), layers, default_run.config, dpi=60)
    with MapsProcess() as maps:
        maps.draw(table, layers, default_run.config, 60)
        there = maps.result()
    assert sorted(there) == ["map_dimensions.png", "map_type.png", "maps.pdf"]
    assert there == here
    assert maps.seconds is not None and maps.seconds > 0


def test_an_error_in_the_process_is_one_line(default_run):
    table, layers = _request(default_run)
    with MapsProcess() as maps:
        maps.draw(table, [layer for layer in layers if layer.key != "type"], default_run.config, 60)
        with pytest.raises(TypologyError) as info:
            maps.result()
    assert str(info.value) == "static maps: KeyError: 'type'"


def test_a_process_killed_before_answering_is_reported_with_its_exit_code():
    with MapsProcess() as maps:
        maps._proc.kill()
        maps.draw(None, [], {}, 60)  # a request to a dead process is not an error of its own
        with pytest.raises(TypologyError, match=r"^static maps: .*ended without an answer \(exit code -9"):
            maps.result()


def test_a_process_never_asked_ends_when_closed():
    maps = MapsProcess()
    maps.close()
    assert maps._proc.poll() is not None


def test_a_process_whose_request_never_comes_ends_by_itself():
    # The parent closes the pipe without a request (it failed before the maps were wanted): the child
    # exits on its own, without an answer, rather than waiting for ever.
    maps = MapsProcess()
    maps._proc.stdin.close()
    assert maps._proc.wait(timeout=120) == 0
    assert maps._proc.stdout.read() == b""
    maps.close()


def test_a_failed_drawing_leaves_no_run_folder(default_run, tmp_path):
    # A dpi the config check would refuse, set on the checked settings past that check, so that only
    # the maps process fails, after the other files.
    settings = default_run.settings
    output = dataclasses.replace(settings.output, static_dpi=0)
    bad = dataclasses.replace(default_run, run_settings=dataclasses.replace(settings, output=output))
    with pytest.raises(TypologyError, match=r"^static maps: ValueError: dpi must be positive$"):
        write_run(bad, tmp_path / "run")
    assert not (tmp_path / "run").exists()
    assert list(tmp_path.iterdir()) == []  # nor a temporary folder beside it


def _lean(result, **output):
    config = result.config
    return dataclasses.replace(result, config={**config, "output": {**config["output"], "report": False,
                                                                    "xlsx": False, **output}})


def test_scores_gpkg_from_the_process_is_the_file_gdal_writes_here(default_run, tmp_path):
    import pyogrio

    from typology.data.geometry import FIXED_GPKG_TIME, attach, load_unit_geometry
    from typology.workflow.outputs import write_gpkg

    table, layers = _request(default_run)
    geo = attach(table, load_unit_geometry())
    write_gpkg(geo, tmp_path / "here.gpkg")
    # Written in memory: the same bytes as GDAL writing the file itself (as the tool did before).
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_GPKG_TIME})
    try:
        geo.to_file(tmp_path / "direct.gpkg", driver="GPKG", layer="scores")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    with MapsProcess() as maps:
        maps.draw(table, layers, default_run.config, 60, gpkg=True)
        assert sorted(maps.result()) == ["map_dimensions.png", "map_type.png", "maps.pdf"]
        there = maps.gpkg()
    assert there == (tmp_path / "here.gpkg").read_bytes() == (tmp_path / "direct.gpkg").read_bytes()
    assert maps.gpkg_seconds is not None and maps.gpkg_seconds > 0


def test_the_run_folder_is_the_same_whichever_process_writes_scores_gpkg(default_run, tmp_path):
    # With static maps the maps process writes scores.gpkg; without, this process does; map.html is
    # built here from the json reader either way.
    there = write_run(_lean(default_run, static_maps=True, static_dpi=50), tmp_path / "there")
    here = write_run(_lean(default_run, static_maps=False), tmp_path / "here")
    assert (there / "map_type.png").is_file() and not (here / "map_type.png").exists()
    names = sorted(p.name for p in here.iterdir() if p.name not in {"manifest.json", ".typology-run"})
    assert {"scores.gpkg", "map.html"} <= set(names)
    for name in names:
        assert (there / name).read_bytes() == (here / name).read_bytes(), name


def test_a_failed_scores_gpkg_is_one_line_and_leaves_no_run_folder(default_run, tmp_path):
    # The maps are drawn, then GDAL refuses the table (it has no complex field type): the run fails
    # with the child's one line, after every other file was written, and leaves nothing behind.
    table, layers = _request(default_run)
    with MapsProcess() as maps:
        maps.draw(table.assign(unwritable=1j), layers, default_run.config, 40, gpkg=True)
        with pytest.raises(TypologyError) as info:
            write_run(_lean(default_run), tmp_path / "run", maps=maps)
    message = str(info.value)
    assert message.startswith("scores.gpkg: NotImplementedError: field type is not supported complex128")
    assert "\n" not in message
    assert list(tmp_path.iterdir()) == []


def test_a_process_that_dies_after_the_maps_is_reported_for_scores_gpkg(default_run):
    table, layers = _request(default_run)
    with MapsProcess() as maps:
        maps.draw(table, layers, default_run.config, 40, gpkg=True)
        maps.result()
        maps._proc.kill()
        with pytest.raises(TypologyError, match=r"^scores.gpkg: .*ended without an answer \(exit code -9"):
            maps.gpkg()
