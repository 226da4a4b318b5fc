"""scores.xlsx: Korean sheets and headers, frozen header rows, number formats, same bytes twice."""

from __future__ import annotations

import dataclasses
import io

import pytest
from openpyxl import load_workbook

from typology.render.xlsx import workbook_bytes
from typology.workflow.outputs import indicator_table

from .output_helpers import EVIL, evil_run, rule_types


def build(result) -> bytes:
    return workbook_bytes(result, result.table(), indicator_table(result))


@pytest.fixture(scope="module")
def data(default_run):
    return build(default_run)


@pytest.fixture(scope="module")
def book(data):
    return load_workbook(io.BytesIO(data))


def test_sheets(book):
    assert book.sheetnames == ["설명", "점수", "지표_원값", "지표_정규화", "유형_정책", "지표_정보", "자료_범위",
                               "제외"]


def test_every_sheet_has_a_frozen_bold_korean_header(book):
    for ws in book.worksheets:
        assert ws.freeze_panes in ("A2", "C2"), ws.title
        assert all(c.font.bold for c in ws[1] if c.value is not None), ws.title
    assert [c.value for c in book["점수"][1]][:4] == ["코드 (KOSTAT)", "지역", "영문명", "시도"]


def test_scores_sheet_values_and_formats(book, default_table):
    ws = book["점수"]
    assert ws.max_row == 229  # header + 228 units
    headers = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(headers, next(r for r in ws.iter_rows(min_row=2) if r[0].value == "11010"))}
    assert row["지역"].value == "종로구"
    expected = default_table.set_index("code").at["11010", "economy"]
    assert row["지역경제상황 점수"].value == pytest.approx(expected)
    assert row["지역경제상황 점수"].number_format == "+0.00;-0.00;0.00"
    rank = default_table.set_index("code").at["11010", "composite_rank"]
    assert row["종합 순위"].value == rank and row["종합 순위"].number_format == "0"
    assert row["유형"].value == "자원결합형" and row["유형 근거"].value.endswith("→ 자원결합형")
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}229"


def test_indicator_sheets_raw_and_normalised(book):
    raw = book["지표_원값"]
    headers = [c.value for c in raw[1]]
    assert "재정자립도 (%)" in headers
    col = headers.index("재정자립도 (%)")
    jongno = next(r for r in raw.iter_rows(min_row=2, values_only=True) if r[0] == "11010")
    assert jongno[col] == 53.7
    assert any(h and h.endswith("(정규화)") for h in (c.value for c in book["지표_정규화"][1]))
    staff = next(i for i, h in enumerate(headers) if h.startswith("인구 천 명당 지방공무원 정원"))
    empty = [r[0] for r in raw.iter_rows(min_row=2, values_only=True) if r[staff] is None]
    assert len(empty) == 2  # missing is an empty cell, never 0


def test_types_sheet_has_policy_packages(book, default_config, default_table):
    rows = list(book["유형_정책"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["society_led", "resource_combining", "unclassified"]
    counts = rule_types(default_table, default_config["typology"]).value_counts()
    assert [r[3] for r in rows] == [int(counts.get(r[0], 0)) for r in rows]
    assert rows[0][5] == default_config["typology"]["types"][0]["policy_ko"].strip()


def test_metadata_and_coverage_sheets(book, default_run):
    meta = list(book["지표_정보"].iter_rows(min_row=2, values_only=True))
    assert len(meta) == len(default_run.indicators)
    coverage = list(book["자료_범위"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in coverage] == ["economy", "civic", "institution", "capacity"]
    assert coverage[2][6] == "weak proxies only"


def test_same_run_same_bytes(data, default_run):
    assert build(default_run) == data


def test_text_never_becomes_a_formula(default_run):
    units = default_run.units.copy()
    units.loc[units["code"] == "11010", "name_ko"] = "=HYPERLINK(\"http://x\")"
    book = load_workbook(io.BytesIO(build(dataclasses.replace(default_run, units=units))))
    cell = next(r[1] for r in book["점수"].iter_rows(min_row=2) if r[0].value == "11010")
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\")"
    evil = load_workbook(io.BytesIO(build(evil_run(default_run))))
    assert any(r[1] == EVIL for r in evil["점수"].iter_rows(min_row=2, values_only=True))
