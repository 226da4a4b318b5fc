"""data.go.kr file datasets (사회적기업, 자활기업, 마을기업 lists): one count per unit.

The file is taken as the provider publishes it (CSV, UTF-8 or CP949), either downloaded from
``TYPOLOGY_DATAGO_URL`` + the catalogue's ``file_path`` or read from a file the user downloaded
(``--file``). Each row is one organisation; it is assigned to a unit from the 시도 and 시군구
columns, else from the address's first words. The count is dated by the list's date; a unit
absent from a complete national list has a real 0.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import TypologyError
from . import http
from .places import Assigner, all_unit_codes

DATAGO = http.Api("data.go.kr 파일데이터", "https://www.data.go.kr", "TYPOLOGY_DATAGO_URL", "", "", "data.go.kr")
ENCODINGS = ("utf-8-sig", "cp949")


@dataclass(frozen=True)
class ListSpec:
    variable: str
    dataset: str
    list_date: str
    file_path: str = ""
    sido_column: str = "시도"
    sigungu_column: str = "시군구"
    address_column: str = "주소"


def read_list(body: bytes, where: str) -> pd.DataFrame:
    for encoding in ENCODINGS:
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise TypologyError(f"{where}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    raise TypologyError(f"{where}: neither UTF-8 nor CP949 text")


def download(spec: ListSpec, cache_dir: Path | None, refresh: bool, record: http.Provenance) -> bytes:
    if not spec.file_path:
        raise TypologyError(f"{spec.variable}: the catalogue has no file_path for data.go.kr {spec.dataset}; download "
                            f"the file from https://www.data.go.kr/data/{spec.dataset}/fileData.do and pass --file")
    where = f"{DATAGO.label} {spec.dataset}"
    body, cached, shown = http.get(DATAGO, spec.file_path, {}, cache_dir, refresh=refresh, where=where)
    if body[:1] in (b"<", b"{"):
        raise TypologyError(f"{where}: the answer is a page or a message, not the CSV list (starts {body[:40]!r})")
    if not cached:
        http.store(DATAGO, spec.file_path, {}, cache_dir, body)
    record.add(shown, {}, body.count(b"\n"), cached)
    return body


def _unit(assign: Assigner, row: dict[str, Any], spec: ListSpec, columns: set[str]) -> str | None:
    if spec.sido_column in columns and spec.sigungu_column in columns and row[spec.sido_column].strip():
        return assign.unit(row[spec.sido_column], row[spec.sigungu_column])
    words = str(row.get(spec.address_column, "")).split()
    if not words:
        assign.aside[("(no address)", "no 시도/시군구 or address")] += 1
        return None
    sido = assign.match.resolve_name(words[0], "")
    if sido is not None and sido.kind == "unit":  # 세종, 제주: the 시도 is the unit
        return sido.unit
    return assign.unit(words[0], words[1] if len(words) > 1 else "")


def count_list(frame: pd.DataFrame, spec: ListSpec, where: str) -> tuple[pd.DataFrame, Assigner]:
    columns = set(frame.columns)
    has_names = {spec.sido_column, spec.sigungu_column} <= columns
    if not has_names and spec.address_column not in columns:
        raise TypologyError(f"{where}: no columns {spec.sido_column}/{spec.sigungu_column} and no "
                            f"{spec.address_column}; the file has {sorted(columns)[:10]}")
    try:
        year = date.fromisoformat(spec.list_date).year
    except ValueError:
        raise TypologyError(f"{spec.variable}: list_date {spec.list_date!r} is not a date YYYY-MM-DD") from None
    assign = Assigner()
    counts = dict.fromkeys(all_unit_codes(), 0)
    for row in frame.to_dict("records"):
        unit = _unit(assign, row, spec, columns)
        if unit is not None:
            counts[unit] += 1
    table = pd.DataFrame([{"code": c, "year": year, "variable": spec.variable, "value": n,
                           "source_id": f"datago_{spec.dataset}_{spec.list_date}"} for c, n in counts.items()])
    return table, assign


def fetch_list(spec: ListSpec, file: Path | None = None, cache_dir: Path | None = http.DEFAULT_CACHE,
               refresh: bool = False) -> tuple[pd.DataFrame, dict[str, Any], Assigner]:
    record = http.Provenance(f"data.go.kr {spec.dataset}")
    if file is not None:
        try:
            body = file.read_bytes()
        except OSError as exc:
            raise TypologyError(f"cannot read {file}: {exc.strerror or exc}") from None
        record.add(str(file), {}, body.count(b"\n"), False)
    else:
        body = download(spec, cache_dir, refresh, record)
    frame = read_list(body, str(file or spec.dataset))
    table, assign = count_list(frame, spec, str(file or spec.dataset))
    prov = record.record({"variable": spec.variable, "dataset": spec.dataset, "list_date": spec.list_date,
                          "rows": len(frame), "not_assigned": assign.report()})
    return table, prov, assign
