"""Write a run folder: tables, GeoPackage, maps, report, workbook and manifest, all or nothing.

Every file is rendered or written inside one atomic folder swap, so a failed run leaves the
previous folder as it was. The output switches live under ``output`` in the config; map.html is
always written.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.atomic import spreadsheet_safe
from ..core.checksums import sha256
from ..core.ownership import MARKER, atomic_dir
from ..core.result import RunResult
from ..data.geometry import attach_shapes, load_sido_shapes, load_unit_shapes
from ..render.layers import build_layers
from ..render.webmap import build_map, dimension_names
from .manifest import manifest_text
from .maps_process import MapsProcess
from .pipeline import constant_indicators

CSV_OPTIONS: dict[str, Any] = {"lineterminator": "\n", "float_format": "%.10g", "index": False,
                               "encoding": "utf-8-sig"}


def indicator_table(result: RunResult) -> pd.DataFrame:
    rows = []
    years = result.years.set_index("indicator")
    constant = set(constant_indicators(result.raw))  # no variance, so no weight (the run warned of them)
    for ind in result.indicators:
        spec = ind.spec
        rows.append({"indicator": ind.key, "name_ko": spec["name_ko"], "name_en": spec["name_en"],
                     "dimension": ind.dimension, "study_indicator": spec["study_indicator"],
                     "direction": ind.direction, "unit": spec["unit"],
                     "years": years.at[ind.key, "years"], "year_status": years.at[ind.key, "year_status"],
                     "weight": 0.0 if ind.key in constant else result.weights[ind.key],
                     "proxy": ind.is_proxy, "weak": bool(spec.get("weak")),
                     "missing_units": int(result.raw[ind.key].isna().sum()),
                     "agency": spec["agency"]})
    return pd.DataFrame(rows)


def write_run(result: RunResult, out_dir: Path, *, force: bool = False, maps: MapsProcess | None = None) -> Path:
    """Render and write the run folder ``out_dir``, replacing any earlier one only on success.

    ``force``: see ``core.ownership.atomic_dir``; files the tool did not write are never removed.
    ``maps``: a maps process started earlier (the command line starts it before the pipeline, so
    that its imports overlap the run); without one, one is started here if the config asks for
    static maps. The caller that started it also ends it.
    """
    output = result.settings.output  # checked with the whole config before the run
    dpi = output.static_dpi if output.static_maps else None
    table = result.table()
    layers = build_layers(table, result.settings, dimension_names(result))
    # map.html's shapes read without GDAL (data/geometry.py); scores.gpkg is written by the maps
    # process when there is one (it has read the geometry with GDAL anyway), here otherwise.
    geo, sido = attach_shapes(table, load_unit_shapes()), load_sido_shapes()
    # The static maps take half the time of the outputs: drawn in a second process (workflow/maps_process.py)
    # on another core while the other files are written here.
    with (MapsProcess() if maps is None and dpi is not None else nullcontext(maps) as drawing,
          atomic_dir(out_dir, force=force) as tmp):
        if dpi is not None and not drawing.requested:
            drawing.draw(table, layers, result.config, dpi, gpkg=True)
        gpkg_there = dpi is not None and drawing.gpkg_wanted
        _write_tables(result, table, tmp)
        if not gpkg_there:
            from ..data.geometry import attach, load_unit_geometry

            write_gpkg(attach(table, load_unit_geometry()), tmp / "scores.gpkg")
        (tmp / "map.html").write_bytes(build_map(result, table, geo, sido, layers).encode("utf-8"))
        if output.xlsx:
            from ..render.xlsx import workbook_bytes

            (tmp / "scores.xlsx").write_bytes(workbook_bytes(result, table, indicator_table(result)))
        # With static maps, the report is rendered while they are drawn; its map is set in when it comes.
        report = report_awaiting_map(result, table, layers[0]) if output.report else None
        drawn = drawing.result() if dpi is not None else {}
        for name, data in drawn.items():
            (tmp / name).write_bytes(data)
        if report is not None:
            (tmp / "report.html").write_bytes(report(drawn.get("map_type.png")).encode("utf-8"))
        if gpkg_there:  # written by the maps process after the maps, while the report was built here
            (tmp / "scores.gpkg").write_bytes(drawing.gpkg())
        # Last, so that it can record a checksum of every other file of the folder.
        outputs = {p.name: sha256(p) for p in sorted(tmp.iterdir()) if p.name != MARKER}
        (tmp / "manifest.json").write_bytes(manifest_text(result, outputs).encode("utf-8"))
    return out_dir


# Stands for map_type.png while the report is rendered before the maps exist: its data URI is then
# replaced by the map's. Not a PNG, so it can never be a real map's bytes.
MAP_SLOT = b"typology: map_type.png comes here"


def report_awaiting_map(result: RunResult, table: pd.DataFrame, type_layer: Any) -> Callable[[bytes | None], str]:
    """report.html rendered now, and a function that gives it with the type map (map_type.png's bytes,
    or None for a run without static maps): the same text as ``build_report`` with that map."""
    from ..render.report import build_report
    from ..render.report_blocks import data_uri

    if not result.settings.output.static_maps:  # no map will come: nothing to wait for
        page = build_report(result, table, type_layer)
        return lambda png: page if png is None else build_report(result, table, type_layer, png)
    page, slot = build_report(result, table, type_layer, MAP_SLOT), data_uri(MAP_SLOT)

    def with_map(png: bytes | None) -> str:
        if not png or page.count(slot) != 1:  # no map after all, or the slot's text is not unique
            return build_report(result, table, type_layer, png)
        return page.replace(slot, data_uri(png))

    return with_map


def draw_maps(maps: MapsProcess, result: RunResult) -> None:
    """Hand ``maps`` what the static maps are drawn from, if the config asks for them: as soon as the
    types are known (``pipeline.run``'s ``on_typed``), so that they are drawn during the validity audit."""
    output = result.settings.output
    if output.static_maps:
        table = result.table()
        maps.draw(table, build_layers(table, result.settings, dimension_names(result)), result.config,
                  output.static_dpi, gpkg=True)


def _write_tables(result: RunResult, table: pd.DataFrame, folder: Path) -> None:
    spreadsheet_safe(table).to_csv(folder / "scores.csv", **CSV_OPTIONS)
    spreadsheet_safe(result.coverage).to_csv(folder / "coverage.csv", **CSV_OPTIONS)
    spreadsheet_safe(result.exclusions).to_csv(folder / "exclusions.csv", **CSV_OPTIONS)
    spreadsheet_safe(indicator_table(result)).to_csv(folder / "indicators.csv", **CSV_OPTIONS)
    for name, extra in sorted(result.tables.items()):
        spreadsheet_safe(extra).to_csv(folder / f"{_safe_name(name)}.csv", **CSV_OPTIONS)
    for name, png in sorted(result.figures.items()):
        (folder / f"{_safe_name(name)}.png").write_bytes(png)


def write_gpkg(geo: Any, path: Path) -> None:
    """scores.gpkg, in this process (a run without a maps process): ``data.geometry.gpkg_bytes``."""
    from ..data.geometry import gpkg_bytes

    path.write_bytes(gpkg_bytes(geo))


def _safe_name(name: str) -> str:
    # Table names come from code, but a file name is never built from free text unchecked.
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"table name {name!r} is not a plain identifier")
    return name
