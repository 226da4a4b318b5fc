"""Hand-checked source values must survive the build into indicators/data/variables.csv."""

from __future__ import annotations

import pandas as pd
import pytest

from typology import paths


@pytest.fixture(scope="module")
def variables() -> pd.DataFrame:
    return pd.read_csv(paths.VARIABLES, dtype={"code": str, "source_id": str})


def value(variables, variable, year, code):
    row = variables[(variables.variable == variable) & (variables.year == year) & (variables.code == code)]
    assert len(row) == 1, (variable, year, code)
    return float(row["value"].iloc[0])


def test_tidy_table_contract(variables):
    assert list(variables.columns) == ["code", "year", "variable", "value", "source_id"]
    assert not variables.duplicated(["code", "year", "variable"]).any()
    assert variables["code"].str.fullmatch(r"\d{5}").all()


def test_fiscal_independence_of_jongno_2020_is_53_7(variables):
    assert value(variables, "fiscal_independence", 2020, "11010") == 53.7


def test_2022_local_election_national_turnout_is_50_9_percent(variables):
    in2022 = variables[variables.year == 2022]
    votes = in2022[in2022.variable == "votes_local"]["value"].sum()
    electorate = in2022[in2022.variable == "electorate_local"]["value"].sum()
    assert round(100 * votes / electorate, 1) == 50.9


def test_turnout_agrees_with_the_independent_second_source(variables):
    second = pd.read_csv(paths.SOURCES_DIR / "nec_local_second_source" / "local-election-turnout-municipal.csv",
                         encoding="utf-8-sig")
    second = second[second.election_round == 8]
    in2022 = variables[variables.year == 2022]
    assert in2022[in2022.variable == "electorate_local"]["value"].sum() == second["electorate"].sum()
    assert in2022[in2022.variable == "votes_local"]["value"].sum() == second["votes"].sum()


def test_village_enterprises_sum_to_1727_and_jeju_cities_roll_up(variables):
    maeul = variables[variables.variable == "maeul_enterprises"]
    assert maeul["value"].sum() == 1727
    # 제주시 24 + 서귀포시 26 (source counts) = 제주특별자치도 50
    assert value(variables, "maeul_enterprises", 2025, "39000") == 50


def test_ilban_gu_counts_are_summed_to_the_city(variables):
    # 2022 electorate of 수원시 = the four 일반구 of the NEC file summed.
    source = pd.read_csv(paths.SOURCES_DIR / "nec_local2022" / "local2022_sido_head_turnout_by_gusigun.csv")
    suwon = source[source["구시군명"].str.startswith("수원시")]
    assert len(suwon) == 4
    assert value(variables, "electorate_local", 2022, "31010") == suwon["선거인수"].sum()


def test_wrong_zero_staff_quotas_are_missing_not_zero(variables):
    # 인천 서구 (23080) and 구례군 (36330) carry 0 in the source from a mismatched ordinance.
    staff = variables[variables.variable == "staff_quota"].set_index("code")["value"]
    assert pd.isna(staff["23080"]) and pd.isna(staff["36330"])
    assert (staff.dropna() > 0).all()


def test_every_unit_has_population_2020(variables):
    pop = variables[(variables.variable == "population") & (variables.year == 2020)]
    assert len(pop) == 228 and (pop["value"] > 0).all()


def test_sido_level_only_data_are_not_spread_down(variables):
    assert not variables["variable"].str.contains("volunteer|social_enterprise").any()


def test_build_log_names_every_rolled_up_or_excluded_row():
    log = pd.read_csv(paths.BUILD_LOG)
    assert {"source_id", "row", "action"} <= set(log.columns)
    assert log["action"].str.contains("excluded: 광역").sum() == 15
    assert log["action"].str.startswith("kept as missing: quota 0").sum() == 2
    # 세종 (created 2012), 공주시 and 청주시 (which gave it land) have no comparable 2010 area.
    territory = log[log["action"].str.contains("territory changed")]
    assert sorted(territory["row"]) == ["population 2010 29010", "population 2010 33040", "population 2010 34020"]


def test_national_turnout_of_each_local_election_matches_nec(variables):
    for year, official in ((2014, 56.8), (2018, 60.2), (2022, 50.9)):
        part = variables[variables.year == year]
        votes = part[part.variable == "votes_local"]["value"].sum()
        electorate = part[part.variable == "electorate_local"]["value"].sum()
        assert round(100 * votes / electorate, 1) == official, year
