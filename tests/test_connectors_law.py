"""law.go.kr 자치법규 list: recorded answers served on 127.0.0.1 through TYPOLOGY_LAW_URL; no network."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from typology.core.ownership import FILES_MARKER, owned_file, record_owned
from typology.data.connectors import http
from typology.data.connectors.law import fetch_ordinances
from typology.data.places import load_units
from typology.errors import TypologyError

from .conftest import run_cli, write_config
from .connector_server import serve

RECORDED = Path(__file__).parent / "fixtures" / "connectors"
SECRET = "SECRET-OC-4711"
EMPTY = {"OrdinSearch": {"totalCnt": "0", "resultCode": "00", "키워드": "없는말", "page": "1", "target": "ordin"}}


def _load(name: str) -> dict:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def _fillers(n: int) -> list[dict]:
    """n ordinances of other units (in force since 2020), to fill the first page to 100 items."""
    head = _load("law_ordin_page1_head.json")["OrdinSearch"]["law"][0]
    units = load_units()
    rows = units[~units["code"].isin(["11010", "11020", "32340", "29010", "39000", "23090", "21010", "22010", "31010"])
                 & (units["code"].str[:2] != "39")].head(n)
    out = []
    for i, row in enumerate(rows.itertuples()):
        item = copy.deepcopy(head)
        item.update({"자치법규일련번호": str(1600000 + i), "자치법규ID": str(2400000 + i), "시행일자": "20200315",
                     "지자체기관명": f"{row.sido_ko} {row.name_ko}",
                     "자치법규명": f"{row.name_ko} 주민자치회 설치 및 운영에 관한 조례"})
        out.append(item)
    return out


def law_answer(path: str, params: dict[str, str]) -> tuple[int, bytes]:
    assert path == "/DRF/lawSearch.do" and params["target"] == "ordin" and params["type"] == "JSON"
    assert params["knd"] == "30001" and int(params["display"]) <= 100
    if params["query"] != "주민자치회":
        return 200, json.dumps(EMPTY, ensure_ascii=False).encode()
    if params["nw"] == "2":
        return 200, (RECORDED / "law_ordin_history.json").read_bytes()
    if params["page"] == "1":
        page = _load("law_ordin_page1_head.json")
        page["OrdinSearch"]["law"] += _fillers(100 - len(page["OrdinSearch"]["law"]))
        return 200, json.dumps(page, ensure_ascii=False).encode()
    return 200, (RECORDED / "law_ordin_page2.json").read_bytes()


@pytest.fixture
def law(monkeypatch):
    monkeypatch.setenv("LAW_OC", SECRET)
    monkeypatch.setattr(http, "BACKOFF", 0.0)
    with serve(law_answer) as served:
        monkeypatch.setenv("TYPOLOGY_LAW_URL", f"{served.url}/DRF")
        yield served


def test_pages_counts_per_unit_and_year(law, tmp_path):
    result = fetch_ordinances(["주민자치회", "없는말"], "ordin_jumin_council", tmp_path / "cache", last_year=2024)
    pages = [(p["nw"], p["page"]) for _, p in law.requests if p["query"] == "주민자치회"]
    assert pages == [("1", "1"), ("1", "2"), ("2", "1")]  # 101 items in force: two pages of ≤ 100
    table = result.table
    assert list(table.columns) == ["code", "year", "variable", "value", "source_id"]
    assert table["code"].nunique() == 228 and len(table) == 228 * (2024 - 2013 + 1)
    value = table.set_index(["code", "year"])["value"]
    # 종로구: in force since its first 시행일자 in the history (2013), not its latest amendment (2019).
    assert value[("11010", 2012 + 1)] == 1 and value[("11010", 2024)] == 1
    # "강원도 평창군" is today's 강원특별자치도 평창군; the single-object page 2 "인천광역시 남구" is 미추홀구.
    assert value[("32340", 2014)] == 0 and value[("32340", 2015)] == 1
    assert value[("23090", 2020)] == 0 and value[("23090", 2021)] == 1
    # 세종 and 제주 are units; the 시도 row of 서울 is not, and is not spread to its 구.
    assert value[("29010", 2017)] == 1 and value[("39000", 2021)] == 0 and value[("39000", 2022)] == 1
    assert value[("11020", 2016)] == 0
    # A repealed ordinance counts until its repeal takes effect.
    assert value[("21010", 2017)] == 1 and value[("21010", 2018)] == 0
    # Not in force today and no 폐지 version found: counted up to the year of its last version only.
    assert value[("22010", 2015)] == 0 and value[("22010", 2016)] == 1 and value[("22010", 2017)] == 0
    # 규칙 and a title without the keyword are not counted (수원시 has neither in force).
    assert value[("31010", 2024)] == 0
    assert result.ordinances == 92 + 7  # 92 fillers + 종로, 평창, 세종, 제주, 미추홀, 부산 중구, 대구 중구
    assert table.groupby("year")["value"].sum()[2024] == 92 + 5  # 부산 중구 repealed
    aside = {r["name"]: r["reason"] for r in result.aside.report()}
    assert aside["서울특별시"] == "시도 (not a unit)" and aside["경상북도 가상군"] == "no unit of this name"


def test_cache_hit_avoids_a_second_request(law, tmp_path):
    fetch_ordinances(["주민자치회"], "v", tmp_path / "cache", last_year=2024)
    before = len(law.requests)
    again = fetch_ordinances(["주민자치회"], "v", tmp_path / "cache", last_year=2024)
    assert len(law.requests) == before and all(r["from_cache"] for r in again.provenance["requests"])


def test_retry_on_5xx(law, tmp_path):
    calls = []

    def flaky(path, params):
        calls.append(1)
        return (503, b"busy") if len(calls) == 1 else law_answer(path, params)

    law.answer = flaky
    result = fetch_ordinances(["주민자치회"], "v", None, last_year=2024)
    assert result.ordinances == 99 and len(calls) == 4  # one 503, then three good pages


def test_error_answers_are_one_line(law, tmp_path, monkeypatch):
    law.answer = lambda path, params: (200, json.dumps(
        {"result": "사용자 정보 검증에 실패하였습니다.", "msg": "OPEN API 호출 시 사용자 검증을 위하여 "
         "정확한 서버장비의 IP주소 및 도메인주소를 등록해 주세요."}, ensure_ascii=False).encode())
    with pytest.raises(TypologyError, match="자치법규 API error: 사용자 정보 검증에 실패하였습니다") as err:
        fetch_ordinances(["주민자치회"], "v", tmp_path / "cache")
    assert "\n" not in str(err.value) and SECRET not in str(err.value)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())  # errors are not cached
    law.answer = lambda path, params: (200, b'{"OrdinSearch": {"resultCode": "99", "resultMsg": "bad"}}')
    with pytest.raises(TypologyError, match="error 99: bad"):
        fetch_ordinances(["주민자치회"], "v", None)
    law.answer = lambda path, params: (200, json.dumps(EMPTY).encode())
    with pytest.raises(TypologyError, match="no 조례 matched"):
        fetch_ordinances(["주민자치회"], "v", None)
    monkeypatch.delenv("LAW_OC")
    with pytest.raises(TypologyError, match="environment variable LAW_OC is not set"):
        fetch_ordinances(["주민자치회"], "v", None)


def test_cli_writes_the_table_keeps_the_key_out_and_runs_through_data_tables(law, tmp_path):
    out = tmp_path / "ordin_jumin_council.csv"
    cache = tmp_path / "cache"
    result = run_cli("fetch", "ordinances", "--keyword", "주민자치회", "--variable", "ordin_jumin_council",
                     "--out", str(out), "--cache", str(cache))
    assert result.returncode == 0, result.stderr
    assert "조례 matching 주민자치회" in result.stdout and "서울특별시 (시도 (not a unit))" in result.stdout
    assert out.read_bytes()[:3] == b"\xef\xbb\xbf"
    side = http.provenance_path(out)
    record = json.loads(side.read_text(encoding="utf-8"))
    assert record["requests"][0]["params"]["query"] == "주민자치회" and "OC" not in record["requests"][0]["params"]
    for path in [out, side, *cache.iterdir()]:
        assert SECRET not in path.name and SECRET.encode() not in path.read_bytes()
    assert SECRET not in result.stdout + result.stderr
    first = out.read_bytes()
    # A second fetch into the same --out replaces the tool's own table (and record) without --force.
    again = run_cli("fetch", "ordinances", "--keyword", "주민자치회", "--variable", "ordin_jumin_council",
                    "--out", str(out), "--cache", str(cache))
    assert again.returncode == 0, again.stderr
    assert out.read_bytes() == first and owned_file(out) and owned_file(side)

    cfg = write_config(tmp_path, f"""extends: default
name: ordin
reference_year: 2020
data:
  tables: ["{out}"]
indicators:
  institution: [jumin_council_ordinance, participation_unit]
""")
    # No static maps: the fetched table's way into a run is the point here, not the drawing.
    run = run_cli("run", str(cfg), "--out", str(tmp_path / "run"), "--quiet", "--set", "output.static_maps=false")
    assert run.returncode == 0, run.stderr
    indicators = pd.read_csv(tmp_path / "run" / "indicators.csv", dtype=str)
    assert "jumin_council_ordinance" in set(indicators.iloc[:, 0])
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert any(rec["variable"] == "ordin_jumin_council" for rec in manifest["fetched"].values())
    assert SECRET not in (tmp_path / "run" / "manifest.json").read_text(encoding="utf-8")


def test_refetch_replaces_the_tools_own_table_and_records_it(law, tmp_path):
    out = tmp_path / "ord.csv"
    args = ("fetch", "ordinances", "--keyword", "주민자치회", "--out", str(out), "--cache", str(tmp_path / "cache"))
    assert run_cli(*args).returncode == 0
    out.write_bytes(b"stale copy")  # as if an earlier fetch had written it: the record says so
    record_owned(out)
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    assert out.read_bytes()[:3] == b"\xef\xbb\xbf" and owned_file(out)
    listed = (tmp_path / FILES_MARKER).read_text(encoding="utf-8")
    assert f"file {out.name} " in listed and f"file {http.provenance_path(out).name} " in listed


@pytest.mark.parametrize("foreign", ["table", "provenance", "edited"])
def test_a_file_the_tool_did_not_write_is_refused_without_force_and_left_alone(law, tmp_path, foreign):
    out = tmp_path / "ord.csv"
    args = ("fetch", "ordinances", "--keyword", "주민자치회", "--out", str(out), "--cache", str(tmp_path / "cache"))
    if foreign == "edited":  # the tool's table, changed by hand since: no longer the tool's
        assert run_cli(*args).returncode == 0
        out.write_bytes(out.read_bytes() + b"11010,2020,ordinances,99,mine\n")
        target = out
    else:
        target = out if foreign == "table" else http.provenance_path(out)
        target.write_bytes(b"my own notes\r\n\xef\xbb\xbf")
    mine, requests = target.read_bytes(), len(law.requests)
    refused = run_cli(*args)
    assert refused.returncode == 2 and target.read_bytes() == mine
    line = refused.stderr.strip()
    assert "\n" not in line and str(target) in line and "not written by the tool" in line and "--force" in line
    assert len(law.requests) == requests  # refused before any request
    forced = run_cli(*args, "--force")
    assert forced.returncode == 0, forced.stderr
    assert target.read_bytes() != mine and owned_file(out) and owned_file(http.provenance_path(out))
