"""KOSIS table metadata: the items of a table (``statisticsData.do?method=getMeta&type=ITM``),
for choosing the ``item:`` of a catalogue ``kosis:`` entry when the item id is unknown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...errors import TypologyError
from . import http

KOSIS = http.Api("KOSIS OpenAPI", "https://kosis.kr/openapi", "TYPOLOGY_KOSIS_URL", "KOSIS_API_KEY", "apiKey",
                 "kosis.kr/openapi")
META_PATH = "statisticsData.do"


def list_items(org_id: str, tbl_id: str, cache_dir: Path | None = http.DEFAULT_CACHE,
               refresh: bool = False) -> pd.DataFrame:
    params = {"method": "getMeta", "type": "ITM", "orgId": org_id, "tblId": tbl_id, "format": "json"}
    where = f"KOSIS {org_id}/{tbl_id} items"
    body, cached, _ = http.get(KOSIS, META_PATH, params, cache_dir, refresh=refresh, where=where)
    data = http.read_json(body, where, KOSIS.label)
    if isinstance(data, dict):
        raise TypologyError(f"{where}: KOSIS API error {data.get('err', '?')}: {data.get('errMsg', '')}".rstrip(": "))
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise TypologyError(f"{where}: unexpected answer (expected a list of records)")
    if not cached:
        http.store(KOSIS, META_PATH, params, cache_dir, body)
    rows = [{"obj_id": r.get("OBJ_ID", ""), "obj_nm": r.get("OBJ_NM", ""), "itm_id": r.get("ITM_ID", ""),
             "itm_nm": r.get("ITM_NM", ""), "unit": r.get("UNIT_NM", r.get("UNIT_NM_KOR", ""))} for r in data]
    return pd.DataFrame(rows, columns=["obj_id", "obj_nm", "itm_id", "itm_nm", "unit"])
