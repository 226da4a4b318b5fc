from __future__ import annotations

import pytest

from typology.units import load_units, matcher


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
