"""``typology build-data``: rebuild units, variables and geometry from the sources."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ... import paths
from ...core import progress
from ...core.atomic import atomic_file, write_csv
from ...errors import TypologyError
from .. import places, units
from . import census, geometry, sources, units_table

VARIABLE_COLUMNS = ["code", "year", "variable", "value", "source_id"]


def build_all(*, with_geometry: bool = True) -> dict[str, int]:
    census.require_build_extra()
    # Steps: the census and units, each source, and the geometry.
    steps = 1 + len(sources.READERS) + with_geometry
    with progress.task("자료 구축 build-data", steps, "steps") as advance:
        return _build(with_geometry, advance)


def _build(with_geometry: bool, advance: Callable[[int], None]) -> dict[str, int]:
    table = census.load_census_table()
    crosswalk = pd.read_csv(paths.CROSSWALK, dtype=str, keep_default_na=False)
    unit_table = units_table.build_units(crosswalk, places.load_sido(), census.english_names(table))
    write_csv(unit_table, paths.UNITS, bom=True)
    places.load_units.cache_clear()
    units.matcher.cache_clear()
    matcher = units.matcher()

    frames, log = [], []
    census_rows, census_log = census.census_variables(table, matcher)
    frames.append(census_rows)
    log += census_log
    area_rows, area_log = census.area_variables(matcher)
    frames.append(area_rows)
    log += area_log
    advance(1)
    for source_id, read in sorted(sources.READERS.items()):
        rows, source_log = read(paths.SOURCES_DIR / source_id, matcher)
        frames.append(rows)
        log += source_log
        advance(1)
    variables = pd.concat(frames, ignore_index=True)[VARIABLE_COLUMNS]
    duplicated = variables.duplicated(["code", "year", "variable"])
    if duplicated.any():
        first = variables[duplicated].iloc[0]
        raise TypologyError(f"build: {first['variable']} {first['year']} given twice for unit {first['code']}")
    variables = variables.sort_values(["variable", "year", "code"]).reset_index(drop=True)
    write_csv(variables, paths.VARIABLES)
    write_csv(pd.DataFrame(log, columns=["source_id", "row", "action"]), paths.BUILD_LOG)

    if with_geometry:
        unit_geom, sido_geom = geometry.build_geometry(matcher)
        for frame, path in ((unit_geom, paths.GEOMETRY), (sido_geom, paths.SIDO_GEOMETRY)):
            with atomic_file(path) as tmp:
                geometry.write_geojson(frame, tmp)
        advance(1)
    return {"units": len(unit_table), "rows": len(variables), "log": len(log)}
