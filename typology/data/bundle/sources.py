"""Readers for the bundled source tables in indicators/sources/.

Each reader returns tidy rows (code, year, variable, value, source_id) at the unit level,
plus a log of every source row that was rolled up, excluded or kept as missing, with the
reason. A source row that matches no unit and has no documented reason stops the build.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import TypologyError
from ..units import RegionMatcher

Reader = Callable[[Path, RegionMatcher], tuple[pd.DataFrame, list[dict]]]
READERS: dict[str, Reader] = {}


def reader(source_id: str) -> Callable[[Reader], Reader]:
    def add(fn: Reader) -> Reader:
        READERS[source_id] = fn
        return fn

    return add


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **kwargs)
    except (OSError, ValueError) as exc:
        raise TypologyError(f"{path}: cannot read as CSV ({exc})") from None


def _require_matched(frame: pd.DataFrame, path: Path, label: Callable[[pd.Series], str]) -> None:
    bad = frame[frame["code"].isna()]
    if not bad.empty:
        shown = "; ".join(f"row {i + 2}: {label(r)}" for i, r in bad.head(5).iterrows())
        raise TypologyError(f"{path}: {len(bad)} rows match no unit ({shown})")


def _match_by_name(frame: pd.DataFrame, path: Path, matcher: RegionMatcher, sido: str, name: str) -> pd.DataFrame:
    """Codes from (시도, 시군구) name pairs; a row that matches no unit stops the build."""
    frame = frame.copy()
    frame["code"] = [matcher.match_name(s, g) for s, g in zip(frame[sido], frame[name])]
    _require_matched(frame, path, lambda r: f"{r[sido]} {r[name]}")
    frame["label"] = frame[sido] + " " + frame[name]
    return frame


def _sum_to_units(frame: pd.DataFrame, columns: dict[str, str], year: int, source_id: str) -> pd.DataFrame:
    """Counts are summed to units; rates are formed later from the summed counts."""
    summed = frame.groupby("code")[list(columns)].sum(min_count=1)
    parts = [pd.DataFrame({"code": summed.index, "year": year, "variable": var,
                           "value": summed[col].to_numpy(), "source_id": source_id})
             for col, var in columns.items()]
    return pd.concat(parts, ignore_index=True)


def _rollup_log(frame: pd.DataFrame, source_id: str, name_col: str) -> list[dict]:
    counts = frame.groupby("code")[name_col].transform("count")
    rolled = frame[counts > 1]
    return [{"source_id": source_id, "row": f"{r[name_col]}", "action": f"summed into unit {r['code']}"}
            for _, r in rolled.iterrows()]


@reader("nec_local2022")
def nec_local2022(path: Path, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    frame = _read_csv(path / "local2022_sido_head_turnout_by_gusigun.csv")
    frame = _match_by_name(frame, path, matcher, "시도명", "구시군명")
    columns = {"선거인수": "electorate_local", "투표수": "votes_local", "사전투표수": "early_votes_local"}
    return _sum_to_units(frame, columns, 2022, "nec_local2022"), _rollup_log(frame, "nec_local2022", "label")


@reader("nec_president2022")
def nec_president2022(path: Path, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    """2022 presidential turnout: a validation criterion, never an input (see sources.yaml)."""
    frame = _read_csv(path / "president2022_turnout_by_gusigun.csv")
    frame = _match_by_name(frame, path, matcher, "시도명", "구시군명")
    columns = {"선거인수": "electorate_president", "투표수": "votes_president"}
    return _sum_to_units(frame, columns, 2022, "nec_president2022"), _rollup_log(frame, "nec_president2022", "label")


@reader("nec_local_second_source")
def nec_local_earlier(path: Path, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    """2014 and 2018 governor-race turnout; 2022 comes from nec_local2022, which has early votes."""
    frame = _read_csv(path / "local-election-turnout-municipal.csv")
    log = [{"source_id": "nec_local_second_source", "row": f"round {r}",
            "action": "not built: " + ("2022 is built from nec_local2022" if r == 8 else "older than 2014")}
           for r in sorted(frame["election_round"].unique()) if r not in (6, 7)]
    frame = frame[frame["election_round"].isin([6, 7])].copy()
    frame = _match_by_name(frame, path, matcher, "province", "municipality")
    frame["label"] = frame["election_date"] + " " + frame["label"]
    parts = []
    for year, part in frame.groupby(frame["election_date"].str[:4].astype(int)):
        parts.append(_sum_to_units(part, {"electorate": "electorate_local", "votes": "votes_local"},
                                   int(year), "nec_local_second_source"))
        log += _rollup_log(part, "nec_local_second_source", "label")
    return pd.concat(parts, ignore_index=True), log


@reader("nec_early_voting")
def nec_early_voting(path: Path, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    """Early votes in the 2018 local elections (2022 comes with nec_local2022)."""
    frame = _read_csv(path / "early_voting_gusigun_2014_2021.csv", dtype={"선거코드": str})
    # 사전투표구분 0 is the two days together; 1 and 2 are the single days.
    frame = frame[(frame["선거코드"] == "20180613") & (frame["사전투표구분"] == 0)].copy()
    frame = _match_by_name(frame, path, matcher, "시도명", "구시군명")
    out = _sum_to_units(frame, {"사전투표자수": "early_votes_local"}, 2018, "nec_early_voting")
    log = [{"source_id": "nec_early_voting", "row": "elections other than 2018-06-13",
            "action": "not built: national elections, not local ones"}]
    return out, log + _rollup_log(frame, "nec_early_voting", "label")


@reader("fiscal_independence")
def fiscal_independence(path: Path, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    parts = []
    for file in sorted(path.glob("FI_*.csv")):
        frame = _read_csv(file)
        frame["code"] = frame["CODE"].map(matcher.match_code)
        _require_matched(frame, file, lambda r: f"CODE {r['CODE']} {r['SD']} {r['SGG']}")
        if frame["code"].duplicated().any():
            dup = frame.loc[frame["code"].duplicated(), "SGG"].tolist()
            raise TypologyError(f"{file}: several rows for one unit ({dup}); a ratio cannot be summed")
        parts.append(pd.DataFrame({"code": frame["code"], "year": frame["YEAR"].astype(int),
                                   "variable": "fiscal_independence", "value": frame["FI"].astype(float),
                                   "source_id": "fiscal_independence"}))
    return pd.concat(parts, ignore_index=True), []


@reader("staff_quota_2026")
def staff_quota(path: Path, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    frame = _read_csv(path / "local_gov_staff_quota_2026.csv", dtype={"code": str})
    log: list[dict] = []
    single_tier = {"세종특별자치시", "제주특별자치도"}
    keep = []
    for _, row in frame.iterrows():
        if row["level"] == "광역" and row["name"] not in single_tier:
            log.append({"source_id": "staff_quota_2026", "row": row["name"],
                        "action": "excluded: 광역 government, not a unit of analysis"})
            continue
        if row["level"] == "광역":
            code = matcher.match_code(row["code"])
        else:
            sido, _, sgg = row["name"].partition(" ")
            code = matcher.match_name(sido, sgg)
        value = float(row["staff_quota_total"])
        if value <= 0:
            log.append({"source_id": "staff_quota_2026", "row": row["name"],
                        "action": "kept as missing: quota 0 comes from a wrongly matched ordinance"})
            value = np.nan
        keep.append({"code": code, "name": row["name"], "value": value})
    out = pd.DataFrame(keep)
    _require_matched(out, path, lambda r: r["name"])
    out = out.assign(year=2026, variable="staff_quota", source_id="staff_quota_2026")
    return out[["code", "year", "variable", "value", "source_id"]], log


@reader("maeul_enterprises_2025")
def maeul(path: Path, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    frame = _read_csv(path / "maeul_enterprise_counts_by_sigungu_2025.csv")
    frame = _match_by_name(frame, path, matcher, "sido", "sigungu")
    out = _sum_to_units(frame, {"n_enterprises": "maeul_enterprises"}, 2025, "maeul_enterprises_2025")
    return out, _rollup_log(frame, "maeul_enterprises_2025", "label")


@reader("net_migration")
def net_migration(path: Path, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    frame = _read_csv(path / "net_migration_annual_by_local_gov_derived.csv")
    # A year is complete when the source covers all 12 months; within it, a unit that changed
    # name or 시도 mid-year (군위군, 2023-07) appears twice with part-years that add up.
    months = frame.groupby("year")["n_months"].max()
    complete = set(months[months == 12].index)
    log = [{"source_id": "net_migration", "row": f"{r.local_gov} {r.year}",
            "action": f"excluded: {r.year} is a partial year in the source ({months[r.year]} months)"}
           for r in frame[~frame["year"].isin(complete)].itertuples()]
    frame = frame[frame["year"].isin(complete)].copy()
    split = frame["local_gov"].str.split(" ", n=1)
    frame["code"] = [matcher.match_name(p[0], p[1] if len(p) > 1 else "") for p in split]
    _require_matched(frame, path, lambda r: r["local_gov"])
    parts = []
    for year, part in frame.groupby("year"):
        parts.append(_sum_to_units(part, {"net": "net_migration"}, int(year), "net_migration"))
        log += _rollup_log(part, "net_migration", "local_gov")
    return pd.concat(parts, ignore_index=True), log


@reader("participation_units_2026")
def participation_units(path: Path, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    frame = _read_csv(path / "org_units_participation_keywords_2026.csv", dtype={"code": str})
    split = frame["name"].str.split(" ", n=1)
    frame["code"] = [matcher.match_name(p[0], p[1]) for p in split]
    _require_matched(frame, path, lambda r: r["name"])
    out = pd.DataFrame({"code": frame["code"], "year": 2026, "variable": "participation_unit",
                        "value": frame["has_participation_unit"].astype(float),
                        "source_id": "participation_units_2026"})
    return out, []


@reader("jumin_pilot_2013")
def jumin_pilot(path: Path, matcher: RegionMatcher) -> tuple[pd.DataFrame, list[dict]]:
    frame = _read_csv(path / "jumin_jachihoe_pilot_2013.csv")
    frame = _match_by_name(frame, path, matcher, "sido", "sigungu_localgov")
    piloted = set(frame["code"])
    units = matcher.units["code"]
    # The pilot list is a complete announcement (less one unknown entry), so absence is a 0.
    out = pd.DataFrame({"code": units, "year": 2013, "variable": "jumin_pilot",
                        "value": units.isin(piloted).astype(float), "source_id": "jumin_pilot_2013"})
    return out, []
