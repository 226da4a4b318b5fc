from __future__ import annotations

import pytest

from typology.data.places import load_units
from typology.data.units import matcher


def test_228_units_226_plus_sejong_and_jeju():
    units = load_units()
    assert len(units) == 228
    assert units["code"].is_unique
    kinds = units["kind"].value_counts().to_dict()
    assert kinds == {"군": 82, "시": 75, "자치구": 69, "특별자치시": 1, "특별자치도": 1}
    # 제주시/서귀포시 are administrative cities without their own budget: not units.
    assert not units["name_ko"].isin(["제주시", "서귀포시"]).any()


@pytest.mark.parametrize(
    ("sido", "name", "code"),
    [
        ("경기도", "수원시장안구", "31010"),  # 일반구 written without a space rolls up to the city
        ("경기도", "수원시 장안구", "31010"),
        ("강원도", "춘천시", "32010"),
        ("강원특별자치도", "춘천시", "32010"),
        ("전라북도", "전주시", "35010"),
        ("전북특별자치도", "전주시완산구", "35010"),
        ("인천광역시", "남구", "23090"),  # renamed 미추홀구 in 2018
        ("인천", "미추홀구", "23090"),
        ("대구광역시", "군위군", "37310"),  # moved from 경북 in 2023
        ("경상북도", "군위군", "37310"),
        ("제주특별자치도", "서귀포시", "39000"),
        ("세종특별자치시", "세종특별자치시", "29010"),
        ("세종", "세종", "29010"),
        ("서울", "중구", "11020"),
        ("부산광역시", "중구", "21010"),
    ],
)
def test_names_match_through_changes_and_spellings(sido, name, code):
    assert matcher().match_name(sido, name) == code


@pytest.mark.parametrize(
    ("given", "system", "code"),
    [
        ("11010", "kostat", "11010"),
        ("11110", "std5", "11010"),  # 행정표준코드 of 종로구 ...
        ("11110", "kostat", "11110"),  # ... is KOSTAT's 노원구: the system must be named
        ("1111000000", "code10", "11010"),
        ("1111000000", "kostat", "11010"),  # 10 digits can only be a 행정기관코드
        ("31011", "kostat", "31010"),  # KOSTAT 일반구 → city
        ("23030", "kostat", "23090"),  # 인천 남구, pre-2018 KOSTAT code
        ("36110", "std5", "29010"),  # 세종
        ("52110", "std5", "35010"),  # 전주, after the 전북 prefix change
        ("45110", "std5", "35010"),  # 전주, before it
        ("27720", "std5", "37310"),  # 군위, after moving to 대구
        ("39", "kostat", "39000"),
    ],
)
def test_codes_in_all_three_systems(given, system, code):
    assert matcher().match_code(given, system) == code


def test_unknown_code_system_is_an_error():
    from typology.errors import TypologyError

    with pytest.raises(TypologyError, match="unknown code system 'gis'"):
        matcher().match_code("11010", "gis")


def test_unknown_names_and_codes_match_nothing():
    m = matcher()
    assert m.match_name("서울특별시", "없는구") is None
    assert m.match_name("없는도", "중구") is None
    assert m.match_code("99999") is None


# ---- places, dates and the change table -----------------------------------------------------------

def test_reference_date_decides_between_the_old_and_the_new_cheongju():
    from datetime import date

    m = matcher()
    old = m.resolve_name("충청북도", "청주시", date(2013, 12, 31))
    new = m.resolve_name("충청북도", "청주시", date(2015, 12, 31))
    assert old.kind == "predecessor" and old.change_date == date(2014, 7, 1) and old.unit == "33040"
    assert new.kind == "unit" and new.unit == "33040"
    assert m.resolve_code("43110", "std5", date(2013, 1, 1)).key == old.key  # same 행정표준코드, other place
    assert m.resolve_code("43110", "std5", date(2020, 1, 1)).key == new.key
    assert {p.label for p in m.predecessors("33040", date(2014, 7, 1))} == {"충청북도 청주시", "충청북도 청원군"}


@pytest.mark.parametrize(("code", "system", "kind", "unit"), [
    ("41111", "std5", "part", "31010"),  # 수원시 장안구 (행정표준코드)
    ("4111100000", "code10", "part", "31010"),
    ("52111", "std5", "part", "35010"),  # 전주시 완산구, after the 전북 prefix change
    ("45111", "std5", "part", "35010"),
    ("50110", "std5", "part", "39000"),  # 제주시
    ("41192", "std5", "part", "31050"),  # 부천시 원미구, restored 2024
    ("33310", "kostat", "predecessor", "33040"),  # 청원군
    ("43710", "std5", "predecessor", "33040"),
    ("34320", "kostat", "predecessor", "29010"),  # 연기군
    ("11", "kostat", "sido", None),
    ("26", "std5", "sido", None),  # 부산 in 행정표준코드 ...
    ("26", "kostat", "sido", None),  # ... 울산 in KOSTAT codes
    ("29", "kostat", "unit", "29010"),  # 세종 is a 시도 and a unit
    ("50", "std5", "unit", "39000"),
    ("1100000000", "code10", "sido", None),
    ("00", "kostat", "nation", None),
])
def test_places_in_each_code_system(code, system, kind, unit):
    m = matcher()
    place = m.resolve_code(code, system)
    assert place is not None and place.kind == kind
    assert m.final_unit(place) == unit


def test_sido_labels_of_colliding_two_digit_codes():
    m = matcher()
    assert m.resolve_code("26", "std5").label == "부산광역시"
    assert m.resolve_code("26", "kostat").label == "울산광역시"


def test_subunits_by_date():
    from datetime import date

    m = matcher()
    assert len(m.subunits("unit:31010", date(2020, 1, 1))) == 4
    assert len(m.subunits("unit:31050", date(2015, 1, 1))) == 3  # 부천 일반구 before 2016-07-04
    assert m.subunits("unit:31050", date(2020, 1, 1)) == []  # abolished
    assert len(m.subunits("unit:31050", date(2024, 6, 1))) == 3  # restored
    assert len(m.subunits("unit:33040", date(2020, 1, 1))) == 4
    old = m.resolve_name("충청북도", "청주시", date(2010, 1, 1))
    assert len(m.subunits(old.key, date(2010, 1, 1))) == 2  # 상당구, 흥덕구 of the old city
    assert len(m.subunits("unit:39000", date(2020, 1, 1))) == 2  # 제주시, 서귀포시


def test_change_table_codes_agree_with_the_crosswalk():
    """Every KOSTAT code in admin_changes.csv names the place the crosswalk gives it."""
    import pandas as pd

    from typology import paths
    from typology.data.places import norm

    changes = pd.read_csv(paths.ADMIN_CHANGES, dtype=str, keep_default_na=False)
    crosswalk = pd.read_csv(paths.CROSSWALK, dtype=str, keep_default_na=False)
    names = {(c, norm(n)) for c, n in zip(crosswalk["adm2_code"], crosswalk["sgg_kr"])}
    names |= {(c, norm(n)) for c, n in zip(crosswalk["localgov_code5"], crosswalk["localgov_name"])}
    units = load_units()
    names |= {(c, norm(n)) for c, n in zip(units["code"], units["name_ko"])}
    kostat = changes[changes["code_system"] == "kostat"]
    for row in kostat.itertuples():
        if row.old_code and row.old_name:
            assert (row.old_code, norm(row.old_name)) in names, row
        if row.new_code and row.new_name and row.new_code != "29010":
            assert (row.new_code, norm(row.new_name)) in names, row
    assert set(changes["comparable"]) <= {"yes", "no"}


def test_sub_unit_table_is_consistent():
    import pandas as pd

    from typology import paths

    subs = pd.read_csv(paths.BOUNDARIES_DIR / "sub_units.csv", dtype=str, keep_default_na=False)
    units = load_units().set_index("code")
    m = matcher()
    for row in subs.itertuples():
        if row.std5:
            assert row.code10 == row.std5 + "00000"
        parent = row.parent_code
        assert parent in units.index or m.resolve_code(parent, "kostat").kind == "predecessor"
        if parent in units.index:
            assert row.name.startswith(units.at[parent, "name_ko"]) or parent == "39000"
