"""지방재정365 Open API: recorded answers served on 127.0.0.1 through TYPOLOGY_LOFIN_URL; no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from typology.data.connectors import http, lofin
from typology.data.connectors.lofin import LofinSpec, fetch_lofin
from typology.errors import TypologyError

from .connector_server import serve

RECORDED = Path(__file__).parent / "fixtures" / "connectors"
SECRET = "LOFIN-SECRET-99"
SPENDING = LofinSpec("settled_spending", "AJGCF", "tot_pfa_amt", 1_000_000)


def lofin_answer(path: str, params: dict[str, str]) -> tuple[int, bytes]:
    service = path.rsplit("/", 1)[-1]
    assert path.startswith("/lf/hub/") and params["Type"] == "json" and params["Key"] == SECRET
    if params["fyr"] != "2020":
        return 200, (RECORDED / "lofin_no_data.json").read_bytes()
    if service == "FNCST":
        return 200, (RECORDED / "lofin_FNCST_2020.json").read_bytes()
    page = "" if params["pIndex"] == "1" else "_p2"
    return 200, (RECORDED / f"lofin_AJGCF_2020{page}.json").read_bytes()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("LOFIN_KEY", SECRET)
    monkeypatch.setattr(http, "BACKOFF", 0.0)
    monkeypatch.setattr(lofin, "PAGE_SIZE", 3)
    with serve(lofin_answer) as served:
        monkeypatch.setenv("TYPOLOGY_LOFIN_URL", f"{served.url}/lf/hub")
        yield served


def test_pages_and_matches_by_name(server, tmp_path):
    table, prov, assign = fetch_lofin(SPENDING, [2020], tmp_path / "cache")
    # list_total_count 7 in pages asked for 3 rows (the recording gives 3, then 4): asks until all 7 are in
    assert [p["pIndex"] for _, p in server.requests] == ["1", "2"]
    values = dict(zip(table["code"], table["value"]))
    # 서울종로구 → 종로구; "강원평창군" → 강원특별자치도 평창군; 세종 and 제주 are units themselves.
    assert values == {"11010": pytest.approx(512345.0), "32340": pytest.approx(601000.0),
                      "29010": pytest.approx(1900000.0), "39000": pytest.approx(6200000.0),
                      "31010": pytest.approx(2900000.0)}
    aside = {r["name"]: r["reason"] for r in assign.report()}
    # The 시도 본청 row is set aside, not spread to its 구; an unknown name is listed by name.
    assert aside == {"서울": "시도 (not a unit)", "경북 가상군": "no unit of this name"}
    assert prov["records"] == 7 and all(SECRET not in json.dumps(r) for r in prov["requests"])


def test_two_bases_of_fiscal_independence_are_two_variables(server, tmp_path):
    old, _, _ = fetch_lofin(LofinSpec("fi_old", "FNCST", "rate1"), [2020], None)
    new, _, _ = fetch_lofin(LofinSpec("fi_new", "FNCST", "rate2"), [2020], None)
    assert dict(zip(old["code"], old["value"])) == {"11010": 52.3, "35010": 27.0}  # 전라북도전주시 → 전주시
    assert dict(zip(new["code"], new["value"])) == {"11010": 48.1, "35010": 24.9}
    assert set(old["variable"]) == {"fi_old"} and set(new["variable"]) == {"fi_new"}


def test_no_data_error_code_and_missing_field(server, tmp_path):
    with pytest.raises(TypologyError, match="no 시군구 rows for \\[2019\\]"):
        fetch_lofin(SPENDING, [2019], None)
    server.answer = lambda path, params: (200, (RECORDED / "lofin_error_290.json").read_bytes())
    with pytest.raises(TypologyError, match="error ERROR-290: 인증키가 유효하지 않습니다") as err:
        fetch_lofin(SPENDING, [2020], tmp_path / "cache")
    assert SECRET not in str(err.value) and not (tmp_path / "cache").exists()
    server.answer = lofin_answer
    with pytest.raises(TypologyError, match="no field 'nope'; the rows carry \\[.*'tot_pfa_amt'"):
        fetch_lofin(LofinSpec("x", "AJGCF", "nope"), [2020], None)


def test_cache_retry_and_key(server, tmp_path, monkeypatch):
    calls = []

    def flaky(path, params):
        calls.append(params["pIndex"])
        return (502, b"bad gateway") if len(calls) == 1 else lofin_answer(path, params)

    server.answer = flaky
    fetch_lofin(SPENDING, [2020], tmp_path / "cache")
    assert calls == ["1", "1", "2"]
    fetch_lofin(SPENDING, [2020], tmp_path / "cache")
    assert len(calls) == 3  # the cache answered
    for file in (tmp_path / "cache").iterdir():
        assert SECRET not in file.name and SECRET.encode() not in file.read_bytes()
    monkeypatch.delenv("LOFIN_KEY")
    with pytest.raises(TypologyError, match="LOFIN_KEY is not set"):
        fetch_lofin(SPENDING, [2020], tmp_path / "other")
    fetch_lofin(SPENDING, [2020], tmp_path / "cache")  # a cached answer needs no key
