"""scores.xlsx for ministry staff: the run's tables as one Excel workbook with Korean headers.

Sheets: 설명 (what is where), 점수 (scores, types, reasons), 지표_원값 and 지표_정규화
(indicators raw and normalised), 유형_정책 (types and policy packages), 지표_정보 (indicator
metadata), 자료_범위 (coverage per dimension), 제외 (exclusions). Every sheet has a frozen,
bold header row, filters and number formats. The file is byte-identical for the same run: the
workbook's timestamps and the zip entries' dates are fixed.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..core.atomic import cell_text
from ..core.catalog import DIMENSIONS
from ..core.result import RunResult
from .ranks import ranks_and_ties

FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
FIXED_XML_TIME = "2020-01-01T00:00:00Z"
SCORE_FORMAT = "+0.00;-0.00;0.00"
RAW_FORMAT = "#,##0.00"
INT_FORMAT = "0"
# A rank shared by tied regions: still a number (it sorts and filters as one) that reads "공동 47".
TIED_RANK_FORMAT = '"공동 "0'
def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and np.isnan(value):
            return None
    if isinstance(value, (bool, int, float)):
        return value
    return cell_text(str(value))  # no BEL, ESC and the like in a cell: Excel refuses them


Column = tuple[str, str, str | None, float]  # source column, Korean header, number format, width


class _Formats:
    """An xlsxwriter workbook and its formats, one object per number format (each new one is a new style)."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.header = wb.add_format({"bold": True, "pattern": 1, "bg_color": "#DDE6F0", "text_wrap": True,
                                     "valign": "top"})
        self._numbers: dict[str, Any] = {}

    def number(self, fmt: str) -> Any:
        if fmt not in self._numbers:
            self._numbers[fmt] = self.wb.add_format({"num_format": fmt})
        return self._numbers[fmt]


def _sheet(book: _Formats, title: str, frame: pd.DataFrame, columns: list[Column], freeze: str = "A2",
           row_formats: dict[str, list[str]] | None = None) -> None:
    """One sheet, written through xlsxwriter's typed calls: a string is always written as text, so
    one starting with "=" never becomes a formula.

    ``row_formats``: per column, a number format for each row in place of the column's.
    """
    ws = book.wb.add_worksheet(title)
    for i, (_, _, _, width) in enumerate(columns):
        ws.set_column(i, i, width)
    ws.freeze_panes(1, 2 if freeze == "C2" else 0)
    if len(frame):
        ws.autofilter(0, 0, len(frame), len(columns) - 1)
    for i, (_, text, _, _) in enumerate(columns):
        # a header comes from the config (an axis name) and must never be a formula
        ws.write_string(0, i, cell_text(text), book.header)
    data = [frame[col].tolist() if col in frame.columns else [None] * len(frame) for col, _, _, _ in columns]
    fmts = [(row_formats or {}).get(col) or [fmt] * len(frame) for col, _, fmt, _ in columns]
    for c, (values, col_fmts) in enumerate(zip(data, fmts)):
        for r, (value, fmt) in enumerate(zip(values, col_fmts), start=1):
            value = _cell(value)
            if value is None or value == "":  # an empty cell, as openpyxl's empty text read back
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif fmt:
                ws.write_number(r, c, value, book.number(fmt))
            else:
                ws.write_number(r, c, value)


def _indicator_header(result: RunResult, key: str) -> str:
    spec = result.catalog.indicators[key].spec
    return f"{spec['name_ko']} ({spec['unit']})"


def scores_sheet_columns(result: RunResult) -> list[Column]:
    dims = result.catalog.dimensions
    axes = result.settings.typology.axes or {}
    cols: list[Column] = [("code", "코드 (KOSTAT)", None, 10), ("name", "지역", None, 12),
                          ("name_en", "영문명", None, 16), ("sido", "시도", None, 14),
                          ("code_std5", "행정표준코드", None, 12), ("type_ko", "유형", None, 12),
                          ("type_en", "유형 (영문)", None, 18)]
    for d in DIMENSIONS:
        cols.append((d, f"{dims[d]['name_ko']} 점수", SCORE_FORMAT, 11))
    for d in DIMENSIONS:
        cols.append((f"rank_{d}", f"{dims[d]['name_ko']} 순위", INT_FORMAT, 9))
    cols += [("composite", "종합점수", SCORE_FORMAT, 10), ("composite_rank", "종합 순위", INT_FORMAT, 9)]
    for axis, spec in axes.items():
        cols.append((f"axis_{axis}", str(spec.get("name_ko", axis)) if isinstance(spec, Mapping) else axis,
                     SCORE_FORMAT, 10))
    cols += [("reason", "유형 근거", None, 60), ("missing_names", "결측 지표", None, 24)]
    return cols


def build_workbook(result: RunResult, table: pd.DataFrame, indicators: pd.DataFrame, target: Any) -> Any:
    """The workbook written into ``target`` (a path or a binary buffer) once closed."""
    import xlsxwriter

    # constant_memory stays off: the sheets are written column by column (random access).
    wb = xlsxwriter.Workbook(target, {"in_memory": True, "nan_inf_to_errors": True, "strings_to_formulas": False,
                                      "strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"created": datetime.datetime(*FIXED_ZIP_TIME)})
    book = _Formats(wb)
    ind_names = {i.key: i.spec["name_ko"] for i in result.indicators}
    scores = table.copy()
    tied_formats = {}
    for d, column in [*((d, f"rank_{d}") for d in DIMENSIONS), ("composite", "composite_rank")]:
        both = ranks_and_ties(scores[d])
        scores[column] = both["rank"]
        tied_formats[column] = [TIED_RANK_FORMAT if t > 1 else INT_FORMAT for t in both["tied"].fillna(1)]
    scores["missing_names"] = scores["missing_indicators"].fillna("").map(
        lambda s: ", ".join(ind_names.get(k, k) for k in str(s).split(";") if k))
    keys = [i.key for i in result.indicators]
    ids: list[Column] = [("code", "코드 (KOSTAT)", None, 10), ("name", "지역", None, 12), ("sido", "시도", None, 14)]

    readme = pd.DataFrame({"sheet": ["점수", "지표_원값", "지표_정규화", "유형_정책", "지표_정보", "자료_범위", "제외"],
                           "what": ["지역별 차원 점수, 전국 순위(1 = 가장 높음; 같은 점수는 "
                                    "같은 순위로 '공동 N'), 유형과 근거, 결측 지표",
                                    "지표 원값 (단위는 열 제목에)", "정규화한 지표 (높을수록 좋게 방향을 맞춤)",
                                    "유형별 지역 수와 정책 패키지",
                                    "지표 정의: 차원, 방향, 연도, 가중치, 대리지표 여부, 출처",
                                    "차원별 자료 범위와 대리지표", "점수나 유형을 받지 못한 지역과 사유"]})
    readme.loc[len(readme)] = ["설정", f"{result.settings.name} · typology {__version__} · "
                                     f"{result.settings.title_ko or ''}"]
    _sheet(book, "설명", readme, [("sheet", "시트", None, 14), ("what", "내용", None, 90)])
    _sheet(book, "점수", scores, scores_sheet_columns(result), freeze="C2", row_formats=tied_formats)
    _sheet(book, "지표_원값", table, ids + [(k, _indicator_header(result, k), RAW_FORMAT, 16) for k in keys],
           freeze="C2")
    _sheet(book, "지표_정규화", table,
           ids + [(f"{k}_norm", f"{ind_names[k]} (정규화)", SCORE_FORMAT, 14) for k in keys], freeze="C2")
    _sheet(book, "유형_정책", types_frame(result, table),
           [("key", "유형 키", None, 18), ("name_ko", "유형", None, 14), ("name_en", "Type", None, 18),
            ("count", "지역 수", INT_FORMAT, 8), ("rule", "조건 (when)", None, 24),
            ("policy_ko", "정책 패키지", None, 70), ("policy_en", "Policy package", None, 70)])
    _sheet(book, "지표_정보", indicators,
           [("indicator", "지표 키", None, 24), ("name_ko", "지표", None, 24), ("name_en", "Indicator", None, 28),
            ("dimension", "차원", None, 12), ("study_indicator", "연구 지표", None, 14),
            ("direction", "방향 (1 높을수록 좋음)", INT_FORMAT, 10), ("unit", "단위", None, 18),
            ("years", "연도", None, 10), ("weight", "가중치 (차원 안)", "0.000", 10),
            ("proxy", "대리지표", None, 9), ("weak", "약한 대리지표", None, 9),
            ("missing_units", "결측 지역 수", INT_FORMAT, 10), ("agency", "출처 기관", None, 30)])
    _sheet(book, "자료_범위", result.coverage,
           [("dimension", "차원 키", None, 12), ("name_ko", "차원", None, 14), ("indicators", "사용 지표", None, 40),
            ("study_indicators_covered", "연구 지표 반영", None, 10),
            ("study_indicators_missing", "반영 못한 연구 지표", None, 28), ("proxies", "대리지표", None, 30),
            ("quality", "측정 수준", None, 18), ("years", "자료 연도", None, 14),
            ("missing_cells", "결측 값", INT_FORMAT, 8), ("units_scored", "점수 있는 지역", INT_FORMAT, 10),
            ("units_unscored", "점수 없는 지역", INT_FORMAT, 10),
            ("units_partial", "일부 지표로 점수", INT_FORMAT, 10),
            ("user_table_gaps", "사용자 표에 값이 없는 지역", None, 40)])
    _sheet(book, "제외", result.exclusions,
           [("code", "코드", None, 10), ("name", "지역", None, 12), ("sido", "시도", None, 14),
            ("excluded_from", "제외된 곳", None, 18), ("reason", "사유", None, 70)])
    return wb


def types_frame(result: RunResult, table: pd.DataFrame) -> pd.DataFrame:
    typology = result.settings.typology
    counts = table["type"].value_counts()
    rows = []
    for spec in [*typology.types, typology.unclassified]:
        when = spec.get("when") or {}
        rule = "; ".join(f"{axis} {cond}" for axis, cond in when.items()) if isinstance(when, Mapping) else str(when)
        rows.append({"key": spec["key"], "name_ko": spec.get("name_ko"), "name_en": spec.get("name_en"),
                     "count": int(counts.get(spec["key"], 0)),
                     "rule": rule or ("(나머지 전부)" if spec in typology.types else ""),
                     "policy_ko": str(spec.get("policy_ko") or "").strip(),
                     "policy_en": str(spec.get("policy_en") or "").strip()})
    return pd.DataFrame(rows)


def _fixed(data: bytes) -> bytes:
    """Rewrite the zip with fixed dates so equal workbooks are equal bytes."""
    stamp: Callable[[bytes], bytes] = lambda xml: re.sub(  # noqa: E731
        rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + FIXED_XML_TIME.encode() + rb"\g<2>",
        xml)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = stamp(body)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, body)
    return out.getvalue()


def workbook_bytes(result: RunResult, table: pd.DataFrame, indicators: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    build_workbook(result, table, indicators, buffer).close()
    return _fixed(buffer.getvalue())
