"""workflow/outputs.report_awaiting_map: report.html rendered before the static maps exist, with the
type map set in afterwards, is the text build_report gives with that map."""

from __future__ import annotations

import dataclasses

from typology.render.layers import build_layers
from typology.render.report import build_report
from typology.render.webmap import dimension_names
from typology.workflow.outputs import MAP_SLOT, report_awaiting_map

# A small real PNG (1×1, one white pixel): the report only embeds the bytes.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8ffff3f"
                    "0005fe02fe33127dbc0000000049454e44ae426082")


def _type_layer(result):
    table = result.table()
    return table, build_layers(table, result.settings, dimension_names(result))[0]


def test_the_map_set_in_later_gives_the_report_rendered_with_it(default_run):
    table, layer = _type_layer(default_run)
    later = report_awaiting_map(default_run, table, layer)
    page = later(PNG)
    assert page == build_report(default_run, table, layer, PNG)
    assert "data:image/png;base64,iVBORw0KGgo" in page
    assert MAP_SLOT.decode() not in page and "dHlwb2xvZ3k6" not in page  # nor the slot's base64


def test_no_map_gives_the_report_without_one(default_run):
    table, layer = _type_layer(default_run)
    assert report_awaiting_map(default_run, table, layer)(None) == build_report(default_run, table, layer, None)
    output = dataclasses.replace(default_run.settings.output, static_maps=False)
    no_maps = dataclasses.replace(default_run, run_settings=dataclasses.replace(default_run.settings, output=output))
    assert report_awaiting_map(no_maps, table, layer)(None) == build_report(no_maps, table, layer, None)
