"""What a table entry of the config (``specs.table_spec``) and a KOSIS or wide grid (``readers``) are
checked for, each check with its exact message: the checks were split out of two long functions into
their phases, and no message may change with the split."""

from __future__ import annotations

from pathlib import Path

import pytest

from typology.core.catalog import load_catalog
from typology.data.grid import Grid
from typology.data.readers import TableOptions, kosis_layout, wide_layout
from typology.data.specs import table_spec
from typology.errors import TypologyError

CONFIG = {"data": {}, "_path": "/nowhere/config.yaml"}
KEY = "data.tables[0]"


@pytest.mark.parametrize(("entry", "message"), [
    (["x.csv"], "config key data.tables[0]: expected a path or a mapping with path:, got ['x.csv']"),
    ({"layout": "kosis"}, "config key data.tables[0].path: a table needs a path (a string)"),
    ({"path": 3}, "config key data.tables[0].path: a table needs a path (a string)"),
    ({"path": "x.csv", "header_row": 0}, "config key data.tables[0].header_row: a line number from 1, got 0"),
    ({"path": "x.csv", "header_row": "2"}, "config key data.tables[0].header_row: a line number from 1, got '2'"),
    ({"path": "x.csv", "columns": {"area": "지역"}},
     "config key data.tables[0].columns: a mapping with keys among code, region, sido, year, variable, item, value, "
     "unit, source_id (role → header text), got {'area': '지역'}"),
    ({"path": "x.csv", "columns": ["region"]},
     "config key data.tables[0].columns: a mapping with keys among code, region, sido, year, variable, item, value, "
     "unit, source_id (role → header text), got ['region']"),
    ({"path": "x.csv", "variables": ["ngos"]},
     "config key data.tables[0].variables: a mapping (column or item → catalogue variable)"),
    ({"path": "x.csv", "year": "2020"},
     "config key data.tables[0].year: expected a year or a list of years, got '2020'"),
    ({"path": "x.csv", "reference_date": "2020-13-01"},
     "config key data.tables[0].reference_date: expected a date YYYY-MM-DD, got '2020-13-01'"),
    ({"path": "x.csv", "multiply": 0}, "config key data.tables[0].multiply: a positive number, got 0"),
    ({"path": "x.csv", "multiply": True}, "config key data.tables[0].multiply: a positive number, got True"),
    ({"path": "x.csv", "sido": " "},
     "config key data.tables[0].sido: expected a 시도 name such as 서울특별시, got ' '"),
    ({"path": "x.csv", "sido": 11},
     "config key data.tables[0].sido: expected a 시도 name such as 서울특별시, got 11"),
])
def test_each_table_entry_check_says_what_it_said(entry, message):
    with pytest.raises(TypologyError) as caught:
        table_spec(CONFIG, entry, KEY, load_catalog())
    assert str(caught.value) == message


def test_an_entry_with_two_bad_keys_names_the_same_one_whatever_their_order():
    # the header row is checked before the multiplier, however the config lists them
    for entry in ({"path": "x.csv", "multiply": -1, "header_row": 0},
                  {"path": "x.csv", "header_row": 0, "multiply": -1}):
        with pytest.raises(TypologyError, match=r"header_row: a line number from 1, got 0$"):
            table_spec(CONFIG, entry, KEY, load_catalog())


def test_a_table_entry_is_read_whole():
    spec = table_spec(CONFIG, {"path": "x.csv", "layout": "kosis", "encoding": "CP949", "header_row": 2,
                               "code_system": "std5", "columns": {"region": "지역"}, "variables": {"인구": "population",
                                                                                                 "가구": None},
                               "year": [2019, 2020], "reference_date": "2020-11-01", "multiply": 1000,
                               "sido": " 서울특별시 "}, KEY, load_catalog())
    assert (spec.layout, spec.encoding, spec.header_row, spec.code_system) == ("kosis", "cp949", 2, "std5")
    assert spec.columns == {"region": "지역"} and spec.variables == {"인구": "population", "가구": ""}
    assert spec.years == [2019, 2020] and str(spec.reference_date) == "2020-11-01"
    assert (spec.multiply, spec.sido, spec.source_id, spec.legacy) == (1000.0, "서울특별시", "x", False)


def grid(rows: list[list[str]]) -> Grid:
    return Grid(Path("t.csv"), rows, list(range(1, len(rows) + 1)), "utf-8")


@pytest.mark.parametrize(("rows", "opts", "message"), [
    ([], TableOptions(), "t.csv: the table is empty"),
    ([["통계표"], ["단위: 명"]], TableOptions(),
     "t.csv: no header row found in the first 40 rows (a cell such as '행정구역별' or '시군구별'); set header_row: "
     "or columns.region"),
    ([["행정구역별", "코드"], ["종로구", "11010"]], TableOptions(),
     "t.csv: line 1: no value columns beside the region, code and period columns"),
    ([["행정구역별", "인구 (명)", "가구 (가구)"], ["서울특별시 종로구", "1", "2"]], TableOptions(variable="population"),
     "t.csv: the table has several item columns ['가구', '인구']; map each to a catalogue variable under "
     "variables: (null leaves one out) instead of one variable:"),
    ([["행정구역별", "2020"]], TableOptions(variable="population"), "t.csv: no data rows below the header (line 1)"),
    ([["행정구역별", "2020"], ["주: 자료 없음", ""]], TableOptions(variable="population"),
     "t.csv: no data rows below the header (line 1)"),
])
def test_each_kosis_grid_check_says_what_it_said(rows, opts, message):
    with pytest.raises(TypologyError) as caught:
        kosis_layout(grid(rows), opts)
    assert str(caught.value) == message


def test_a_wide_grid_without_a_region_column_says_so():
    with pytest.raises(TypologyError) as caught:
        wide_layout(grid([["이름", "2020"], ["종로구", "1"]]), TableOptions(variable="population"))
    assert str(caught.value) == ("t.csv: line 1: no region column in the header (2 columns ['이름', '2020']); set "
                                 "columns.region (or columns.code)")
