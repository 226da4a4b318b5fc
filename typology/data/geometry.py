"""Loading the derived unit geometry shipped in boundaries/."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .. import paths
from ..errors import TypologyError

# The one projected CRS: Korea 2000 / Unified CS (EPSG:5179), in metres, true shape for the whole
# country. Distances, areas and the printed maps are all taken in it.
METRIC_CRS = "EPSG:5179"


def load_unit_geometry() -> gpd.GeoDataFrame:
    path = paths.require(paths.GEOMETRY, "unit geometry")
    frame = gpd.read_file(path)
    frame["code"] = frame["code"].astype(str)
    invalid = ~frame.geometry.is_valid | frame.geometry.is_empty
    if invalid.any():
        raise TypologyError(f"{path}: invalid or empty geometry for units {frame.loc[invalid, 'code'].tolist()}")
    return frame


def load_sido_geometry() -> gpd.GeoDataFrame:
    frame = gpd.read_file(paths.require(paths.SIDO_GEOMETRY, "시도 geometry"))
    frame["sido_code"] = frame["sido_code"].astype(str)
    return frame


def attach(table: pd.DataFrame, geometry: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Join by code, never by row position; every unit must have exactly one shape."""
    missing = sorted(set(table["code"]) - set(geometry["code"]))
    if missing:
        raise TypologyError(f"{paths.GEOMETRY}: no geometry for units {missing}")
    joined = table.merge(geometry[["code", "geometry"]], on="code", how="left", validate="one_to_one")
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=geometry.crs)
