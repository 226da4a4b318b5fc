"""User tables: formats, layouts, code systems, 일반구 roll-up, old vintages, and no row lost.

Values in these tables are synthetic (made up for the tests); regions, codes and administrative
changes are real.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typology import load_config, run
from typology.core.catalog import load_catalog
from typology.data.load import read_table
from typology.data.specs import TableSpec, table_spec
from typology.data.units import matcher
from typology.errors import TypologyError

from .conftest import run_cli, write_config

FIXTURES = Path(__file__).parent / "fixtures" / "user_tables"
KOSIS_CP949 = FIXTURES / "kosis_volunteers_cp949.csv"
STATUSES = ("matched", "rolled_up", "unmatched", "aggregate", "covered")


def load(path: Path, **options) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    spec = TableSpec(path, "data.tables[0]", **options)
    return read_table(spec, load_catalog(), matcher())


def values_of(frame: pd.DataFrame, variable: str = "ngos", year: int | None = None) -> dict[str, float]:
    part = frame[frame["variable"] == variable]
    if year is not None:
        part = part[part["year"] == year]
    return dict(zip(part["code"], part["value"]))


def write(tmp_path: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def check_accounting(acc: dict, aside: pd.DataFrame) -> None:
    """Nothing lost: every data row has exactly one fate, and every row set aside is listed."""
    assert acc["rows"] == sum(acc[s] for s in STATUSES)
    assert len(aside) == acc["unmatched"] + acc["aggregate"] + acc["covered"]


# ---- the KOSIS download example (CP949) ------------------------------------------------------

def test_kosis_cp949_download_rolls_up_and_lists_the_rest():
    values, aside, acc = load(KOSIS_CP949, layout="kosis", variable="volunteers", years=[2020])
    assert acc["encoding"] == "cp949"
    got = values_of(values, "volunteers", 2020)
    # 수원시 has no row of its own: its four 일반구 are summed (100 + 110 + 90 + 200).
    assert got == {"11010": 120, "11020": 180, "31010": 500, "31020": 150, "39000": 300}
    status = dict(zip(aside["region"], aside["status"]))
    assert status == {"전국": "aggregate", "서울특별시": "aggregate", "경기도": "aggregate",
                      "경기도 성남시 수정구": "covered", "경기도 성남시 중원구": "covered",
                      "경기도 성남시 분당구": "covered", "제주특별자치도 제주시": "covered",
                      "경기도 가상시": "unmatched"}
    reason = aside.set_index("region").at["경기도 가상시", "reason"]
    assert "no 시군구 '가상시' in 경기도" in reason
    assert aside.set_index("region").at["경기도 가상시", "row"] == 18  # the file line, title rows included
    check_accounting(acc, aside)
    assert acc["rolled_up"] == 4 and acc["matched"] == 4


def volunteers_config(tmp_path: Path, extra: str = "") -> Path:
    table = tmp_path / "vol.csv"
    shutil.copy(KOSIS_CP949, table)
    return write_config(tmp_path, "extends: default\ndata:\n  tables:\n    - path: vol.csv\n      layout: kosis\n"
                                  "      variable: volunteers\n      year: 2020\n" + extra +
                                  "indicators:\n  civic: [local_election_turnout, volunteers_per_1000]\n")


def test_end_to_end_default_stops_and_writes_unmatched_beside_the_run(tmp_path):
    cfg = volunteers_config(tmp_path)
    out = tmp_path / "out"
    result = run_cli("run", str(cfg), "--out", str(out))
    assert result.returncode == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert "vol.csv: 1 input row(s) not used (on_unmatched: error)" in line
    assert "row 18, column region: '경기도 가상시' matches no unit" in line
    side = tmp_path / "out.unmatched.csv"
    assert str(side) in line
    assert not out.exists()  # a failed run writes no run folder ...
    listed = pd.read_csv(side, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert side.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert set(listed["status"]) == {"unmatched", "aggregate", "covered"}  # ... but the list is kept
    assert listed[listed["status"] == "unmatched"]["region"].tolist() == ["경기도 가상시"]


def test_end_to_end_warn_runs_and_writes_unmatched_csv(tmp_path):
    out = tmp_path / "out"
    # A failed run lists its rows beside the folder (a file of the tool's, which a good run may remove).
    assert run_cli("run", str(volunteers_config(tmp_path)), "--out", str(out)).returncode == 2
    assert (tmp_path / "out.unmatched.csv").is_file()
    cfg = volunteers_config(tmp_path, "      on_unmatched: warn\n")
    # No static maps: the rows' accounting is the point here, not the drawing.
    result = run_cli("run", str(cfg), "--out", str(out), "--set", "output.static_maps=false")
    assert result.returncode == 0, result.stderr
    assert "8 input rows not used as unit values (aggregate 3, covered 4, unmatched 1)" in result.stdout
    assert not (tmp_path / "out.unmatched.csv").exists()  # the failed run's list is gone
    listed = pd.read_csv(out / "unmatched.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(listed) == 8
    assert listed.loc[listed["status"] == "unmatched", "reason"].str.contains("가상시").all()
    scores = pd.read_csv(out / "scores.csv", dtype={"code": str}, encoding="utf-8-sig").set_index("code")
    population = pd.read_csv(Path(load_config()["_path"]).parents[1] / "indicators/data/variables.csv",
                             dtype={"code": str})
    pop = population[(population["variable"] == "population") & (population["year"] == 2020)].set_index("code")
    # 수원시: 500 volunteers summed from its 일반구, per 1,000 residents of the whole city.
    assert scores.at["31010", "volunteers_per_1000"] == pytest.approx(1000 * 500 / pop.at["31010", "value"])
    assert scores.at["31020", "volunteers_per_1000"] == pytest.approx(1000 * 150 / pop.at["31020", "value"])
    assert pd.isna(scores.at["11030", "volunteers_per_1000"])  # not in the table: missing, not zero
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert '"rolled_up": 4' in manifest


def test_run_result_carries_the_unmatched_table(tmp_path):
    cfg = volunteers_config(tmp_path, "      on_unmatched: warn\n")
    result = run(load_config(cfg))
    table = result.tables["unmatched"]
    assert list(table.columns[:3]) == ["table", "row", "column"]
    assert len(table) == 8


def test_default_run_lists_nothing_unmatched(default_run):
    assert default_run.tables["unmatched"].empty
    load_step = next(s for s in default_run.steps if s["step"] == "load")
    bundled = load_step["accounting"][0]
    assert bundled["rows"] == bundled["matched"] > 4000


# ---- encodings and formats ---------------------------------------------------------------------

LONG = "code,year,variable,value,source_id\n11010,2020,ngos,5,t\n31011,2020,ngos,1,t\n31012,2020,ngos,2,t\n" \
       "31013,2020,ngos,3,t\n31014,2020,ngos,4,t\n"


@pytest.mark.parametrize(("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                    ("cp949", "cp949"), ("euc-kr", "cp949")])
def test_encodings_are_detected(tmp_path, encoding, expected):
    text = "sido,region,year,variable,value\n서울특별시,종로구,2020,ngos,5\n경기도,수원시,2020,ngos,7\n"
    path = write(tmp_path, text, encoding=encoding)
    values, _, acc = load(path)
    assert acc["encoding"] == expected
    assert values_of(values) == {"11010": 5, "31010": 7}


def test_configured_encoding_that_does_not_fit_is_an_error(tmp_path):
    path = write(tmp_path, "sido,region,year,variable,value\n서울특별시,종로구,2020,ngos,5\n", encoding="cp949")
    with pytest.raises(TypologyError, match=r"t.csv: cannot decode as utf-8 .*check the table's encoding"):
        load(path, encoding="utf-8")


def test_bytes_that_are_no_korean_encoding_are_an_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"region,value\n\x81\xff\xfe,1\n")
    with pytest.raises(TypologyError, match="set encoding: utf-8 or cp949"):
        load(path)


def test_xlsx_kosis_layout_with_years_and_items_in_two_header_rows(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "데이터"
    rows = [["민간단체 현황 (합성 자료)"], [],
            ["행정구역별", "2019", "2019", "2020", "2020"],
            ["행정구역별", "비영리민간단체 (개)", "환경단체 (개)", "비영리민간단체 (개)", "환경단체 (개)"],
            ["강원도", 30, 3, 33, 4],
            ["춘천시", 10, 1, 11, 2],
            ["원주시", 20, 2, 22, 2],
            ["강원특별자치도 고성군", 5, 1, 6, 1],
            ["경상남도 고성군", 7, 0, 8, "-"]]
    for row in rows:
        sheet.append(row)
    path = tmp_path / "ngo.xlsx"
    book.save(path)
    values, aside, acc = load(path, layout="kosis", variables={"비영리민간단체": "ngos", "환경단체": "env_ngos"})
    assert acc["encoding"] == "xlsx"
    assert values_of(values, "ngos", 2020) == {"32010": 11, "32020": 22, "32400": 6, "38340": 8}
    env = values_of(values, "env_ngos", 2020)
    assert env["32400"] == 1 and pd.isna(env["38340"])  # '-' is missing, not zero
    assert values_of(values, "env_ngos", 2019)["32010"] == 1
    # 강원도 (the old name of 강원특별자치도) is a 시도 total, and bare names take it as context.
    assert set(aside["status"]) == {"aggregate"} and set(aside["row"]) == {5}
    check_accounting(acc, aside)


def test_xlsx_sheet_by_name_and_missing_sheet(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "표지"
    data = book.create_sheet("자료")
    for row in [["code", "year", "variable", "value"], [11010, 2020, "ngos", 4]]:
        data.append(row)
    path = tmp_path / "t.xlsx"
    book.save(path)
    values, _, _ = load(path, sheet="자료")
    assert values_of(values) == {"11010": 4}
    with pytest.raises(TypologyError, match=r"no sheet '없음'; the workbook has \['표지', '자료'\]"):
        load(path, sheet="없음")


def test_wide_layout_one_column_per_variable(tmp_path):
    text = ("시도,시군구,연도,비영리민간단체수,population\n전라북도,전주시,2020,40,1000\n"
            "전북특별자치도,군산시,2020,20,500\n")
    path = write(tmp_path, text)
    values, _, _ = load(path, layout="wide", columns={"sido": "시도", "region": "시군구", "year": "연도"},
                        variables={"비영리민간단체수": "ngos"})
    assert values_of(values) == {"35010": 40, "35020": 20}
    assert values_of(values, "population") == {"35010": 1000, "35020": 500}


def test_wide_layout_one_column_per_year(tmp_path):
    text = "region,2019년,2020년\n인천광역시 남구,3,\n인천광역시 미추홀구,,4\n"
    path = write(tmp_path, text)
    values, _, _ = load(path, layout="wide", columns={"region": "region"}, variable="ngos")
    assert values_of(values, year=2019) == {"23090": 3}  # 남구 is 미추홀구's name before 2018
    assert values_of(values, year=2020) == {"23090": 4}


def test_wide_layout_unmapped_column_is_an_error(tmp_path):
    path = write(tmp_path, "region,ngos,비고\n서울특별시 종로구,3,메모\n")
    with pytest.raises(TypologyError, match="column '비고' .* is not mapped to a catalogue variable"):
        load(path, layout="wide", columns={"region": "region"}, years=[2020])
    values, _, _ = load(path, layout="wide", columns={"region": "region"}, years=[2020],
                        variables={"ngos": "ngos", "비고": None})
    assert values_of(values) == {"11010": 3}


def test_wide_layout_takes_the_named_columns_and_lists_the_rest(tmp_path):
    path = write(tmp_path, "region,비고,ngos수,메모2\n서울특별시 종로구,메모,3,x\n서울특별시 중구,,5,y\n")
    values, _, acc = load(path, layout="wide", columns={"region": "region"}, years=[2020],
                          variables={"ngos수": "ngos"})
    assert values_of(values) == {"11010": 3, "11020": 5}
    assert acc["ignored_columns"] == ["비고", "메모2"] and acc["rows"] == 2
    # A table with no ignored column keeps its accounting as before (no empty key).
    _, _, plain = load(path, layout="wide", columns={"region": "region"}, years=[2020],
                       variables={"ngos수": "ngos", "비고": None, "메모2": None})
    assert "ignored_columns" not in plain
    with pytest.raises(TypologyError, match=r"none of the columns named under variables: \('없는열'\) is in the "
                                            r"header"):
        load(path, layout="wide", columns={"region": "region"}, years=[2020], variables={"없는열": "ngos"})


# ---- code systems ---------------------------------------------------------------------------------

def test_codes_in_each_system(tmp_path):
    kostat = write(tmp_path, LONG, "kostat.csv")
    assert values_of(load(kostat, code_system="kostat")[0]) == {"11010": 5, "31010": 10}
    std5 = write(tmp_path, LONG.replace("11010,", "11110,").replace("31011", "41111").replace("31012", "41113")
                 .replace("31013", "41115").replace("31014", "41117"), "std5.csv")
    assert values_of(load(std5, code_system="std5")[0]) == {"11010": 5, "31010": 10}
    code10 = write(tmp_path, LONG.replace("11010,", "1111000000,").replace("31011", "4111100000")
                   .replace("31012", "4111300000").replace("31013", "4111500000").replace("31014", "4111700000"),
                   "code10.csv")
    assert values_of(load(code10, code_system="code10")[0]) == {"11010": 5, "31010": 10}


def seoul_table(tmp_path: Path, system: str) -> Path:
    units = pd.read_csv(Path(load_catalog().path).parents[1] / "boundaries/units.csv", dtype=str,
                        encoding="utf-8-sig")
    seoul = units[units["sido_code"] == "11"]
    codes = seoul["code"] if system == "kostat" else seoul["code_std5"]
    lines = ["code,year,variable,value"] + [f"{c},2020,ngos,{i}" for i, c in enumerate(codes)]
    return write(tmp_path, "\n".join(lines) + "\n", f"{system}.csv")


@pytest.mark.parametrize("system", ["kostat", "std5"])
def test_code_system_is_detected_when_unambiguous(tmp_path, system):
    values, _, acc = load(seoul_table(tmp_path, system))
    assert acc["code_system"] == system
    got = values_of(values)
    assert len(got) == 25 and got["11010"] == 0  # 종로구 first, whichever system names it


def test_code_system_detection_refuses_to_guess(tmp_path):
    # 11110 is 종로구 in 행정표준코드 and 노원구 in KOSTAT codes; 11140/11020 likewise fit one system each.
    path = write(tmp_path, "code,year,variable,value\n11110,2020,ngos,1\n11230,2020,ngos,2\n")
    with pytest.raises(TypologyError, match=r"cannot tell the code system .* set data.tables\[0\].code_system"):
        load(path)


def test_a_code_in_the_wrong_system_is_caught_by_the_name_beside_it(tmp_path):
    path = write(tmp_path, "code,sido,region,year,variable,value\n11110,서울특별시,종로구,2020,ngos,1\n")
    with pytest.raises(TypologyError, match=r"code 11110 is 서울특별시 노원구 in code system kostat, but the region "
                                            r"cell says '종로구'"):
        load(path, code_system="kostat")
    assert values_of(load(path, code_system="std5")[0]) == {"11010": 1}


# ---- 일반구 and aggregation rules ---------------------------------------------------------------

def test_incomplete_ilban_gu_are_listed_not_summed(tmp_path):
    path = write(tmp_path, "sido,region,year,variable,value\n경기도,수원시 장안구,2020,ngos,1\n"
                           "경기도,수원시 권선구,2020,ngos,2\n")
    values, aside, acc = load(path, on_unmatched="warn")
    assert values.empty
    assert set(aside["status"]) == {"unmatched"}
    assert "only 2 of the 4 parts of 경기도 수원시" in aside["reason"].iat[0]
    assert "경기도 수원시 팔달구" in aside["reason"].iat[0]
    check_accounting(acc, aside)


def test_rate_given_for_ilban_gu_only_is_refused(tmp_path):
    rows = "".join(f"경기도,수원시 {g},2020,fiscal_independence,{v}\n"
                   for g, v in [("장안구", 30), ("권선구", 31), ("팔달구", 32), ("영통구", 33)])
    path = write(tmp_path, "sido,region,year,variable,value\n" + rows)
    with pytest.raises(TypologyError, match=r"rows \[2, 3, 4, 5\]: fiscal_independence 2020 for 경기도 수원시 comes "
                                            r"only from its parts .* aggregation: none"):
        load(path)


def test_rate_with_the_citys_own_row_keeps_it_and_sets_the_parts_aside(tmp_path):
    path = write(tmp_path, "sido,region,year,variable,value\n경기도,수원시,2020,fiscal_independence,51.4\n"
                           "경기도,수원시 장안구,2020,fiscal_independence,30\n")
    values, aside, _ = load(path)
    assert values_of(values, "fiscal_independence") == {"31010": 51.4}
    assert aside["status"].tolist() == ["covered"]


def test_ilban_gu_names_under_their_city_row(tmp_path):
    text = ("행정구역별,시점,사업체수 (개)\n경기도,2020,10\n수원시,2020,4\n장안구,2020,1\n권선구,2020,1\n"
            "팔달구,2020,1\n영통구,2020,1\n경상북도,2020,3\n포항시 남구,2020,2\n포항시 북구,2020,1\n")
    values, aside, _ = load(write(tmp_path, text), layout="kosis", variable="establishments")
    assert values_of(values, "establishments") == {"31010": 4, "37010": 3}
    assert sorted(aside["status"]) == ["aggregate", "aggregate", "covered", "covered", "covered", "covered"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=5, max_size=5),
       st.lists(st.booleans(), min_size=5, max_size=5))
def test_ilban_gu_rollup_sums_exactly_or_lists_every_row(tmp_path_factory, counts, present):
    """Property: 창원시's five 일반구 sum to the city when all are given; otherwise nothing is summed."""
    names = ["의창구", "성산구", "마산합포구", "마산회원구", "진해구"]
    rows = [f"경상남도,창원시 {n},2020,ngos,{c}" for n, c, p in zip(names, counts, present) if p]
    path = write(tmp_path_factory.mktemp("p"), "sido,region,year,variable,value\n" + "\n".join(rows) + "\n")
    values, aside, acc = load(path, on_unmatched="warn")
    check_accounting(acc, aside)
    if all(present):
        assert values_of(values) == {"38110": sum(counts)}
    else:
        assert values.empty and acc["unmatched"] == sum(present)


# ---- administrative vintages -----------------------------------------------------------------------

VINTAGE_2013 = ("sido,region,year,variable,value\n충청북도,청주시,2013,ngos,40\n충청북도,청원군,2013,ngos,10\n"
                "충청북도,충주시,2013,ngos,7\n")


def test_old_vintage_reported_by_default(tmp_path):
    values, aside, acc = load(write(tmp_path, VINTAGE_2013), on_unmatched="warn")
    assert values_of(values) == {"33020": 7}
    assert aside["status"].tolist() == ["unmatched", "unmatched"]
    assert "충청북도 청원군 no longer exists" in aside["reason"].iat[1]
    assert "merge, 2014-07-01" in aside["reason"].iat[1] and "vintage: harmonise" in aside["reason"].iat[1]
    check_accounting(acc, aside)


def test_old_vintage_harmonised_into_todays_unit(tmp_path):
    values, aside, acc = load(write(tmp_path, VINTAGE_2013), vintage="harmonise")
    assert values_of(values) == {"33040": 50, "33020": 7}
    assert aside.empty and acc["rolled_up"] == 2


def test_harmonise_needs_every_merged_place(tmp_path):
    text = "sido,region,year,variable,value\n충청북도,청원군,2013,ngos,10\n"
    _, aside, _ = load(write(tmp_path, text), vintage="harmonise", on_unmatched="warn")
    assert "missing 충청북도 청주시" in aside["reason"].iat[0]


def test_reference_date_decides_what_a_name_means(tmp_path):
    text = "sido,region,year,variable,value\n충청북도,청주시,2015,ngos,50\n"
    path = write(tmp_path, text)
    assert values_of(load(path)[0]) == {"33040": 50}  # after the merger: today's 청주시
    _, aside, _ = load(path, reference_date=pd.Timestamp("2013-12-31").date(), on_unmatched="warn")
    assert aside["status"].tolist() == ["unmatched"]  # the table says its names are of 2013


def test_old_vintage_by_codes_kostat_and_std5(tmp_path):
    kostat = write(tmp_path, "code,year,variable,value\n33010,2013,ngos,40\n33310,2013,ngos,10\n", "k.csv")
    assert values_of(load(kostat, code_system="kostat", vintage="harmonise")[0]) == {"33040": 50}
    std5 = write(tmp_path, "code,year,variable,value\n43110,2013,ngos,40\n43710,2013,ngos,10\n"
                           "43110,2015,ngos,55\n", "s.csv")
    values, _, _ = load(std5, code_system="std5", vintage="harmonise")
    assert values_of(values, year=2013) == {"33040": 50}  # 43110 meant the old, smaller 청주시 in 2013
    assert values_of(values, year=2015) == {"33040": 55}


def test_old_chungju_ilban_gu_roll_up_through_the_merger(tmp_path):
    text = "code,year,variable,value\n33011,2013,ngos,30\n33012,2013,ngos,10\n33310,2013,ngos,5\n"
    values, _, acc = load(write(tmp_path, text), code_system="kostat", vintage="harmonise")
    assert values_of(values) == {"33040": 45} and acc["rolled_up"] == 3
    # Before 2012-07-01 청원군 still held 부용면 (given to 세종): no sum rebuilds today's 청주시.
    _, aside, _ = load(write(tmp_path, text.replace("2013", "2010"), "old.csv"), code_system="kostat",
                       vintage="harmonise", on_unmatched="warn")
    assert set(aside["status"]) == {"unmatched"}
    assert "gave part of its area to 세종특별자치시" in aside.set_index("code").at["33310", "reason"]


def test_gongju_before_2012_is_another_area(tmp_path):
    text = "sido,region,year,variable,value\n충청남도,공주시,2011,ngos,9\n충청남도,공주시,2013,ngos,8\n"
    values, aside, _ = load(write(tmp_path, text), on_unmatched="warn")
    assert values_of(values) == {"34020": 8}
    assert "공주시 before 2012-07-01 covered another area" in aside["reason"].iat[0]


def test_sejong_is_not_harmonised_from_yeongi(tmp_path):
    text = "sido,region,year,variable,value\n충청남도,연기군,2011,ngos,3\n"
    _, aside, _ = load(write(tmp_path, text), vintage="harmonise", on_unmatched="warn")
    assert "comparable: no" in aside["reason"].iat[0]


def test_renamed_places_always_match(tmp_path):
    text = ("sido,region,year,variable,value\n강원도,춘천시,2020,ngos,1\n강원특별자치도,원주시,2020,ngos,2\n"
            "전라북도,익산시,2020,ngos,3\n전북특별자치도,군산시,2020,ngos,4\n인천광역시,남구,2017,ngos,5\n"
            "대구광역시,군위군,2024,ngos,6\n경기도,여주군,2012,ngos,7\n충청남도,당진군,2011,ngos,8\n")
    values, aside, _ = load(write(tmp_path, text))
    assert aside.empty
    assert values_of(values) == {"32010": 1, "32020": 2, "35030": 3, "35020": 4, "23090": 5, "37310": 6,
                                 "31280": 7, "34080": 8}


# ---- validation -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "options", "fragment"), [
    ("11010,2020,ngos,3\n11010,2020,ngos,4\n", {},
     r"rows \[2, 3\]: ngos 2020 given twice for 서울특별시 종로구 \(code 11010 in the table\)"),
    ("23030,2017,ngos,3\n23090,2017,ngos,4\n", {},
     r"rows \[2, 3\]: ngos 2017 given twice for 인천광역시 미추홀구 \(code 23030, 23090 in the table\)"),
    ("11010,2020,ngos,many\n", {}, r"row 2, column value: 'many' is not a number"),
    ("11010,2020,ngos,-3\n", {}, r"row 2, column value: ngos is -3, but a count cannot be negative"),
    ("11010,2019,ngos,3\n", {"years": [2020]}, r"row 2: year 2019, but the config says data.tables\[0\].year: 2020"),
    ("11010,2020,ngoes,3\n", {}, r"row 2, column variable: 'ngoes' is not a variable of the catalogue"),
    ("11010,2020,ngos_per_100k,3\n", {}, r"'ngos_per_100k' is an indicator; tables carry its variables: ngos, "
                                         r"population"),
    ("11010,20x0,ngos,3\n", {}, r"row 2, column year: '20x0' is not a whole year"),
])
def test_bad_rows_are_errors(tmp_path, body, options, fragment):
    path = write(tmp_path, "code,year,variable,value\n" + body)
    with pytest.raises(TypologyError, match=fragment):
        load(path, code_system="kostat", **options)


def test_missing_markers_and_thousands_separators(tmp_path):
    text = 'code,year,variable,value\n11010,2020,ngos,"1,234"\n11020,2020,ngos,-\n11030,2020,ngos,…\n' \
           '11040,2020,ngos,X\n11050,2020,ngos,\n'
    values, _, _ = load(write(tmp_path, text), code_system="kostat")
    got = values_of(values)
    assert got["11010"] == 1234 and all(pd.isna(got[c]) for c in ("11020", "11030", "11040", "11050"))


def test_percentages_that_look_like_ratios(tmp_path):
    text = "code,year,variable,value\n11010,2020,disclosure_rate,0.91\n11020,2020,disclosure_rate,0.85\n" \
           "11030,2020,disclosure_rate,0.97\n"
    path = write(tmp_path, text)
    with pytest.raises(TypologyError, match=r"disclosure_rate values look like ratios .*set multiply: 100"):
        load(path, code_system="kostat")
    values, _, _ = load(path, code_system="kostat", multiply=100)
    assert values_of(values, "disclosure_rate")["11010"] == pytest.approx(91)


def test_flags_that_look_like_percentages(tmp_path):
    path = write(tmp_path, "code,year,variable,value\n11010,2013,jumin_pilot,100\n11020,2013,jumin_pilot,0\n")
    with pytest.raises(TypologyError, match="jumin_pilot values look like percentages"):
        load(path, code_system="kostat")


def test_unit_in_the_header_must_fit_the_catalogue(tmp_path):
    counts_in_percent = write(tmp_path, "행정구역별,시점,비영리민간단체 (%)\n서울특별시 종로구,2020,3\n", "a.csv")
    with pytest.raises(TypologyError, match=r"the column is in %, but ngos is in count in the catalogue"):
        load(counts_in_percent, layout="kosis", variable="ngos")
    rate_in_persons = write(tmp_path, "행정구역별,시점,정보공개율 (명)\n서울특별시 종로구,2020,3\n", "b.csv")
    with pytest.raises(TypologyError, match=r"unit '명', but disclosure_rate is a percentage"):
        load(rate_in_persons, layout="kosis", variable="disclosure_rate")


def test_names_need_their_sido_when_ambiguous(tmp_path):
    values, aside, _ = load(write(tmp_path, "region,year,variable,value\n중구,2020,ngos,1\n수원시,2020,ngos,2\n"),
                            on_unmatched="warn")
    assert values_of(values) == {"31010": 2}  # 수원시 exists once in the country
    assert "several 시도" in aside["reason"].iat[0] and "서울특별시" in aside["reason"].iat[0]


# ---- config entries ---------------------------------------------------------------------------------

def test_table_entry_keys_are_checked(tmp_path):
    config = load_config(write_config(tmp_path, "extends: default\n"))
    catalog = load_catalog()
    with pytest.raises(TypologyError, match=r"config key data.tables\[0\].layot: unknown"):
        table_spec(config, {"path": "x.csv", "layot": "kosis"}, "data.tables[0]", catalog)
    with pytest.raises(TypologyError, match=r"data.tables\[0\].on_unmatched: 'ignore'; expected one of error, warn"):
        table_spec(config, {"path": "x.csv", "on_unmatched": "ignore"}, "data.tables[0]", catalog)
    with pytest.raises(TypologyError, match=r"data.tables\[0\].vintage: 'latest'; expected one of report, harmonise"):
        table_spec(config, {"path": "x.csv", "vintage": "latest"}, "data.tables[0]", catalog)
    with pytest.raises(TypologyError, match=r"data.tables\[0\]: 'volunteer' is not a variable"):
        table_spec(config, {"path": "x.csv", "variable": "volunteer"}, "data.tables[0]", catalog)
    spec = table_spec(config, {"path": "x.csv", "year": 2020}, "data.tables[0]", catalog)
    assert spec.on_unmatched == "error" and spec.vintage == "report" and spec.years == [2020]


def test_data_level_defaults_and_set_override(tmp_path):
    cfg = volunteers_config(tmp_path)
    result = run_cli("run", str(cfg), "--out", str(tmp_path / "out"), "--set", "data.on_unmatched=warn",
                     "--set", "output.static_maps=false")  # the setting is the point, not the drawing
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "unmatched.csv").is_file()


def test_unknown_layout_lists_the_choices(tmp_path):
    path = write(tmp_path, LONG)
    with pytest.raises(TypologyError, match="unknown table layout method 'tall'; expected one of kosis, long, wide"):
        load(path, layout="tall")


def test_changwon_before_its_2010_merger(tmp_path):
    text = ("sido,region,year,variable,value\n경상남도,창원시,2009,ngos,10\n경상남도,마산시,2009,ngos,6\n"
            "경상남도,진해시,2009,ngos,4\n")
    values, aside, _ = load(write(tmp_path, text), vintage="harmonise")
    assert values_of(values) == {"38110": 20} and aside.empty
    _, reported, _ = load(write(tmp_path, text), on_unmatched="warn")
    assert reported["status"].tolist() == ["unmatched"] * 3


def test_header_row_can_be_given(tmp_path):
    text = "메모,,\n지역,기준연도,값\n서울특별시 종로구,2020,3\n"
    values, _, _ = load(write(tmp_path, text), layout="kosis", header_row=2, variable="ngos",
                        columns={"region": "지역", "year": "기준연도"})
    assert values_of(values) == {"11010": 3}


# ---- real data: the bundled source tables read as user tables ---------------------------------------

SOURCES = Path(__file__).parents[1] / "indicators" / "sources"


def bundled(variables: set[str], year: int) -> pd.DataFrame:
    from typology import paths

    frame = pd.read_csv(paths.VARIABLES, dtype={"code": str})
    return frame[(frame["year"] == year) & frame["variable"].isin(variables)]


def test_real_election_table_with_ilban_gu_rolls_up_to_the_bundled_values():
    """NEC 2022: 250 rows by 시도/구시군 name, 일반구 and 제주's 행정시 separate (real data)."""
    names = {"선거인수": "electorate_local", "투표수": "votes_local", "사전투표수": "early_votes_local",
             "선거": None, "무효투표수": None, "기권수": None, "투표율": None}
    values, aside, acc = load(SOURCES / "nec_local2022" / "local2022_sido_head_turnout_by_gusigun.csv",
                              layout="wide", columns={"sido": "시도명", "region": "구시군명"}, years=[2022],
                              variables=names)
    assert aside.empty and acc["rows"] == 750 and acc["rolled_up"] == 102  # 34 일반구/행정시 × 3 variables
    merged = values.merge(bundled(set(values["variable"]), 2022), on=["code", "year", "variable"],
                          suffixes=("", "_bundled"))
    assert len(values) == len(merged) == 3 * 228
    assert (merged["value"] == merged["value_bundled"]).all()


@pytest.mark.parametrize("year", [2017, 2021])
@pytest.mark.parametrize(("columns", "system"), [
    ({"sido": "SD", "region": "SGG"}, "auto"),  # names, including 강원도/전라북도 and (2017) 인천 남구
    ({"code": "CODE_AD"}, "code10"),
    ({"code": "CODE"}, "kostat"),
])
def test_real_fiscal_table_matches_all_228_by_names_and_codes(year, columns, system):
    values, aside, acc = load(SOURCES / "fiscal_independence" / f"FI_{year}.csv", code_system=system,
                              columns={**columns, "year": "YEAR", "value": "FI"}, variable="fiscal_independence")
    assert aside.empty and acc["matched"] == 228
    expected = bundled({"fiscal_independence"}, year)
    assert values_of(values, "fiscal_independence") == dict(zip(expected["code"], expected["value"]))
