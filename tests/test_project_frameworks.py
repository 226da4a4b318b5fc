"""Researchers' own frameworks: project catalogues, ``units.scope``, table-level ``sido:``, the 2026
administrative changes, and inputs that used to be accepted silently.

Values in the tables written here are synthetic (made up for the tests) unless a test says
otherwise; region names and the codes of existing units are real (boundaries/units.csv). The
2026 codes of 전남광주통합특별시 and of 인천's new 구 are not verified (see admin_changes.csv), so
every 12xxx and 2899x code below is SYNTHETIC and labelled so.
"""

from __future__ import annotations

import json
import re
import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typology import load_config, paths, run
from typology.core.catalog import catalog_for, extend_catalog, load_catalog
from typology.data import scope as scopes
from typology.data.load import read_table
from typology.data.places import load_sido, load_units
from typology.data.specs import TableSpec, table_spec
from typology.data.units import RegionMatcher, matcher
from typology.errors import TypologyError

from .conftest import run_cli, write_config

UNITS = load_units()
GWANGJU_JEONNAM = UNITS[UNITS["sido_code"].isin(["24", "36"])]
NEW_SIDO = "전남광주통합특별시"

PROJECT_CATALOG = """\
variables:
  village_orgs:
    name_ko: 마을공동체 단체 수
    name_en: Village community groups
    unit: count
    aggregation: sum
    source: user
indicators:
  village_orgs_per_1000:
    name_ko: 인구 천 명당 마을공동체 단체
    name_en: Village community groups per 1,000 residents
    dimension: civic
    study_indicator: 시민참여수준
    direction: 1
    unit: per 1,000 residents
    kind: ratio
    numerator: [{variable: village_orgs}]
    denominator: [{variable: population}]
    scale: 1000
    agency: 연구자 자료 (synthetic test values)
    kosis_table: null
    bundled: false
    level: continuous
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---- 1. project catalogues ----------------------------------------------------------------------

def test_project_catalogue_adds_variables_and_indicators(tmp_path):
    base = load_catalog()
    extended = extend_catalog(base, [write(tmp_path / "mine.yaml", PROJECT_CATALOG)])
    assert "village_orgs" in extended.variables and "village_orgs" not in base.variables
    ind = extended.indicators["village_orgs_per_1000"]
    assert ind.dimension == "civic" and [r.variable for r in ind.refs()] == ["village_orgs", "population"]
    assert extended.added == ("variables.village_orgs", "indicators.village_orgs_per_1000")
    assert extended.files == [base.path, tmp_path / "mine.yaml"]
    # the bundled entries are all still there, unchanged
    assert set(base.indicators) < set(extended.indicators)
    assert extended.indicators["grdp_per_capita"].spec == base.indicators["grdp_per_capita"].spec


@pytest.mark.parametrize("edit, fragment", [
    (lambda t: t.replace("level: continuous", "level: ratio"),
     r"indicators\.village_orgs_per_1000\.level 'ratio'; expected one of \['continuous', 'count', 'binary', "
     r"'ordinal'\]"),
    (lambda t: t.replace("direction: 1", "direction: 2"), r"indicators\.village_orgs_per_1000\.direction must be"),
    (lambda t: t.replace("{variable: village_orgs}", "{variable: village_org}"),
     r"undeclared variables \['village_org'\]"),
    (lambda t: t.replace("    aggregation: sum\n", ""), r"variables\.village_orgs lacks \['aggregation'\]"),
    (lambda t: "dimensions: {}\n" + t, r"section 'dimensions' not allowed in a project catalogue"),
    (lambda t: t.replace("  village_orgs:\n", "  population:\n", 1).replace("{variable: village_orgs}",
                                                                            "{variable: population}"),
     r"variables\.population is already defined in .*catalog\.yaml; rename it, or set override: true"),
    (lambda t: t.replace("    source: user\n", "    source: user\n    override: true\n"),
     r"variables\.village_orgs\.override: true, but no catalogue defines 'village_orgs'"),
])
def test_project_catalogue_errors_name_file_and_key(tmp_path, edit, fragment):
    path = write(tmp_path / "mine.yaml", edit(PROJECT_CATALOG))
    with pytest.raises(TypologyError, match=fragment) as err:
        extend_catalog(load_catalog(), [path])
    assert str(path) in str(err.value)


def test_override_replaces_a_bundled_entry_and_a_second_file_clashes_with_the_first(tmp_path):
    over = write(tmp_path / "over.yaml", "variables:\n  population:\n    override: true\n    name_ko: 인구 (주민등록)\n"
                                         "    name_en: Registered population\n    unit: persons\n    aggregation: sum\n"
                                         "    source: user\n")
    extended = extend_catalog(load_catalog(), [over])
    assert extended.variables["population"]["name_ko"] == "인구 (주민등록)"
    assert "override" not in extended.variables["population"]
    first = write(tmp_path / "a.yaml", PROJECT_CATALOG)
    second = write(tmp_path / "b.yaml", PROJECT_CATALOG)
    with pytest.raises(TypologyError, match=r"b\.yaml: variables\.village_orgs is already defined in .*a\.yaml"):
        extend_catalog(load_catalog(), [first, second])


def test_config_catalogue_paths_are_relative_to_the_config(tmp_path):
    write(tmp_path / "mine.yaml", PROJECT_CATALOG)
    cfg = load_config(write_config(tmp_path, "extends: default\ncatalog: [mine.yaml]\n"))
    assert "village_orgs_per_1000" in catalog_for(cfg).indicators
    bad = load_config(write_config(tmp_path, "extends: default\ncatalog: [absent.yaml]\n", "bad.yaml"))
    with pytest.raises(TypologyError, match=r"config key catalog\[0\]: no project catalogue 'absent\.yaml'"):
        catalog_for(bad)


def test_unknown_variable_error_points_at_project_catalogues(tmp_path):
    cfg = load_config(write_config(tmp_path, "extends: default\ndata:\n  tables:\n    - {path: t.csv, variable: "
                                             "village_orgs}\n"))
    with pytest.raises(TypologyError, match=r"'village_orgs' is not a variable of the catalogue .*declare it in a "
                                            r"project catalogue \(config key catalog:\)"):
        table_spec(cfg, cfg["data"]["tables"][0], "data.tables[0]", load_catalog())


# ---- 2. scope ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ({"sido": ["서울특별시"]}, 25),
    ({"sido": ["서울", "Busan"]}, 25 + 16),
    ({"class": ["군"]}, 82),
    ({"sido": ["경기도"], "class": ["군"]}, 3),  # 연천군, 가평군, 양평군
    ({"codes": ["11010", 11020, "11030"]}, 3),  # YAML may give a code as a number
    ({"sido": [NEW_SIDO]}, 27),  # the merged 시도 stands for 광주's 5 구 and 전남's 22 시군
])
def test_scope_selects_units(raw, expected):
    chosen = scopes.select(UNITS, raw, matcher())
    assert len(chosen.codes) == expected
    assert chosen.total == 228


@pytest.mark.parametrize("raw, fragment", [
    ({"sido": ["서울시티"]}, r"units\.scope\.sido: '서울시티' is not a 시도 name"),
    ({"class": ["구"]}, r"units\.scope\.class: '구'; expected some of 군, 시, 자치구"),
    ({"codes": ["99999"]}, r"units\.scope\.codes: '99999' is not a unit code"),
    ({"sido": ["서울특별시"], "class": ["군"]}, r"selects no unit"),
    ({"province": ["서울"]}, r"units\.scope\.province: unknown"),
    ({"sido": ["서울"], "class": []}, r"^config key units\.scope\.class: expected at least one value, got \[\]$"),
    ({"sido": ["세종"]}, r"selects 1 unit\(s\) \(29010\); scores are relative to the scope, so it needs at least 3"),
])
def test_scope_errors_name_the_key(raw, fragment):
    with pytest.raises(TypologyError, match=fragment):
        scopes.select(UNITS, raw, matcher())


@settings(max_examples=40, deadline=None)
@given(sidos=st.sets(st.sampled_from(sorted(load_sido()["sido_ko"])), min_size=1, max_size=4),
       kinds=st.sets(st.sampled_from(["군", "시", "자치구"]), min_size=1, max_size=3))
def test_scope_is_the_intersection_of_its_conditions(sidos, kinds):
    expected = UNITS[UNITS["sido_ko"].isin(sidos) & UNITS["kind"].isin(kinds)]["code"].tolist()
    raw = {"sido": sorted(sidos), "class": sorted(kinds)}
    if len(expected) < scopes.MIN_UNITS:
        with pytest.raises(TypologyError, match="selects no unit|needs at least 3 units"):
            scopes.select(UNITS, raw, matcher())
    else:
        assert list(scopes.select(UNITS, raw, matcher()).codes) == expected


@pytest.fixture(scope="module")
def seoul_run():
    cfg = load_config(paths.DEFAULT_CONFIG, ["units.scope={sido: [서울특별시]}"])
    return run(cfg)


def test_scoped_run_is_relative_to_the_scope(seoul_run):
    table = seoul_run.table()
    assert len(table) == 25 and set(table["sido"]) == {"서울특별시"}
    # z-scores are computed over the 25, so each indicator's normalised values centre on 0 there
    for ind in seoul_run.indicators:
        col = table[f"{ind.key}_norm"].dropna()
        if col.nunique() > 1:
            assert abs(col.mean()) < 1e-9, ind.key
    assert table["composite_rank"].max() <= 25
    outside = seoul_run.exclusions[seoul_run.exclusions["excluded_from"] == "run (scope)"]
    assert len(outside) == 203 and not set(outside["code"]) & set(table["code"])
    assert outside["reason"].str.contains("outside units.scope").all()
    step = next(s for s in seoul_run.steps if s["step"] == "scope")
    assert step == {"step": "scope", "scope": {"sido": ["서울특별시"]}, "units": 25, "of": 228}


def test_scoped_report_speaks_of_the_scopes_mean(seoul_run, default_run):
    # z-scores of a scoped run are centred on the scope's mean (above), so the report must not say
    # "national mean" where it describes them: the method's normalisation item and the regions' note.
    from typology.render.report import method_html, regions_html

    def normalisation(result):
        return method_html(result).split("<li>정규화")[1].split("</li>")[0]

    def note(result):
        return regions_html(result, result.table()).split("<p class=note>")[1].split("</p>")[0]

    for text in (normalisation(seoul_run), note(seoul_run)):
        assert "범위(scope) 안 평균" in text and "mean over the scope" in text
        assert "전국 평균" not in text and "national mean" not in text
    for text in (normalisation(default_run), note(default_run)):  # the whole country: the national mean
        assert "전국 평균" in text and "national mean" in text and "scope" not in text


def _reader_text(page: str) -> str:
    """What report.html shows: its markup without style and script blocks."""
    return re.sub(r"<style.*?</style>|<script.*?</script>", "", page, flags=re.S)


@pytest.mark.parametrize("config", ["configs/examples/seoul.yaml", None], ids=["seoul-example", "default"])
def test_whole_scoped_report_never_says_national_mean(config, default_run, seoul_example_run):
    # Thresholds, z-scores and profile means of a scoped run are the scope's: the type rules ("≥ 범위 평균"),
    # every region's and type's profile legend and the validity section's normalisation note must say so;
    # the whole-country report keeps "전국 평균 (national mean)". The scope's own description ("25개 (전국
    # 228개 중)") is the one right use of 전국 in a scoped report.
    from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry
    from typology.render.layers import build_layers
    from typology.render.report import build_report
    from typology.render.webmap import build_map, dimension_names

    assert config in (None, "configs/examples/seoul.yaml")
    result = seoul_example_run if config else default_run  # both shared (conftest)
    table = result.table()
    layers = build_layers(table, result.settings, dimension_names(result))
    text = _reader_text(build_report(result, table, layers[0]))
    rules = text.split("처음 맞는 유형")[1].split("</ul>")[0]
    payload = build_map(result, table, attach(table, load_unit_geometry()), load_sido_geometry(), layers)
    if config:
        assert "≥ 범위 평균" in rules and "전국" not in rules
        assert text.count("범위 평균 (scope mean)") >= len(table)  # every region's profile, every type's
        assert "national mean" not in text and "전국 평균" not in text and "전국 (nation)" not in text
        assert re.sub(r"\(전국 \d+개 중\)", "", text).count("전국") == 0
        assert "≥ 범위 평균" in payload and "전국 평균" not in payload
    else:
        assert "≥ 전국 평균" in rules
        assert text.count("전국 평균 (national mean)") >= len(table) and "scope mean" not in text
        assert "전국 (nation)" in text


def test_scoped_compare_puts_the_scopes_mean_beside_the_regions(seoul_run):
    from typology.api.loaders import from_run

    table = from_run(seoul_run).compare(["종로구", "강남구"], lang="ko").table
    assert list(table.columns)[-1] == "범위 평균"
    assert list(from_run(seoul_run).compare(["종로구", "강남구"], lang="en").table.columns)[-1] == "mean over the scope"


def test_scoped_map_greys_out_the_rest_and_zooms_to_the_scope(seoul_run):
    from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry
    from typology.render.webmap import map_payload

    table = seoul_run.table()
    payload = map_payload(seoul_run, table, attach(table, load_unit_geometry()), load_sido_geometry())
    assert len(payload["units"]["features"]) == 25
    assert len(payload["context"]["features"]) == 203
    (south, west), (north, east) = payload["bounds"]
    assert 37.4 < south < north < 37.8 and 126.7 < west < east < 127.2  # Seoul, not Korea
    assert "서울특별시" in payload["scope"]["ko"]


def test_scoped_run_writes_every_output_and_says_the_scope(tmp_path):
    cfg = write_config(tmp_path, "extends: default\nunits:\n  scope: {sido: [서울특별시]}\n")
    result = run_cli("run", str(cfg), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    for name in ("scores.csv", "scores.xlsx", "report.html", "map.html", "map_type.png", "maps.pdf", "coverage.csv",
                 "exclusions.csv", "stability.csv", "manifest.json"):
        assert (out / name).is_file(), name
    assert len(pd.read_csv(out / "scores.csv", encoding="utf-8-sig")) == 25
    assert "분석 범위(units.scope)는 시도 서울특별시: 25개" in (out / "report.html").read_text(encoding="utf-8")
    assert "typology-context" in (out / "map.html").read_text(encoding="utf-8")


def test_too_small_a_scope_for_the_k_range_is_a_clear_error(tmp_path):
    cfg = write_config(tmp_path, "extends: default\nunits:\n  scope: {codes: ['11010', '11020', '11030', '11040', "
                                 "'11050']}\ntypology: {method: kmeans}\n")
    result = run_cli("run", str(cfg), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "k_range: largest k 8 is more than the 5 regions to cluster allow" in result.stderr
    assert "Traceback" not in result.stderr


# ---- 3. table-level sido -------------------------------------------------------------------------

def test_table_level_sido_places_bare_names(tmp_path):
    path = write(tmp_path / "bare.csv", "구,ngos\n중구,4\n종로구,7\n")
    values, aside, _ = read_table(TableSpec(path, "data.tables[0]", layout="wide", columns={"region": "구"},
                                            years=[2020], sido="서울특별시"), load_catalog(), matcher())
    assert dict(zip(values["code"], values["value"])) == {"11020": 4.0, "11010": 7.0}
    assert aside.empty
    # without it, 중구 is ambiguous (six 시도 have one) and is reported as such
    _, aside, _ = read_table(TableSpec(path, "data.tables[0]", layout="wide", columns={"region": "구"},
                                       years=[2020]), load_catalog(), matcher())
    assert "names a 시군구 in several 시도" in aside.set_index("region").at["중구", "reason"]
    with pytest.raises(TypologyError, match=r"config key data\.tables\[0\]\.sido: '서울시티' is not a 시도 name"):
        read_table(TableSpec(path, "data.tables[0]", layout="wide", columns={"region": "구"}, years=[2020],
                             sido="서울시티"), load_catalog(), matcher())


# ---- 4. administrative changes through 2026 ------------------------------------------------------

def test_merged_sido_name_reads_its_27_units_by_name():
    m = matcher()
    on = date(2026, 12, 31)
    found = {m.match_name(NEW_SIDO, name, on) for name in GWANGJU_JEONNAM["name_ko"]}
    assert found == set(GWANGJU_JEONNAM["code"])
    assert m.resolve_name(NEW_SIDO, "", on).kind == "sido"
    assert m.match_name(NEW_SIDO, "종로구", on) is None  # not a place of the merged 시도


def kosis_new_sido(tmp_path: Path) -> Path:
    """A KOSIS download as KOSIS writes it after 2026-07-01: the new 시도 row, then its 시군구 by bare name."""
    lines = ['"등록 NPO 현황(시군구별) - 시험용 합성 자료"', '"단위: 개"', "", '"행정구역별","시점","NPO (개)"',
             '"전국","2025","9999"', '"서울특별시","2025","50"', '"종로구","2025","20"', f'"{NEW_SIDO}","2025","999"']
    lines += [f'"{name}","2025","{i + 1}"' for i, name in enumerate(GWANGJU_JEONNAM["name_ko"])]
    lines += ['"주: 시험용 합성 자료"']
    return write(tmp_path / "kosis_2026.csv", "\n".join(lines) + "\n")


def test_kosis_table_with_the_new_sido_row(tmp_path):
    spec = TableSpec(kosis_new_sido(tmp_path), "data.tables[0]", layout="kosis", variable="ngos", years=[2025])
    values, aside, acc = read_table(spec, load_catalog(), matcher())
    got = dict(zip(values["code"], values["value"]))
    assert {c: got[c] for c in GWANGJU_JEONNAM["code"]} == {c: float(i + 1)
                                                             for i, c in enumerate(GWANGJU_JEONNAM["code"])}
    assert got["11010"] == 20.0
    assert acc["matched"] == 28 and acc["unmatched"] == 0 and acc["aggregate"] == 3
    assert aside.set_index("region").at[NEW_SIDO, "reason"] == f"시도 total ({NEW_SIDO}), not a 시군구"


def test_an_unknown_sido_row_does_not_lend_its_names_to_the_previous_sido(tmp_path):
    path = write(tmp_path / "k.csv", '"행정구역별","시점","NPO (개)"\n"서울특별시","2025","9"\n"종로구","2025","1"\n'
                                     '"대구경북특별시","2025","9"\n"포항시","2025","2"\n"중구","2025","3"\n')
    values, aside, _ = read_table(TableSpec(path, "t", layout="kosis", variable="ngos", years=[2025]), load_catalog(),
                                  matcher())
    assert dict(zip(values["code"], values["value"])) == {"11010": 1.0, "37010": 2.0}  # 포항시 exists once
    reasons = aside.set_index("region")["reason"]
    assert reasons["대구경북특별시"].startswith("looks like a 시도 name")
    assert "names a 시군구 in several 시도" in reasons["중구"]  # not 서울 중구


SYNTHETIC_12 = {code: f"129{i:02d}" for i, code in enumerate(GWANGJU_JEONNAM["code"], start=1)}  # SYNTHETIC codes
SYNTHETIC_INCHEON = {"제물포구": "28991", "영종구": "28992", "서해구": "28993", "검단구": "28994"}  # SYNTHETIC codes


def fin365_2026(tmp_path: Path) -> Path:
    """A 지방재정365-style export of 2025 figures in 2026 행정표준 codes and names (values synthetic)."""
    rows = []
    for i, u in enumerate(UNITS.itertuples(), start=1):
        if u.code in SYNTHETIC_12:
            rows.append((SYNTHETIC_12[u.code], NEW_SIDO, u.name_ko, 1000 + i))
        elif u.code not in ("23010", "23020", "23080"):  # 인천 중구, 동구, 서구 exist no longer
            rows.append((u.code_std5, u.sido_ko, u.name_ko, 1000 + i))
    rows += [(code, "인천광역시", name, 500) for name, code in SYNTHETIC_INCHEON.items()]
    frame = pd.DataFrame(rows, columns=["자치단체코드", "시도", "자치단체명", "세출"])
    path = tmp_path / "fin365_2026.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_table_in_2026_codes_every_row_matched_or_reported(tmp_path):
    path = fin365_2026(tmp_path)
    spec = TableSpec(path, "data.tables[0]", layout="wide", columns={"code": "자치단체코드", "sido": "시도",
                                                                     "region": "자치단체명"},
                     variables={"세출": "general_spending"}, years=[2025], reference_date=date(2026, 7, 1))
    with pytest.warns(UserWarning, match=r"27 row\(s\) matched by their region names.*전남광주통합특별시"):
        values, aside, acc = read_table(spec, load_catalog(), matcher())
    assert acc["code_system"] == "std5"  # the 12xxx codes did not blur the detection
    assert acc["rows"] == 225 + 4 and acc["matched"] == 225 and acc["unmatched"] == 4
    assert set(values["code"]) == set(UNITS["code"]) - {"23010", "23020", "23080"}
    jg = dict(zip(values["code"], values["value"]))
    assert jg["36010"] == 1000 + UNITS.index[UNITS["code"] == "36010"][0] + 1  # 목포시, by its name
    reasons = aside.set_index("region")["reason"]
    for name in SYNTHETIC_INCHEON:
        assert f"{name} was formed on 2026-07-01" in reasons[name]
        assert "인천 행정체제 개편" in reasons[name] and "matches no unit" in reasons[name]


def test_unverified_code_without_a_name_is_reported_with_the_change(tmp_path):
    path = write(tmp_path / "codes.csv", "code,year,variable,value\n12901,2025,ngos,3\n11110,2025,ngos,4\n")
    _, aside, _ = read_table(TableSpec(path, "data.tables[0]", code_system="std5"), load_catalog(), matcher())
    reason = aside.set_index("code").at["12901", "reason"]
    assert "no 시도 has code prefix 12" in reason and "전남광주통합특별시 (2026-07-01" in reason


def synthetic_matcher() -> RegionMatcher:
    """The bundled matcher with SYNTHETIC 2026 code rows: a 시도 code 12 and recodes 29xxx/46xxx → 129xx.

    Stands for the rows to add once the real codes are verified; the codes here are made up.
    """
    changes = pd.read_csv(paths.ADMIN_CHANGES, dtype=str, keep_default_na=False)
    changes.loc[changes["change"] == "merge_sido", "new_code"] = "12"
    extra = [{"date": "2026-07-01", "change": "recode", "code_system": "std5", "old_code": u.code_std5,
              "old_sido": u.sido_ko, "old_name": u.name_ko, "new_code": SYNTHETIC_12[u.code], "new_sido": NEW_SIDO,
              "new_name": u.name_ko, "note": "SYNTHETIC test code", "comparable": "yes",
              "verification": "synthetic", "source": "test"} for u in GWANGJU_JEONNAM.itertuples()]
    changes = pd.concat([changes, pd.DataFrame(extra)], ignore_index=True)
    subs = pd.read_csv(paths.BOUNDARIES_DIR / "sub_units.csv", dtype=str, keep_default_na=False)
    crosswalk = pd.read_csv(paths.CROSSWALK, dtype=str, keep_default_na=False)
    return RegionMatcher(UNITS, load_sido(), crosswalk, changes, subs)


def test_verified_recode_rows_would_match_by_code():
    m = synthetic_matcher()
    for code, new in SYNTHETIC_12.items():
        assert m.match_code(new, "std5") == code
        assert m.match_code(new + "00000", "code10") == code
    assert m.resolve_code("12", "std5").label == NEW_SIDO
    assert m.match_code("11110", "std5") == "11010"  # untouched codes still mean what they meant
    assert matcher().match_code("12901", "std5") is None  # the bundled rows carry no unverified code


def test_hwaseong_ilban_gu_roll_up_from_2026():
    m = matcher()
    parts = m.subunits("unit:31240", date(2026, 12, 31))
    assert sorted(p.label for p in parts) == ["경기도 화성시 동탄구", "경기도 화성시 만세구", "경기도 화성시 병점구",
                                             "경기도 화성시 효행구"]
    assert m.subunits("unit:31240", date(2025, 12, 31)) == []


def test_hwaseong_parts_are_summed_or_reported(tmp_path):
    body = "시도,구,ngos\n경기도,화성시 만세구,3\n경기도,화성시 효행구,4\n경기도,화성시 병점구,5\n"
    whole = write(tmp_path / "h4.csv", body + "경기도,화성시 동탄구,6\n")
    spec = dict(layout="wide", columns={"region": "구", "sido": "시도"}, years=[2026])
    values, _, acc = read_table(TableSpec(whole, "t", **spec), load_catalog(), matcher())
    assert dict(zip(values["code"], values["value"])) == {"31240": 18.0} and acc["rolled_up"] == 4
    _, aside, _ = read_table(TableSpec(write(tmp_path / "h3.csv", body), "t", **spec), load_catalog(), matcher())
    assert aside["reason"].str.contains("only 3 of the 4 parts of 경기도 화성시").all()


def test_2026_change_rows_record_source_and_verification():
    changes = pd.read_csv(paths.ADMIN_CHANGES, dtype=str, keep_default_na=False)
    recent = changes[changes["date"] >= "2026-01-01"]
    assert set(recent["change"]) == {"merge_sido", "reorganise", "create_ilban_gu"}
    assert (recent["source"] != "").all()
    assert recent["verification"].str.startswith("reported, not verified").all()
    assert (changes["verification"] != "").all()
    # nothing unverified is a code: the rows name places, the codes stay empty
    assert (recent[recent["change"] != "create_ilban_gu"]["new_code"] == "").all()


# ---- 6. no silent acceptance -------------------------------------------------------------------

@pytest.mark.parametrize("body, options, fragment", [
    ("code,year,variable,value\n11010,2025,ngos,3\n", {"years": [2024, 2025]},
     r"year says the table holds \[2024, 2025\], but it has no row for \[2024\]"),
    ("code,year,variable,value\n11010,,ngos,3\n", {"years": [2025]}, r"row 2, column year: '' is not a whole year"),
    ("code,year,variable,value\n11010,2020,fiscal_independence,-3\n", {},
     r"fiscal_independence is -3, but a share \(%\) cannot be negative"),
])
def test_formerly_silent_inputs_are_errors(tmp_path, body, options, fragment):
    path = write(tmp_path / "t.csv", body)
    with pytest.raises(TypologyError, match=fragment):
        read_table(TableSpec(path, "data.tables[0]", code_system="kostat", **options), load_catalog(), matcher())


def test_several_config_years_and_no_year_column_is_an_error(tmp_path):
    path = write(tmp_path / "t.csv", "code,ngos\n11010,3\n")
    with pytest.raises(TypologyError, match=r"no year column or year headers, and the config gives several years"):
        read_table(TableSpec(path, "t", layout="wide", code_system="kostat", years=[2024, 2025]), load_catalog(),
                   matcher())


def test_a_misspelt_name_beside_a_good_code_is_warned(tmp_path):
    path = write(tmp_path / "t.csv", "code,sido,region,year,variable,value\n11110,서울특별시,종로구,2025,ngos,1\n"
                                     "11140,서울특별시,중구우,2025,ngos,2\n")
    with pytest.warns(UserWarning, match=r"column region: 1 region name\(s\) match no place although their code "
                                         r"does.*row 3: '중구우' beside code 11140 \(서울특별시 중구\)"):
        values, _, _ = read_table(TableSpec(path, "t", code_system="std5"), load_catalog(), matcher())
    assert set(values["code"]) == {"11010", "11020"}


def test_duplicate_in_std5_names_the_tables_own_code(tmp_path):
    path = write(tmp_path / "t.csv", "code,year,variable,value\n11110,2025,ngos,1\n11110,2025,ngos,2\n")
    with pytest.raises(TypologyError, match=r"given twice for 서울특별시 종로구 \(code 11110 in the table\)"):
        read_table(TableSpec(path, "t", code_system="std5"), load_catalog(), matcher())


def test_units_a_user_table_leaves_out_are_warned_and_in_coverage(tmp_path):
    rows = [f"{c},2020,env_ngos,{i % 7}" for i, c in enumerate(UNITS["code"]) if c != "39000"]
    write(tmp_path / "env.csv", "code,year,variable,value,source_id\n" + "\n".join(r + ",mine" for r in rows) + "\n")
    cfg = load_config(write_config(tmp_path, "extends: default\ndata: {tables: [env.csv]}\nindicators:\n  civic: "
                                             "[local_election_turnout, early_voting_rate, env_ngos_per_100k]\n"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(cfg)
    said = [str(w.message) for w in caught if "env_ngos has no value for 1 of 228 units" in str(w.message)]
    assert said and "제주특별자치도 제주특별자치도" in said[0]
    civic = result.coverage.set_index("dimension").at["civic", "user_table_gaps"]
    assert civic.startswith("env_ngos (env.csv): 제주특별자치도")


# ---- 7. the example ---------------------------------------------------------------------------

def test_seoul_example_runs_with_its_project_indicators(seoul_example_folder):
    out = seoul_example_folder  # `typology run configs/examples/seoul.yaml`, shared (conftest)
    scores = pd.read_csv(out / "scores.csv", dtype={"code": str}, encoding="utf-8-sig").set_index("name")
    assert len(scores) == 25
    # hand-checked against indicators/sources/participation_units_2026 (종로구: kw_마을공동체 7, kw_사회적경제 7;
    # 강동구: 3 and 14)
    assert scores.at["종로구", "ordinance_maeul"] == 7 and scores.at["강동구", "ordinance_socialecon"] == 14
    meta = pd.read_csv(out / "indicators.csv", encoding="utf-8-sig").set_index("indicator")
    assert meta.at["ordinance_maeul", "name_ko"] == "조직 조례의 마을공동체 언급"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "configs/examples/seoul_catalog.yaml" in manifest["inputs"]
    assert "조직 조례의 사회적경제 언급" in (out / "report.html").read_text(encoding="utf-8")


def test_fetch_reads_a_configs_project_catalogue():
    # Without --config the project's variable is unknown; with it, the catalogue entry is found
    # (and refused for the right reason: it has no KOSIS table to fetch from).
    alone = run_cli("fetch", "ordinance_maeul", "--year", "2025")
    assert alone.returncode == 2 and "neither a variable nor an indicator" in alone.stderr
    with_config = run_cli("fetch", "ordinance_maeul", "--year", "2025", "--config", "configs/examples/seoul.yaml")
    assert with_config.returncode == 2 and "kosis: entry" in with_config.stderr


# ---- 8. a project catalogue with only what an indicator means; a wide table read for two columns ----

MINIMAL_CATALOG = """\
variables:
  clubs:
    name_ko: 주민 동아리 수
    name_en: Resident clubs
    unit: count
    aggregation: sum
    source: synthetic
indicators:
  clubs_per_1000:
    name_ko: 인구 천 명당 주민 동아리
    name_en: Resident clubs per 1,000 residents
    dimension: civic
    direction: 1
    unit: per 1,000 residents
    kind: ratio
    numerator: [{variable: clubs}]
    denominator: [{variable: population}]
    scale: 1000
    level: continuous
    source: 연구자 조사 (synthetic test values)
  club_flag:
    name_en: Club support ordinance
    dimension: institution
    study_indicator: null
    direction: 1
    unit: 0/1
    kind: value
    variable: {variable: club_ordinance}
    level: binary
    agency: synthetic
"""


def test_project_catalogue_needs_only_the_meaningful_fields(tmp_path):
    extended = extend_catalog(load_catalog(), [write(tmp_path / "mine.yaml", MINIMAL_CATALOG.replace(
        "variables:\n", "variables:\n  club_ordinance: {name_ko: 조례, name_en: Ordinance, unit: flag, "
                        "aggregation: none, source: synthetic}\n", 1))])
    clubs, flag = extended.indicators["clubs_per_1000"].spec, extended.indicators["club_flag"].spec
    assert (clubs["kosis_table"], clubs["bundled"], clubs["study_indicator"]) == (None, False, None)
    assert clubs["agency"] == "연구자 조사 (synthetic test values)"  # source: stands for agency:
    assert flag["name_ko"] == flag["name_en"] == "Club support ordinance" and flag["study_indicator"] is None
    assert not extended.indicators["clubs_per_1000"].bundled


@pytest.mark.parametrize("edit, fragment", [
    (lambda t: t.replace("    dimension: civic\n", "    study_indicator: 동아리수준\n    dimension: civic\n", 1),
     r"indicators\.clubs_per_1000\.study_indicator '동아리수준' is not one of the study's 13 indicators "
     r"\(.*시민참여수준"),
    (lambda t: t.replace("    source: 연구자 조사 (synthetic test values)\n", ""),
     r"indicators\.clubs_per_1000 lacks its source; give source: \(or agency:\)"),
    (lambda t: t.replace("    name_ko: 인구 천 명당 주민 동아리\n", "").replace(
        "    name_en: Resident clubs per 1,000 residents\n", ""),
     r"indicators\.clubs_per_1000 lacks a name"),
    (lambda t: t.replace("    unit: per 1,000 residents\n", ""), r"indicators\.clubs_per_1000 lacks \['unit'\]"),
])
def test_minimal_project_catalogue_errors(tmp_path, edit, fragment):
    path = write(tmp_path / "mine.yaml", edit(MINIMAL_CATALOG))
    with pytest.raises(TypologyError, match=fragment) as err:
        extend_catalog(load_catalog(), [path])
    assert str(path) in str(err.value)


def test_minimal_catalogue_and_a_30_column_wide_table_run_end_to_end(tmp_path):
    seoul = UNITS[UNITS["sido_code"] == "11"].reset_index(drop=True)
    write(tmp_path / "mine.yaml", MINIMAL_CATALOG.replace(
        "variables:\n", "variables:\n  club_ordinance: {name_ko: 조례, name_en: Ordinance, unit: flag, "
                        "aggregation: none, source: synthetic}\n", 1))
    # A survey export: the region, two columns the project uses and 27 it does not (SYNTHETIC values).
    others = [f"q{i:02d}_기타항목" for i in range(27)]
    header = ["자치구", "동아리수", "지원조례", *others]
    lines = [",".join(header)]
    for i, name in enumerate(seoul["name_ko"]):
        lines.append(",".join([name, str(10 + 3 * i), str(i % 2), *[str(i * k) for k in range(27)]]))
    assert len(header) == 30
    (tmp_path / "survey.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    cfg = load_config(write_config(tmp_path, """\
extends: default
name: minimal
catalog: [mine.yaml]
units:
  scope: {sido: [서울특별시]}
data:
  tables:
    - path: survey.csv
      layout: wide
      sido: 서울특별시
      columns: {region: 자치구}
      variables: {동아리수: clubs, 지원조례: club_ordinance}
      year: 2024
indicators:
  civic: [local_election_turnout, maeul_per_100k, clubs_per_1000]
  institution: [jumin_jachihoe, club_flag]
typology:
  bootstrap: {n: 20}
"""))
    result = run(cfg)
    table = result.table().set_index("name")
    assert len(table) == 25
    # hand-checked: 종로구 is the first row of the table (i = 0): 10 clubs, flag 0
    first = seoul["name_ko"].iat[0]
    assert table.at[first, "club_flag"] == 0 and table.at[seoul["name_ko"].iat[1], "club_flag"] == 1
    assert table["clubs_per_1000"].notna().all()
    load = next(s for s in result.steps if s["step"] == "load")
    survey = next(a for a in load["accounting"] if a["table"].endswith("survey.csv"))
    assert survey["ignored_columns"] == others  # listed in the log, in the table's order
    assert survey["rows"] == 2 * 25
    coverage = result.coverage.set_index("dimension")
    # club_flag names no study indicator: it covers none, and the study's three stay the denominator
    assert coverage.at["institution", "study_indicators_covered"] == "1/3"
    meta = {i.key: i.spec for i in result.indicators}
    assert meta["clubs_per_1000"]["agency"].startswith("연구자 조사")
