"""data.go.kr file lists and KOSIS item metadata, served on 127.0.0.1; plus configs/study.yaml end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from typology.core.ownership import owned_file
from typology.data.connectors import http
from typology.data.connectors.datago import ListSpec, fetch_list
from typology.data.connectors.kosis import list_items
from typology.errors import TypologyError

from .conftest import run_cli, write_config
from .connector_server import serve

RECORDED = Path(__file__).parent / "fixtures" / "connectors"
JAHWAL = ListSpec("self_sufficiency_enterprises", "15091502", "2025-12-31", "files/jahwal.csv")


@pytest.fixture
def datago(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF", 0.0)

    def answer(path, params):
        if path == "/files/jahwal.csv":
            return 200, (RECORDED / "datago_15091502_jahwal.csv").read_bytes()
        return 200, b"<html>login</html>"

    with serve(answer) as served:
        monkeypatch.setenv("TYPOLOGY_DATAGO_URL", served.url)
        yield served


def test_list_counted_per_unit_from_sido_and_sigungu_columns(datago, tmp_path):
    table, prov, assign = fetch_list(JAHWAL, None, tmp_path / "cache")
    counts = dict(zip(table["code"], table["value"]))
    assert len(counts) == 228 and set(table["year"]) == {2025}  # the list's date
    # CP949 as published; former 강원도 → 강원특별자치도; 일반구 장안구 counts for 수원시, 행정시 제주시 for
    # 제주특별자치도; 세종 (no 시군구 name) is a unit.
    assert counts["11010"] == 2 and counts["32340"] == 1 and counts["31010"] == 1
    assert counts["29010"] == 1 and counts["39000"] == 1 and counts["11020"] == 0
    aside = {r["name"]: r["reason"] for r in assign.report()}
    assert aside == {"경상북도 가상군": "no unit of this name"}
    assert set(table["source_id"]) == {"datago_15091502_2025-12-31"} and prov["rows"] == 7
    fetch_list(JAHWAL, None, tmp_path / "cache")
    assert len(datago.requests) == 1  # the second count came from the cache


def test_list_counted_from_the_address_of_a_downloaded_file(tmp_path):
    spec = ListSpec("social_enterprises", "15090110", "2025-06-30", address_column="소재지")
    table, _, assign = fetch_list(spec, RECORDED / "datago_15090110_social.csv", None)
    counts = dict(zip(table["code"], table["value"]))
    assert counts["11010"] == 1 and counts["29010"] == 1 and counts["39000"] == 1 and counts["23090"] == 1
    assert sum(counts.values()) == 4 and {r["name"] for r in assign.report()} == {"(no address)"}


def test_list_errors(datago, tmp_path):
    with pytest.raises(TypologyError, match="a page or a message, not the CSV list"):
        fetch_list(ListSpec("x", "1", "2025-01-01", "other"), None, None)
    with pytest.raises(TypologyError, match="no file_path for data.go.kr 15080745; download"):
        fetch_list(ListSpec("x", "15080745", "2025-01-01"), None, None)
    with pytest.raises(TypologyError, match="no columns 시도/시군구 and no 주소"):
        fetch_list(ListSpec("x", "1", "2025-01-01", address_column="주소"),
                   RECORDED / "datago_15090110_social.csv", None)


def test_kosis_items_through_the_base_url(monkeypatch, tmp_path):
    monkeypatch.setenv("KOSIS_API_KEY", "KOSIS-SECRET")

    def answer(path, params):
        assert path == "/openapi/statisticsData.do" and params["method"] == "getMeta" and params["type"] == "ITM"
        if params["tblId"] == "NOPE":
            return 200, '{"err":"21","errMsg":"잘못된 요청 변수를 호출하였습니다."}'.encode()
        return 200, (RECORDED / "kosis_meta_DT_1YL2201.json").read_bytes()

    with serve(answer) as served:
        monkeypatch.setenv("TYPOLOGY_KOSIS_URL", f"{served.url}/openapi")
        items = list_items("101", "DT_1YL2201", tmp_path / "cache")
        assert items[["itm_id", "itm_nm", "unit"]].values.tolist() == [["T10", "인구 천명당 공무원수", "명"],
                                                                      ["T20", "공무원수", "명"]]
        with pytest.raises(TypologyError, match="KOSIS API error 21: 잘못된 요청"):
            list_items("101", "NOPE", None)
        result = run_cli("fetch", "staff_per_1000_kosis", "--list-items", "--cache", str(tmp_path / "cache"))
        assert result.returncode == 0, result.stderr
        assert "DT_1YL2201, 2 items" in result.stdout and "T10\t인구 천명당 공무원수" in result.stdout
        assert len(served.requests) == 2  # the CLI's listing came from the cache


def test_kosis_statistics_data_through_the_base_url(monkeypatch, tmp_path):
    monkeypatch.setenv("KOSIS_API_KEY", "KOSIS-SECRET")
    recorded = (Path(__file__).parent / "fixtures" / "kosis" / "DT_1YL20921_2021.json").read_bytes()
    with serve(lambda path, params: (200, recorded)) as served:
        monkeypatch.setenv("TYPOLOGY_KOSIS_URL", f"{served.url}/openapi")
        out = tmp_path / "fi.csv"
        result = run_cli("fetch", "fiscal_independence", "--year", "2021", "--out", str(out),
                         "--cache", str(tmp_path / "cache"))
        assert result.returncode == 0, result.stderr
        assert served.requests[0][0] == "/openapi/Param/statisticsParameterData.do"
        assert "KOSIS-SECRET" not in out.read_text(encoding="utf-8-sig") + result.stdout


def study_law(path, params):
    if params["nw"] == "2":
        return 200, json.dumps({"OrdinSearch": {"totalCnt": "0", "resultCode": "00"}}).encode()
    item = {"자치법규일련번호": "1", "자치법규명": f"종로구 {params['query']} 조례", "자치법규ID": params["query"],
            "공포일자": "20150101", "공포번호": "1", "제개정구분명": "제정", "지자체기관명": "서울특별시 종로구",
            "자치법규종류": "조례", "시행일자": "20150101", "자치법규상세링크": "/DRF/lawService.do",
            "참조데이터구분": "0"}
    return 200, json.dumps({"OrdinSearch": {"totalCnt": "1", "resultCode": "00", "law": item}},
                           ensure_ascii=False).encode()


def test_study_config_points_to_fetch_then_runs_on_the_fetched_tables(monkeypatch, tmp_path):
    study = (Path(__file__).parents[1] / "configs" / "study.yaml").read_text(encoding="utf-8")
    cfg = tmp_path / "configs" / "study.yaml"
    cfg.parent.mkdir()
    default = Path(__file__).parents[1] / "configs" / "default.yaml"
    cfg.write_text(study.replace("extends: default", f"extends: {default}"), encoding="utf-8")
    missing = run_cli("run", str(cfg), "--out", str(tmp_path / "run"), "--quiet")
    assert missing.returncode == 2
    line = missing.stderr.strip()
    assert "\n" not in line and "typology fetch --config" in line and "jumin_council_ordinance" in line
    assert "settled_spending_per_capita" in line and "LAW_OC" in line and "LOFIN_KEY" in line
    monkeypatch.setenv("LAW_OC", "OC-SECRET")
    monkeypatch.setenv("LOFIN_KEY", "LOFIN-SECRET")

    def lofin(path, params):
        return 200, (RECORDED / ("lofin_AJGCF_2020.json" if params["pIndex"] == "1" else
                                 "lofin_AJGCF_2020_p2.json")).read_bytes()

    with serve(study_law) as law, serve(lofin) as fin:
        monkeypatch.setenv("TYPOLOGY_LAW_URL", f"{law.url}/DRF")
        monkeypatch.setenv("TYPOLOGY_LOFIN_URL", f"{fin.url}/lf/hub")
        fetched = run_cli("fetch", "--config", str(cfg), "--cache", str(tmp_path / "cache"))
        assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.count("wrote ") == 6 and "서울 (시도 (not a unit))" in fetched.stdout
    # No static maps: the fetched tables' way into a run is the point here, not the drawing.
    ran = run_cli("run", str(cfg), "--out", str(tmp_path / "run"), "--quiet", "--set", "output.static_maps=false")
    assert ran.returncode == 0, ran.stderr
    indicators = pd.read_csv(tmp_path / "run" / "indicators.csv", dtype=str)
    assert len(set(indicators.iloc[:, 0])) >= 13
    manifest = (tmp_path / "run" / "manifest.json").read_text(encoding="utf-8")
    assert "SECRET" not in manifest and len(json.loads(manifest)["fetched"]) == 6
    again = run_cli("fetch", "--config", str(cfg), "--cache", str(tmp_path / "cache"))
    assert again.returncode == 0 and "there already" in again.stdout


def test_kosis_statistics_data_retries_a_5xx(monkeypatch, tmp_path):
    monkeypatch.setenv("KOSIS_API_KEY", "k")
    monkeypatch.setattr(http, "BACKOFF", 0.0)
    recorded = (Path(__file__).parent / "fixtures" / "kosis" / "DT_1YL20921_2021.json").read_bytes()
    calls = []

    def flaky(path, params):
        calls.append(path)
        return (500, b"oops") if len(calls) < 3 else (200, recorded)

    with serve(flaky) as served:
        monkeypatch.setenv("TYPOLOGY_KOSIS_URL", f"{served.url}/openapi")
        result = run_cli("fetch", "fiscal_independence", "--year", "2021", "--out", str(tmp_path / "fi.csv"),
                         "--cache", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr
    assert len(calls) == 3 and "wrote 11 rows" in result.stdout


def test_force_reaches_the_kosis_fetch_of_a_config(monkeypatch, tmp_path):
    """``fetch --config --force`` goes through dispatch to the KOSIS fetch, which must get the flag too."""
    monkeypatch.setenv("KOSIS_API_KEY", "k")
    recorded = (Path(__file__).parent / "fixtures" / "kosis" / "DT_1YL20921_2021.json").read_bytes()
    cfg = write_config(tmp_path, """extends: default
name: fi
reference_year: 2021
data:
  tables: [fiscal_independence.csv]
""")
    out = tmp_path / "fiscal_independence.csv"
    out.write_bytes(b"code,value\n11010,1\n")  # the user's own table
    mine = out.read_bytes()
    with serve(lambda path, params: (200, recorded)) as served:
        monkeypatch.setenv("TYPOLOGY_KOSIS_URL", f"{served.url}/openapi")
        kept = run_cli("fetch", "--config", str(cfg), "--cache", str(tmp_path / "cache"))
        assert kept.returncode == 0 and "there already" in kept.stdout and out.read_bytes() == mine
        assert not served.requests
        forced = run_cli("fetch", "--config", str(cfg), "--cache", str(tmp_path / "cache"), "--force")
        assert forced.returncode == 0, forced.stderr
        assert len(served.requests) == 1
    assert "wrote 11 rows" in forced.stdout and out.read_bytes() != mine and owned_file(out)
    table = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert set(table["variable"]) == {"fiscal_independence"} and set(table["year"]) == {"2021"}


def test_kosis_variable_through_dispatch_refuses_a_foreign_file_then_honours_force(monkeypatch, tmp_path):
    from typology.core.catalog import load_catalog
    from typology.data.connectors.dispatch import variable

    monkeypatch.setenv("KOSIS_API_KEY", "k")
    recorded = (Path(__file__).parent / "fixtures" / "kosis" / "DT_1YL20921_2021.json").read_bytes()
    out = tmp_path / "fi.csv"
    out.write_text("mine\n", encoding="utf-8")
    catalog = load_catalog()
    with serve(lambda path, params: (200, recorded)) as served:
        monkeypatch.setenv("TYPOLOGY_KOSIS_URL", f"{served.url}/openapi")
        with pytest.raises(TypologyError, match="not written by the tool.*add --force"):
            variable(catalog, "fiscal_independence", out, tmp_path / "cache", [2021])
        assert out.read_text(encoding="utf-8") == "mine\n" and not served.requests
        done = variable(catalog, "fiscal_independence", out, tmp_path / "cache", [2021], force=True)
        assert done.rows == 11 and owned_file(out)
        again = variable(catalog, "fiscal_independence", out, tmp_path / "cache", [2021])  # its own: no --force
        assert again.rows == 11 and owned_file(out)
