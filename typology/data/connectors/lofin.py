"""지방재정365 Open API (``lofin365.go.kr/lf/hub/<service>``): one amount or rate per 자치단체.

Its 7-digit 자치단체 codes (laf_cd) are its own, so rows are matched by name: ``laf_hg_nm``
joins 시도 and 시군구 without a space ("서울종로구"). The 시도's own rows (본청) are set aside and
listed, never spread to the 시군구. The service and field come from the catalogue's ``lofin:``
entry; a field the answer lacks is an error naming the fields it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import TypologyError
from . import http
from .places import Assigner

LOFIN = http.Api("지방재정365 API", "https://www.lofin365.go.kr/lf/hub", "TYPOLOGY_LOFIN_URL", "LOFIN_KEY", "Key",
                 "lofin365.go.kr (Open API 인증키 신청)")
PAGE_SIZE = 1000
NO_DATA = "INFO-200"


@dataclass(frozen=True)
class LofinSpec:
    variable: str
    service: str
    field: str
    divide: float = 1.0


def _head_and_rows(data: Any, service: str, where: str) -> tuple[int, list[dict[str, Any]]]:
    if not isinstance(data, dict):
        raise TypologyError(f"{where}: unexpected answer (not a JSON object)")
    if service not in data:
        result = data.get("RESULT")
        result = result[0] if isinstance(result, list) and result else result
        if isinstance(result, dict):
            code = str(result.get("CODE", ""))
            if code == NO_DATA:
                return 0, []
            raise TypologyError(f"{where}: {LOFIN.label} error {code}: {result.get('MESSAGE', '')}".rstrip(": "))
        raise TypologyError(f"{where}: unexpected answer (keys {sorted(data)[:6]})")
    total, rows = 0, []
    for part in data[service] or []:
        for head in part.get("head", []) if isinstance(part, dict) else []:
            if "list_total_count" in head:
                total = int(head["list_total_count"])
            result = head.get("RESULT")
            if isinstance(result, dict) and not str(result.get("CODE", "INFO-000")).startswith("INFO-000"):
                if result.get("CODE") == NO_DATA:
                    return 0, []
                raise TypologyError(f"{where}: {LOFIN.label} error {result.get('CODE')}: {result.get('MESSAGE', '')}")
        if isinstance(part, dict) and isinstance(part.get("row"), list):
            rows += part["row"]
    return total, rows


def rows_for_year(spec: LofinSpec, year: int, cache_dir: Path | None, refresh: bool,
                  record: http.Provenance) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        params = {"Type": "json", "pIndex": str(page), "pSize": str(PAGE_SIZE), "fyr": str(year)}
        where = f"{LOFIN.label} {spec.service} {year} page {page}"
        body, cached, shown = http.get(LOFIN, spec.service, params, cache_dir, refresh=refresh, where=where)
        total, found = _head_and_rows(http.read_json(body, where, LOFIN.label), spec.service, where)
        if not cached:
            http.store(LOFIN, spec.service, params, cache_dir, body)
        record.add(shown, params, len(found), cached)
        rows += found
        if not found or len(rows) >= total:
            return rows
        page += 1


def _number(text: object, where: str) -> float:
    try:
        return float(str(text).replace(",", "").strip())
    except ValueError:
        raise TypologyError(f"{where}: {text!r} is not a number") from None


def fetch_lofin(spec: LofinSpec, years: list[int], cache_dir: Path | None = http.DEFAULT_CACHE,
                refresh: bool = False) -> tuple[pd.DataFrame, dict[str, Any], Assigner]:
    if not years:
        raise TypologyError("give at least one year, e.g. --year 2023")
    record = http.Provenance(f"{LOFIN.base_url}/{spec.service}")
    assign = Assigner()
    out = []
    for year in sorted(set(years)):
        rows = rows_for_year(spec, year, cache_dir, refresh, record)
        for i, row in enumerate(rows):
            where = f"{LOFIN.label} {spec.service} {year} row {i + 1}"
            if spec.field not in row:
                raise TypologyError(f"{where}: no field {spec.field!r}; the rows carry {sorted(row)}; set field: in "
                                    f"the catalogue's lofin entry for {spec.variable}")
            unit = assign.joined(str(row.get("laf_hg_nm", "")), str(row.get("wa_laf_hg_nm", "")))
            if unit is None:
                continue
            out.append({"code": unit, "year": int(row.get("fyr") or year), "variable": spec.variable,
                        "value": _number(row[spec.field], where) / spec.divide,
                        "source_id": f"lofin_{spec.service}_{spec.field}"})
    table = pd.DataFrame(out, columns=["code", "year", "variable", "value", "source_id"])
    if table.empty:
        raise TypologyError(f"{LOFIN.label} {spec.service}: no 시군구 rows for {sorted(set(years))}")
    dup = table[table.duplicated(["code", "year"], keep=False)]
    if len(dup):
        raise TypologyError(f"{LOFIN.label} {spec.service}: unit {dup['code'].iat[0]} has several rows in "
                            f"{dup['year'].iat[0]} (names matching one unit twice)")
    prov = record.record({"variable": spec.variable, "service": spec.service, "field": spec.field,
                          "not_assigned": assign.report()})
    return table, prov, assign
