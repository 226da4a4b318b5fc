"""``typology fetch``: one catalogue variable from the KOSIS OpenAPI, as a table for data.tables.

The catalogue says where a variable lives in KOSIS (``kosis:`` under the variable: org_id,
tbl_id and, where needed, itm_id, obj_l1.., item, region). ``fetch`` asks the statistics-data
service (Param/statisticsParameterData.do) once per year, keeps each raw JSON answer in a cache
named by a hash of the request (the API key is never part of it, nor of any file), and writes a
long table: code (the KOSIS classification code, C1), region (its name, C1_NM), year, variable,
value, unit, item, source_id. The run matches that table like any other user table, so every
KOSIS row is matched, rolled up, or listed in unmatched.csv.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import progress
from ..core.atomic import atomic_file
from ..core.catalog import Catalog
from ..core.ownership import claim_file, write_owned_csv
from ..errors import TypologyError

API_URL = "https://kosis.kr/openapi/Param/statisticsParameterData.do"
URL_ENV = "TYPOLOGY_KOSIS_URL"  # a mirror (or a test server) in place of https://kosis.kr/openapi
KEY_ENV = "KOSIS_API_KEY"
TIMEOUT = 60.0
OUT_COLUMNS = ["code", "region", "year", "variable", "value", "unit", "item", "source_id"]
SPEC_KEYS = {"org_id", "tbl_id", "itm_id", "prd_se", "item", "region", "note",
             *(f"obj_l{i}" for i in range(1, 9))}

Transport = Callable[[str, float], bytes]


def _urlopen(url: str, timeout: float) -> bytes:
    # 5xx answers and timeouts are retried with backoff, as by every connector (connectors.http).
    from .connectors.http import BACKOFF, RETRIES

    for attempt in range(RETRIES + 1):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or attempt == RETRIES:
                raise
        except (urllib.error.URLError, TimeoutError) as exc:
            if not isinstance(getattr(exc, "reason", exc), TimeoutError) or attempt == RETRIES:
                raise
        time.sleep(BACKOFF * 2 ** attempt)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class KosisQuery:
    variable: str
    org_id: str
    tbl_id: str
    itm_id: str = "ALL"
    prd_se: str = "Y"
    objects: dict[str, str] = field(default_factory=dict)
    item: str | None = None
    region: str = "C1"

    def params(self, year: int) -> dict[str, str]:
        """Request parameters for one year, without the API key."""
        out = {"method": "getList", "format": "json", "jsonVD": "Y", "orgId": self.org_id, "tblId": self.tbl_id,
               "itmId": self.itm_id, "prdSe": self.prd_se, "startPrdDe": str(year), "endPrdDe": str(year)}
        out.update({f"objL{i}": self.objects.get(f"obj_l{i}", "ALL" if i == 1 else "") for i in range(1, 9)})
        return out

    @property
    def source_id(self) -> str:
        return f"kosis_{self.org_id}_{self.tbl_id}"


def kosis_queries(catalog: Catalog, key: str) -> list[KosisQuery]:
    """The KOSIS queries for a variable, or for every variable of an indicator that has one."""
    if key in catalog.variables:
        names = [key]
    elif key in catalog.indicators:
        names = sorted({r.variable for r in catalog.indicators[key].refs()
                        if catalog.variables[r.variable].get("kosis")})
        if not names:
            raise TypologyError(f"indicator {key!r}: none of its variables has a kosis: entry in {catalog.path}; "
                                f"add the KOSIS table to the variable (org_id, tbl_id) or supply your own table")
    else:
        raise TypologyError(f"{key!r} is neither a variable nor an indicator of the catalogue {catalog.path}")
    return [_query(catalog, name) for name in names]


def _query(catalog: Catalog, name: str) -> KosisQuery:
    spec = catalog.variables[name].get("kosis")
    where = f"{catalog.path}: variables.{name}.kosis"
    if not spec:
        raise TypologyError(f"variable {name!r} has no kosis: entry in {catalog.path}, so it cannot be fetched; "
                            f"its source is {catalog.variables[name].get('source')!r}")
    if not isinstance(spec, dict) or not spec.get("org_id") or not spec.get("tbl_id"):
        raise TypologyError(f"{where}: needs org_id and tbl_id")
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise TypologyError(f"{where}.{unknown[0]}: unknown; expected one of {', '.join(sorted(SPEC_KEYS))}")
    objects = {k: str(v) for k, v in spec.items() if k.startswith("obj_l") and v is not None}
    return KosisQuery(name, str(spec["org_id"]), str(spec["tbl_id"]), str(spec.get("itm_id", "ALL")),
                      str(spec.get("prd_se", "Y")), objects, spec.get("item"), str(spec.get("region", "C1")))


def cache_path(cache_dir: Path, query: KosisQuery, year: int) -> Path:
    # Named by a hash of the request: never by data values, never by the key.
    digest = hashlib.sha256(json.dumps(query.params(year), sort_keys=True).encode()).hexdigest()[:24]
    return cache_dir / f"kosis_{digest}.json"


def parse_response(body: bytes, where: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TypologyError(f"{where}: KOSIS did not answer with JSON (starts {body[:60]!r})") from None
    if isinstance(data, dict):
        if "err" in data or "errMsg" in data:
            raise TypologyError(f"{where}: KOSIS API error {data.get('err', '?')}: {data.get('errMsg', '')}".rstrip())
        raise TypologyError(f"{where}: unexpected KOSIS answer (a mapping with keys {sorted(data)[:6]})")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise TypologyError(f"{where}: unexpected KOSIS answer (expected a list of records)")
    return data


def fetch_year(query: KosisQuery, year: int, cache_dir: Path, api_key: str | None,
               transport: Transport = _urlopen, refresh: bool = False) -> tuple[list[dict[str, Any]], bool]:
    """Records for one year, from the cache or the API; returns (records, came from cache)."""
    where = f"KOSIS {query.org_id}/{query.tbl_id} {year}"
    cached = cache_path(cache_dir, query, year)
    if cached.is_file() and not refresh:
        return parse_response(cached.read_bytes(), f"{where} (cache {cached})"), True
    if not api_key:
        raise TypologyError(f"{where}: environment variable {KEY_ENV} is not set and the answer is not cached; "
                            f"get a key at kosis.kr/openapi and export {KEY_ENV}=<key>")
    base = os.environ.get(URL_ENV, "").strip().rstrip("/")
    endpoint = f"{base}/Param/statisticsParameterData.do" if base else API_URL
    url = f"{endpoint}?{urllib.parse.urlencode({**query.params(year), 'apiKey': api_key})}"
    try:
        body = transport(url, TIMEOUT)
    except urllib.error.HTTPError as exc:
        raise TypologyError(f"{where}: KOSIS answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TypologyError(f"{where}: network failure reaching KOSIS ({reason}); nothing was cached, "
                            f"try again when online") from None
    records = parse_response(body, where)  # an error answer is never cached
    with atomic_file(cached) as tmp:
        tmp.write_bytes(body)
    return records, False


def tidy_records(records: list[dict[str, Any]], query: KosisQuery, year: int) -> pd.DataFrame:
    where = f"KOSIS {query.org_id}/{query.tbl_id} {year}"
    code_key, name_key = query.region, f"{query.region}_NM"
    rows = []
    for r in records:
        if query.item and query.item not in (r.get("ITM_ID"), r.get("ITM_NM")):
            continue
        if code_key not in r or "DT" not in r or "PRD_DE" not in r:
            raise TypologyError(f"{where}: a record lacks {code_key}, PRD_DE or DT (keys {sorted(r)[:8]}); check "
                                f"region: in the catalogue's kosis entry")
        rows.append({"code": str(r[code_key]).strip(), "region": str(r.get(name_key, "")).strip(),
                     "year": str(r["PRD_DE"])[:4], "variable": query.variable, "value": str(r["DT"]).strip(),
                     "unit": str(r.get("UNIT_NM", "")).strip(), "item": str(r.get("ITM_NM", "")).strip(),
                     "source_id": query.source_id})
    frame = pd.DataFrame(rows, columns=OUT_COLUMNS)
    items = sorted(set(frame["item"]) - {""})
    if len(items) > 1:
        raise TypologyError(f"{where}: the table has several items {items}; set item: (ITM_ID or ITM_NM) in the "
                            f"catalogue's kosis entry for {query.variable}")
    other = frame[frame["year"] != str(year)]
    if len(other):
        raise TypologyError(f"{where}: KOSIS returned period {other['year'].iat[0]} for a request of {year}")
    return frame


@dataclass
class FetchResult:
    path: Path
    rows: int
    cached: int
    downloaded: int
    snippet: str


def fetch(catalog: Catalog, key: str, years: list[int], out: Path, cache_dir: Path,
          transport: Transport = _urlopen, refresh: bool = False, force: bool = False) -> FetchResult:
    """``out`` replaces only a file that the tool wrote (unchanged since) unless ``force``; checked first."""
    if not years:
        raise TypologyError("give at least one year, e.g. --year 2020")
    out = claim_file(out, force=force)
    api_key = os.environ.get(KEY_ENV, "").strip() or None
    frames, cached, downloaded = [], 0, 0
    requests = [(q, y) for q in kosis_queries(catalog, key) for y in sorted(set(years))]
    for query, year in progress.track(requests, f"KOSIS {key}", len(requests), "requests"):
        records, hit = fetch_year(query, year, cache_dir, api_key, transport, refresh)
        cached += hit
        downloaded += not hit
        frames.append(tidy_records(records, query, year))
    table = pd.concat(frames, ignore_index=True)
    if table.empty:
        raise TypologyError(f"KOSIS returned no rows for {key} in {years}")
    write_owned_csv(table, out, force=force)
    snippet = ("data:\n  tables:\n"
               f"    - path: {out}\n      layout: long\n      code_system: auto   # or kostat / std5 if asked\n"
               f"      year: {sorted(set(years)) if len(set(years)) > 1 else years[0]}\n")
    return FetchResult(out, len(table), cached, downloaded, snippet)
