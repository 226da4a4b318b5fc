"""Loading the derived unit geometry shipped in boundaries/.

Two readers of the same files. ``load_unit_geometry``/``load_sido_geometry`` give GeoDataFrames
read by GDAL (pyogrio), with their CRS, for everything that projects, joins or writes geometry.
``load_unit_shapes``/``load_sido_shapes`` read the GeoJSON with the json module into plain
DataFrames of shapely geometries: the same coordinates (both parse each number to the nearest
double), for map.html, which only needs the lon/lat shapes; a run then never loads GDAL
(~45 MiB and ~0.3 s) in its main process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import paths
from ..errors import TypologyError

if TYPE_CHECKING:
    import geopandas as gpd

# The one projected CRS: Korea 2000 / Unified CS (EPSG:5179), in metres, true shape for the whole
# country. Distances, areas and the printed maps are all taken in it.
METRIC_CRS = "EPSG:5179"


def _check_units(path: Path, codes: pd.Series, geometry: Any) -> None:
    import shapely

    shapes = np.asarray(geometry, dtype=object)
    invalid = ~shapely.is_valid(shapes) | shapely.is_empty(shapes)
    if invalid.any():
        raise TypologyError(f"{path}: invalid or empty geometry for units {codes[invalid].tolist()}")


def load_unit_geometry() -> gpd.GeoDataFrame:
    import geopandas as gpd

    path = paths.require(paths.GEOMETRY, "unit geometry")
    frame = gpd.read_file(path)
    frame["code"] = frame["code"].astype(str)
    _check_units(path, frame["code"], frame.geometry)
    return frame


def load_sido_geometry() -> gpd.GeoDataFrame:
    import geopandas as gpd

    frame = gpd.read_file(paths.require(paths.SIDO_GEOMETRY, "시도 geometry"))
    frame["sido_code"] = frame["sido_code"].astype(str)
    return frame


def _polygon(rings: list[Any]) -> Any:
    import shapely

    shell, *holes = (shapely.linearrings(np.asarray(ring, dtype=float)) for ring in rings)
    return shapely.polygons(shell, holes or None)


def _shape(geometry: dict[str, Any] | None) -> Any:
    import shapely.geometry

    if geometry is None:
        return None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    # The bundled files hold polygons and multipolygons: built from coordinate arrays, a third of
    # the time of shapely's generic reader, which every other (and every empty) shape goes through.
    if kind == "Polygon" and coordinates:
        return _polygon(coordinates)
    if kind == "MultiPolygon" and coordinates and all(coordinates):
        return shapely.multipolygons([_polygon(part) for part in coordinates])
    return shapely.geometry.shape(geometry)


def read_shapes(path: Path, key: str) -> pd.DataFrame:
    """The features of a GeoJSON file as ``key`` (text) and ``geometry`` (shapely, as the file has it).

    Parameters
    ----------
    path : Path
        A GeoJSON FeatureCollection.
    key : str
        The feature property to keep, e.g. ``code``.

    Returns
    -------
    pandas.DataFrame
        One row per feature, in the file's order, as ``gpd.read_file`` gives them.
    """
    features = json.loads(path.read_bytes())["features"]
    keys = [(feature.get("properties") or {}).get(key) for feature in features]
    return pd.DataFrame({key: pd.Series(keys, dtype=object).astype(str),
                         "geometry": pd.Series([_shape(f.get("geometry")) for f in features], dtype=object)})


def load_unit_shapes() -> pd.DataFrame:
    """``load_unit_geometry`` without GDAL: code and geometry (shapely, lon/lat), the same shapes and checks.

    Returns
    -------
    pandas.DataFrame
        Columns code and geometry.
    """
    path = paths.require(paths.GEOMETRY, "unit geometry")
    frame = read_shapes(path, "code")
    _check_units(path, frame["code"], frame["geometry"])
    return frame


def load_sido_shapes() -> pd.DataFrame:
    """``load_sido_geometry`` without GDAL: sido_code and geometry (shapely, lon/lat).

    Returns
    -------
    pandas.DataFrame
        Columns sido_code and geometry.
    """
    return read_shapes(paths.require(paths.SIDO_GEOMETRY, "시도 geometry"), "sido_code")


def _joined(table: pd.DataFrame, geometry: pd.DataFrame) -> pd.DataFrame:
    missing = sorted(set(table["code"]) - set(geometry["code"]))
    if missing:
        raise TypologyError(f"{paths.GEOMETRY}: no geometry for units {missing}")
    return table.merge(geometry[["code", "geometry"]], on="code", how="left", validate="one_to_one")


def attach(table: pd.DataFrame, geometry: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Join by code, never by row position; every unit must have exactly one shape."""
    import geopandas as gpd

    return gpd.GeoDataFrame(_joined(table, geometry), geometry="geometry", crs=geometry.crs)


def attach_shapes(table: pd.DataFrame, shapes: pd.DataFrame) -> pd.DataFrame:
    """``attach`` for ``load_unit_shapes``: the table with a geometry column of shapely shapes, same checks.

    Parameters
    ----------
    table : pandas.DataFrame
        The run's table (a code column).
    shapes : pandas.DataFrame
        ``load_unit_shapes()``.

    Returns
    -------
    pandas.DataFrame
        ``table`` in its order with a geometry column.
    """
    return _joined(table, shapes)


FIXED_GPKG_TIME = "2020-01-01T00:00:00.000Z"  # the date scores.xlsx carries too


def gpkg_bytes(geo: gpd.GeoDataFrame) -> bytes:
    """``geo`` as scores.gpkg's bytes (one layer, scores), written in memory, with GDAL's "last change"
    timestamps fixed (as scores.xlsx's are), so the same run gives the same bytes.

    In memory, so that whoever writes the file (the main process, or the maps process that hands the
    bytes back) writes it into the run folder as any other file, atomically with it.

    Parameters
    ----------
    geo : geopandas.GeoDataFrame
        The layer's rows and geometry.

    Returns
    -------
    bytes
        The file, the same bytes as GDAL writes to a path.
    """
    import io

    import pyogrio
    import pyogrio.errors

    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_GPKG_TIME})
    buffer = io.BytesIO()
    try:
        geo.to_file(buffer, driver="GPKG", layer="scores")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise TypologyError(f"scores.gpkg: GDAL could not write the GeoPackage ({exc})") from None
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})
    return buffer.getvalue()
