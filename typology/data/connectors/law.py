"""Ordinances (조례) from the law.go.kr 자치법규 Open API, counted per unit and year.

``lawSearch.do?target=ordin&type=JSON`` lists 자치법규 by title. For each keyword the list is
paged through (``display`` ≤ 100 until ``totalCnt``) twice: the versions in force (``nw=1``) and
the history (``nw=2``), so that an ordinance counts from its first 시행일자, not from its latest
amendment, and a repealed one (제개정구분명 폐지) stops counting when the repeal takes effect
(one no longer in force without a 폐지 version in the list counts up to the year of its last version).
Only 조례 (``knd=30001``) whose 자치법규명 contains a keyword are kept. The value for a unit
and year is the number of such ordinances in force on 31 December; the list covers every
local government, so a unit without one has a real 0.

An ordinance is an institution on paper: it says a council or a budget procedure may exist, not
that it works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from ...core import progress
from ...errors import TypologyError
from ..places import norm
from . import http
from .places import Assigner, all_unit_codes

LAW = http.Api("law.go.kr 자치법규 API", "https://www.law.go.kr/DRF", "TYPOLOGY_LAW_URL", "LAW_OC", "OC",
               "open.law.go.kr (OPEN API 신청)")
PATH = "lawSearch.do"
PAGE_SIZE = 100
ORDINANCE = "30001"  # knd: 조례 (30002 is 규칙)
MAX_PAGES = 500


@dataclass
class OrdinanceResult:
    table: pd.DataFrame
    items: int            # matching ordinance versions read
    ordinances: int       # distinct ordinances assigned to a unit
    provenance: dict[str, Any]
    aside: Assigner


def _items(data: Any, where: str) -> tuple[int, list[dict[str, Any]]]:
    if not isinstance(data, dict):
        raise TypologyError(f"{where}: unexpected answer (not a JSON object)")
    root = data.get("OrdinSearch")
    if root is None:
        # law.go.kr answers a rejected OC or a bad parameter with a small object of its own.
        message = " ".join(str(data[k]) for k in ("result", "msg", "resultMsg", "message") if data.get(k))
        raise TypologyError(f"{where}: {LAW.label} error: {message or f'keys {sorted(data)[:6]}'}")
    code = str(root.get("resultCode", "00"))
    if code != "00":
        raise TypologyError(f"{where}: {LAW.label} error {code}: {root.get('resultMsg', '')}".rstrip(": "))
    try:
        total = int(str(root.get("totalCnt", "0")).strip() or 0)
    except ValueError:
        raise TypologyError(f"{where}: totalCnt is not a number ({root.get('totalCnt')!r})") from None
    law = root.get("law")
    if law is None:
        return total, []
    if isinstance(law, dict):  # one hit: an object, not a list
        law = [law]
    if not isinstance(law, list) or not all(isinstance(i, dict) for i in law):
        raise TypologyError(f"{where}: OrdinSearch.law is neither an item nor a list of items")
    return total, law


def search(keyword: str, history: bool, cache_dir: Path | None, refresh: bool,
           record: http.Provenance) -> list[dict[str, Any]]:
    """Every item of the title search for one keyword (in force, or the history)."""
    items: list[dict[str, Any]] = []
    page = 1
    while page <= MAX_PAGES:
        params = {"target": "ordin", "type": "JSON", "query": keyword, "search": "1", "knd": ORDINANCE,
                  "nw": "2" if history else "1", "display": str(PAGE_SIZE), "page": str(page)}
        where = f"{LAW.label} {keyword!r} {'history' if history else 'in force'} page {page}"
        body, cached, shown = http.get(LAW, PATH, params, cache_dir, refresh=refresh, where=where)
        total, found = _items(http.read_json(body, where, LAW.label), where)
        if not cached:
            http.store(LAW, PATH, params, cache_dir, body)
        record.add(shown, params, len(found), cached)
        items += found
        if not found or len(items) >= total:
            return items
        page += 1
    raise TypologyError(f"{LAW.label} {keyword!r}: more than {MAX_PAGES} pages; narrow the keyword")


def _day(text: object) -> date | None:
    digits = "".join(ch for ch in str(text or "") if ch.isdigit())
    if len(digits) != 8:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _spans(items: list[dict[str, Any]], current: set[str], assign: Assigner) -> dict[tuple[str, str], list]:
    """(unit, ordinance id) → [first 시행일자, repeal date or None]."""
    spans: dict[tuple[str, str], list] = {}
    for item in items:
        kind = str(item.get("자치법규종류") or "조례").strip()
        if kind != "조례":
            continue
        sido, _, name = str(item.get("지자체기관명") or "").strip().partition(" ")
        unit = assign.unit(sido, name)
        start = _day(item.get("시행일자"))
        if unit is None or start is None:
            if unit is not None:
                assign.aside[(str(item.get("자치법규명")), "no valid 시행일자")] += 1
            continue
        ident = str(item.get("자치법규ID") or item.get("자치법규일련번호"))
        span = spans.setdefault((unit, ident), [start, None, start])
        if str(item.get("제개정구분명") or "").strip() == "폐지" and ident not in current:
            span[1] = start if span[1] is None else max(span[1], start)
        else:
            span[0], span[2] = min(span[0], start), max(span[2], start)
    for (_, ident), span in spans.items():
        if ident not in current and span[1] is None:
            # Not in force today and no 폐지 version with the keyword in its title: it ended at a date
            # the list does not give, so it counts up to the year of its last version, no longer.
            span[1] = date(span[2].year + 1, 1, 1)
    return {k: v[:2] for k, v in spans.items()}


def count_table(spans: dict[tuple[str, str], list], variable: str, source_id: str, last_year: int) -> pd.DataFrame:
    """One row per unit and year: ordinances in force on 31 December (0 where there is none)."""
    codes = all_unit_codes()
    if not spans:
        raise TypologyError(f"no 조례 matched for {variable}: nothing to count (check the keyword)")
    first = min(s[0].year for s in spans.values())
    years = list(range(first, last_year + 1))
    counts = {(c, y): 0 for c in codes for y in years}
    for (unit, _), (start, end) in spans.items():
        for year in years:
            day = date(year, 12, 31)
            if start <= day and (end is None or end > day):
                counts[(unit, year)] += 1
    return pd.DataFrame([{"code": c, "year": y, "variable": variable, "value": n, "source_id": source_id}
                         for (c, y), n in counts.items()])


def fetch_ordinances(keywords: list[str], variable: str, cache_dir: Path | None = http.DEFAULT_CACHE,
                     refresh: bool = False, last_year: int | None = None) -> OrdinanceResult:
    keywords = [k.strip() for k in keywords if k and k.strip()]
    if not keywords:
        raise TypologyError("give at least one --keyword, e.g. --keyword 주민자치회")
    record = http.Provenance(f"{LAW.base_url}/{PATH} (target=ordin)")
    items: list[dict[str, Any]] = []
    current: set[str] = set()
    steps = [(k, h) for k in keywords for h in (False, True)]
    for keyword, history in progress.track(steps, "law.go.kr 자치법규", len(steps), "searches"):
        found = [i for i in search(keyword, history, cache_dir, refresh, record)
                 if any(norm(k) in norm(i.get("자치법규명")) for k in keywords)]
        if not history:
            current |= {str(i.get("자치법규ID") or i.get("자치법규일련번호")) for i in found}
        items += found
    assign = Assigner()
    spans = _spans(items, current, assign)
    year = last_year or date.today().year
    source_id = f"law_ordin_{variable}"
    table = count_table(spans, variable, source_id, year)
    prov = record.record({"variable": variable, "keywords": keywords, "knd": ORDINANCE, "last_year": year,
                          "ordinances": len(spans), "not_assigned": assign.report()})
    return OrdinanceResult(table, len(items), len(spans), prov, assign)
