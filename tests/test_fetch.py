"""`typology fetch`: KOSIS OpenAPI answers replayed from hand-made recordings; no network."""

from __future__ import annotations

import json
import shutil
import urllib.error
from pathlib import Path

import pandas as pd
import pytest

from typology import paths
from typology.core.catalog import load_catalog
from typology.data.fetch import KEY_ENV, KosisQuery, cache_path, fetch, kosis_queries, parse_response, tidy_records
from typology.data.load import read_table
from typology.data.specs import TableSpec
from typology.data.units import matcher
from typology.errors import TypologyError

from .conftest import run_cli

RECORDED = Path(__file__).parent / "fixtures" / "kosis"
FI_2021 = RECORDED / "DT_1YL20921_2021.json"


@pytest.fixture
def catalog():
    return load_catalog()


@pytest.fixture
def query(catalog):
    return kosis_queries(catalog, "fiscal_independence")[0]


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)


def seeded_cache(tmp_path: Path, query: KosisQuery, year: int = 2021, source: Path = FI_2021) -> Path:
    cache = tmp_path / "cache"
    target = cache_path(cache, query, year)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    return cache


class Recorder:
    """A stand-in for the network: answers with a recorded body (or raises), and keeps the URLs."""

    def __init__(self, body: bytes | None = None, error: Exception | None = None) -> None:
        self.body, self.error, self.urls = body, error, []

    def __call__(self, url: str, timeout: float) -> bytes:
        self.urls.append(url)
        if self.error is not None:
            raise self.error
        return self.body or b""


def test_catalogue_entry_gives_the_request(query):
    assert (query.org_id, query.tbl_id, query.variable) == ("101", "DT_1YL20921", "fiscal_independence")
    params = query.params(2021)
    assert params["startPrdDe"] == params["endPrdDe"] == "2021" and params["objL1"] == "ALL"
    assert "apiKey" not in params


def test_replay_from_cache_needs_no_key_and_matches_the_bundled_values(tmp_path, catalog, query, no_key):
    cache = seeded_cache(tmp_path, query)
    out = tmp_path / "fi.csv"
    result = fetch(catalog, "fiscal_independence", [2021], out, cache, transport=Recorder(error=AssertionError()))
    assert (result.rows, result.cached, result.downloaded) == (11, 1, 0)
    assert out.read_bytes()[:3] == b"\xef\xbb\xbf"
    table = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert list(table.columns) == ["code", "region", "year", "variable", "value", "unit", "item", "source_id"]
    assert set(table["source_id"]) == {"kosis_101_DT_1YL20921"}
    # The tidy table is ready for data.tables: the loader detects 행정표준코드 and matches every row.
    values, aside, acc = read_table(TableSpec(out, "data.tables[0]", years=[2021]), catalog, matcher())
    assert acc["code_system"] == "std5" and aside.empty and acc["matched"] == 11
    got = dict(zip(values["code"], values["value"]))
    bundled = pd.read_csv(paths.VARIABLES, dtype={"code": str})
    fi = bundled[(bundled["variable"] == "fiscal_independence") & (bundled["year"] == 2021)]
    expected = dict(zip(fi["code"], fi["value"]))
    assert got == {code: pytest.approx(expected[code]) for code in got}
    assert {"11010", "11020", "21010", "23090", "29010", "37310", "39000"} <= set(got)


def test_download_is_cached_and_the_key_stays_out_of_files(tmp_path, catalog, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "SECRET-KEY-123")
    recorder = Recorder(FI_2021.read_bytes())
    cache = tmp_path / "cache"
    result = fetch(catalog, "fiscal_independence", [2021], tmp_path / "fi.csv", cache, transport=recorder)
    assert result.downloaded == 1 and len(recorder.urls) == 1
    url = recorder.urls[0]
    assert url.startswith("https://kosis.kr/openapi/Param/statisticsParameterData.do?")
    assert "tblId=DT_1YL20921" in url and "apiKey=SECRET-KEY-123" in url and "startPrdDe=2021" in url
    files = list(cache.iterdir())
    assert len(files) == 1 and "SECRET" not in files[0].name
    assert b"SECRET" not in files[0].read_bytes() and b"SECRET" not in (tmp_path / "fi.csv").read_bytes()
    again = fetch(catalog, "fiscal_independence", [2021], tmp_path / "fi.csv", cache, transport=recorder)
    assert again.cached == 1 and len(recorder.urls) == 1  # the second call never reached the network


def test_missing_key_is_a_clear_error(tmp_path, catalog, no_key):
    with pytest.raises(TypologyError, match=f"environment variable {KEY_ENV} is not set"):
        fetch(catalog, "fiscal_independence", [2021], tmp_path / "fi.csv", tmp_path / "cache",
              transport=Recorder(error=AssertionError("must not be called")))


def test_network_failure_is_a_clear_error_and_caches_nothing(tmp_path, catalog, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "k")
    recorder = Recorder(error=urllib.error.URLError("Name or service not known"))
    with pytest.raises(TypologyError, match=r"KOSIS 101/DT_1YL20921 2021: network failure reaching KOSIS "
                                            r"\(Name or service not known\); nothing was cached"):
        fetch(catalog, "fiscal_independence", [2021], tmp_path / "fi.csv", tmp_path / "cache", transport=recorder)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
    assert not (tmp_path / "fi.csv").exists()


def test_http_error_is_reported(tmp_path, catalog, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "k")
    recorder = Recorder(error=urllib.error.HTTPError("https://kosis.kr", 503, "Service Unavailable", {}, None))
    with pytest.raises(TypologyError, match="KOSIS answered HTTP 503 Service Unavailable"):
        fetch(catalog, "fiscal_independence", [2021], tmp_path / "fi.csv", tmp_path / "cache", transport=recorder)


def test_api_error_message_is_shown_and_not_cached(tmp_path, catalog, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "k")
    recorder = Recorder((RECORDED / "error_30.json").read_bytes())
    with pytest.raises(TypologyError, match="KOSIS API error 30: 데이터가 존재하지 않습니다."):
        fetch(catalog, "fiscal_independence", [2021], tmp_path / "fi.csv", tmp_path / "cache", transport=recorder)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_non_json_answer_is_an_error():
    with pytest.raises(TypologyError, match="KOSIS did not answer with JSON"):
        parse_response(b"<html>maintenance</html>", "KOSIS test")


def test_several_items_must_be_named(query):
    records = json.loads((RECORDED / "two_items.json").read_text(encoding="utf-8"))
    items = r"several items \['재정자립도\(세입과목 개편후\)', '재정자주도'\]; set item:"
    with pytest.raises(TypologyError, match=items):
        tidy_records(records, query, 2021)
    chosen = KosisQuery(query.variable, query.org_id, query.tbl_id, item="T20")
    assert tidy_records(records, chosen, 2021)["value"].tolist() == ["70.1"]


def test_wrong_period_in_the_answer_is_an_error(query):
    records = json.loads(FI_2021.read_text(encoding="utf-8"))
    with pytest.raises(TypologyError, match="returned period 2021 for a request of 2020"):
        tidy_records(records, query, 2020)


def test_variables_without_a_kosis_entry(catalog):
    with pytest.raises(TypologyError, match="variable 'volunteers' has no kosis: entry"):
        kosis_queries(catalog, "volunteers")
    with pytest.raises(TypologyError, match="indicator 'ngos_per_100k': none of its variables has a kosis: entry"):
        kosis_queries(catalog, "ngos_per_100k")
    assert [q.variable for q in kosis_queries(catalog, "fiscal_independence")] == ["fiscal_independence"]


def test_cli_fetch_replays_the_cache(tmp_path, query, no_key):
    cache = seeded_cache(tmp_path, query)
    out = tmp_path / "fi.csv"
    result = run_cli("fetch", "fiscal_independence", "--year", "2021", "--out", str(out), "--cache", str(cache))
    assert result.returncode == 0, result.stderr
    assert "wrote 11 rows" in result.stdout and "0 downloaded, 1 from the cache" in result.stdout
    assert f"- path: {out}" in result.stdout and "layout: long" in result.stdout
    assert out.is_file()


def test_cli_fetch_without_key_or_cache_fails_in_one_line(tmp_path, no_key):
    result = run_cli("fetch", "fiscal_independence", "--year", "2021", "--out", str(tmp_path / "x.csv"),
                     "--cache", str(tmp_path / "cache"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and KEY_ENV in lines[0] and "Traceback" not in result.stderr


def test_cli_fetch_unknown_key(tmp_path):
    result = run_cli("fetch", "gdp_magic", "--year", "2021", "--cache", str(tmp_path / "cache"))
    assert result.returncode == 2
    assert "'gdp_magic' is neither a variable nor an indicator" in result.stderr
