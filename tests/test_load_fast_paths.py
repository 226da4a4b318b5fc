"""The faster loading steps give the frames, messages and warnings of the loops they replace.

``reference_before`` keeps the replaced code; each test draws tables from real codes and names
(every code system, parts, predecessors, 시도 and national totals, bare names under a 시도 row,
names that match nothing) and compares old and new outright.
"""

from __future__ import annotations

import re
import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from typology.core.catalog import load_catalog
from typology.data.grid import Grid
from typology.data.matching import match_rows
from typology.data.readers import TableOptions, long_layout
from typology.data.rollup import roll_up
from typology.data.specs import TableSpec
from typology.data.units import matcher
from typology.data.values import check_units, parse_years
from typology.errors import TypologyError

from . import reference_before as before

CATALOG = load_catalog()
MATCHER = matcher()
SYSTEMS = ("kostat", "std5", "code10")


def _pools() -> tuple[list[str], list[str], list[str]]:
    codes = sorted({c for system in SYSTEMS for c in MATCHER._codes[system]})[::7]
    codes += ["11", "29", "39", "1100000000", "1000000000", "00000", "11000", "99999", "12110", "abc", "4111"]
    names = sorted({(MATCHER.sido_label(s), n) for s, n in MATCHER._names})[::3]
    sidos = sorted(set(MATCHER.sido["sido_ko"])) + ["서울", "Seoul", "없는도"]
    regions = [f"{s} {n}" for s, n in names[::2]] + [n for _, n in names[1::2]] + sidos
    regions += ["전국", "합계", "가나다구", "없는도", "수원시", "장안구", "중구", "  서울특별시   종로구 ", ""]
    return codes, regions, sidos


def _names_by_sido() -> dict[str, list[list[str]]]:
    """Per 시도: the names listed under it, one by one, and an 일반구 also as its city followed by its
    bare 구 (as KOSIS lists them)."""
    out: dict[str, list[list[str]]] = {}
    for sido, name in sorted(MATCHER._names):
        city = re.match(r"^(.+시)(.+구)$", name)
        out.setdefault(sido, []).extend([[name], *([list(city.groups())] * 3 if city else [])])
    return out


CODES, REGIONS, SIDOS = _pools()
BY_SIDO = _names_by_sido()
VALUE = st.one_of(st.floats(0, 1e6, allow_nan=False), st.just(float("nan")))
VARIABLE = st.sampled_from(["ngos", "fiscal_independence"])
ROW = st.tuples(st.sampled_from(["", "", "", *SIDOS]), st.sampled_from(REGIONS), st.sampled_from(["", *CODES]),
                st.integers(2008, 2026), VARIABLE, VALUE)


@st.composite
def listings(draw) -> list[tuple]:
    """Rows as KOSIS lists them: a 시도 row, then names under it (cities, then their 구 by bare name),
    mixed with rows of any code and name."""
    rows: list[tuple] = []
    for _ in range(draw(st.integers(0, 3))):
        sido = draw(st.sampled_from([*sorted(BY_SIDO), "29", "29", "39"]))  # 세종, 제주: a 시도 and a unit
        year, variable = draw(st.integers(2008, 2026)), draw(VARIABLE)
        rows.append(("", MATCHER.sido_label(sido), draw(st.sampled_from(["", "", sido])), year, variable, draw(VALUE)))
        for name in [n for names in draw(st.lists(st.sampled_from(BY_SIDO[sido]), max_size=6)) for n in names]:
            rows.append(("", name, draw(st.sampled_from(["", "", "", *CODES])), year, variable, draw(VALUE)))
        rows += draw(st.lists(ROW, max_size=3))
    return rows + draw(st.lists(ROW, max_size=12))


def tidy_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "line": list(range(2, len(rows) + 2)), "sido": [r[0] for r in rows], "region": [r[1] for r in rows],
        "code": [r[2] for r in rows], "year": [str(r[3]) for r in rows], "variable": [r[4] for r in rows],
        "value": [r[5] for r in rows], "column": "value", "unit_hint": "", "source_id": "s"})
    frame["year_int"] = [r[3] for r in rows]
    return frame


def outcome(fn):
    """What a call gives: its result or its error's message, and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn()
        except TypologyError as exc:
            result = ("error", str(exc))
    return result, [str(w.message) for w in caught]


def assert_same(new, old) -> None:
    (got, got_warned), (want, want_warned) = new, old
    assert got_warned == want_warned
    assert type(got) is type(want)
    if isinstance(got, pd.DataFrame):
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    elif isinstance(got, pd.Series):
        pd.testing.assert_series_equal(got, want, check_exact=True)
    else:
        assert got == want


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=listings(), system=st.sampled_from(SYSTEMS), legacy=st.booleans(),
       reference=st.sampled_from([None, date(2013, 6, 30), date(2026, 12, 31)]),
       vintage=st.sampled_from(["report", "harmonise"]))
def test_match_rows_and_roll_up_are_the_row_loops_they_replace(rows, system, legacy, reference, vintage):
    tidy = tidy_frame(rows)
    spec = TableSpec(Path("t.csv"), "data.tables[0]", legacy=legacy, reference_date=reference, vintage=vintage)
    new = outcome(lambda: match_rows(tidy.copy(), spec, MATCHER, system))
    old = outcome(lambda: before.match_rows(tidy.copy(), spec, MATCHER, system))
    assert_same(new, old)
    matched = new[0]
    if not isinstance(matched, pd.DataFrame):
        return
    located = matched[matched["place_key"] != ""]
    if located.duplicated(["place_key", "year_int", "variable"]).any():
        return  # load stops at _check_duplicates before the roll-up
    rolled = matched.rename(columns={"year": "year_text"}).assign(year=matched["year_int"])
    new_up = outcome(lambda: roll_up(rolled, CATALOG, MATCHER, vintage, "t.csv"))
    old_up = outcome(lambda: before.roll_up(rolled, CATALOG, MATCHER, vintage, "t.csv"))
    if isinstance(new_up[0], tuple):
        assert_same(new_up, old_up)
        return
    assert_same((new_up[0].values, new_up[1]), (old_up[0].values, old_up[1]))
    assert_same((new_up[0].fates, new_up[1]), (old_up[0].fates, old_up[1]))


@pytest.mark.parametrize("system", SYSTEMS)
def test_kosis_listings_match_as_before(system):
    """세종 as a 시도 row and again as a unit; 일반구 by bare name after their city; a 시도 row by code."""
    cells = [("세종특별자치시", ""), ("세종시", ""), ("경기도", ""), ("수원시", ""), ("장안구", ""), ("권선구", ""),
             ("", "47"), ("포항시", ""), ("남구", ""), ("북구", ""), ("중구", ""), ("제주특별자치도", "39")]
    tidy = tidy_frame([("", region, code, 2020, "ngos", float(i)) for i, (region, code) in enumerate(cells)])
    spec = TableSpec(Path("t.csv"), "data.tables[0]")
    new = outcome(lambda: match_rows(tidy, spec, MATCHER, system))
    assert_same(new, outcome(lambda: before.match_rows(tidy, spec, MATCHER, system)))
    if system == "kostat":
        assert new[0]["place_key"].tolist()[:2] == ["sido:29", "unit:29010"]


def test_names_without_a_place_say_why_as_before():
    """A bare name no 시군구 has, and a 2026 인천 구 by name alone (no code): each row's exact reason."""
    incheon = ("제물포구 was formed on 2026-07-01 from parts of 동구, 중구 (인천 행정체제 개편); its area matches "
               "no unit of this model (admin_changes.csv lines 29, 30)")
    expected = [("가나다구", "matches no unit (no 시군구 has this name)"),
                ("인천광역시 제물포구", incheon),
                ("제물포구", incheon),
                ("인천광역시 가나다구", "matches no unit (no 시군구 '가나다구' in 인천광역시)")]
    tidy = tidy_frame([("", region, "", 2026, "ngos", 1.0) for region, _ in expected])
    spec = TableSpec(Path("t.csv"), "data.tables[0]")
    new = outcome(lambda: match_rows(tidy, spec, MATCHER, "kostat"))
    assert_same(new, outcome(lambda: before.match_rows(tidy, spec, MATCHER, "kostat")))
    assert list(zip(new[0]["region"], new[0]["reason"])) == expected
    assert (new[0]["place_key"] == "").all()


def test_roll_up_of_no_rows_is_the_old_empty_frames():
    empty = tidy_frame([]).assign(place_key="", reason="", ref_date=None)
    empty = empty.rename(columns={"year": "year_text"}).assign(year=empty["year_int"])
    new, old = roll_up(empty, CATALOG, MATCHER, "report", "t.csv"), before.roll_up(empty, CATALOG, MATCHER, "report",
                                                                                      "t.csv")
    pd.testing.assert_frame_equal(new.values, old.values)
    pd.testing.assert_frame_equal(new.fates, old.fates)


CELL = st.sampled_from(["", " ", "11110", "종로구", "2020", "2020.0", "ngos", "3", "-1", "x", "  7 ", "서울특별시"])


@settings(max_examples=150, deadline=None)
@given(body=st.lists(st.lists(CELL, max_size=9), max_size=25),
       header=st.permutations(["code", "region", "sido", "year", "variable", "value", "unit", "source_id", "other"]),
       width=st.integers(2, 9), variable=st.sampled_from([None, "ngos"]), year=st.sampled_from([None, [2020]]),
       mapped=st.sampled_from([{}, {"ngos": "volunteers", "x": ""}]))
def test_long_layout_is_the_record_loop_it_replaces(body, header, width, variable, year, mapped):
    cells = [list(header[:width]), *body]
    grid = Grid(Path("t.csv"), cells, list(range(1, len(cells) + 1)), "utf-8")
    opts = TableOptions(variable=variable, variables=mapped, year=year, source_id="src")
    new = outcome(lambda: long_layout(grid, opts))
    if isinstance(new[0], tuple):
        return  # a header error, raised before the rows are read (unchanged code)
    assert_same(new, outcome(lambda: before.long_records(grid, opts)))


def test_long_layout_with_several_config_years_still_stops_at_the_first_row():
    grid = Grid(Path("t.csv"), [["code", "variable", "value"], ["11110", "ngos", "1"]], [1, 2], "utf-8")
    opts = TableOptions(year=[2019, 2020])
    with pytest.raises(TypologyError, match="several years"):
        long_layout(grid, opts)
    empty = Grid(Path("t.csv"), [["code", "variable", "value"], ["", " ", ""]], [1, 2], "utf-8")
    assert len(long_layout(empty, opts)) == 0  # no row: nothing to hold a year, no error (as before)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(st.sampled_from(["2020", " 2019 ", "2020.0", "2020.5", "20", "2018년", "2021.", "x", ""]),
                      max_size=20),
       layout=st.sampled_from(["long", "kosis"]), years=st.sampled_from([None, [2020], [2019, 2020]]))
def test_parse_years_is_the_loop_it_replaces(texts, layout, years):
    tidy = pd.DataFrame({"line": list(range(2, len(texts) + 2)), "year": pd.Series(texts, dtype=str)})
    spec = TableSpec(Path("t.csv"), "data.tables[0]", layout=layout, years=years)
    assert_same(outcome(lambda: parse_years(tidy, spec)), outcome(lambda: before.parse_years(tidy, spec)))


VARIABLES = ["ngos", "fiscal_independence", "participation_unit", "net_migration", "population"]


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(VARIABLES),
                               st.one_of(st.sampled_from([0.0, -0.0, 1.0, 0.5, 2.0, 100.0, 150.0, -3.0]),
                                         st.floats(-1e3, 1e3, allow_nan=False), st.just(float("nan"))),
                               st.sampled_from(["", "", "%", "명", "개", "퍼센트"]),
                               st.sampled_from(["값", "자원봉사자수 (명)"])), max_size=25))
def test_check_units_gives_the_old_verdicts_and_messages(rows):
    tidy = pd.DataFrame({"line": list(range(2, len(rows) + 2)), "variable": [r[0] for r in rows],
                         "value": pd.Series([r[1] for r in rows], dtype=float), "unit_hint": [r[2] for r in rows],
                         "column": [r[3] for r in rows]})
    spec = TableSpec(Path("t.csv"), "data.tables[0]")
    assert_same(outcome(lambda: check_units(tidy, CATALOG, spec)),
                outcome(lambda: before.check_units(tidy, CATALOG, spec)))


def test_the_bundled_table_matches_and_rolls_up_as_before():
    """The whole bundled table (7,000 rows) through both matchers and roll-ups: the same frames."""
    from typology import paths

    spec = TableSpec(paths.VARIABLES, "data.variables", code_system="kostat", legacy=True)
    table = pd.read_csv(paths.VARIABLES, dtype=str, keep_default_na=False)
    frame = tidy_frame([("", "", c, int(y), v, float(x) if x else float("nan")) for c, y, v, x in
                        zip(table["code"], table["year"], table["variable"], table["value"])])
    matched = match_rows(frame, spec, MATCHER, "kostat")
    pd.testing.assert_frame_equal(matched, before.match_rows(frame, spec, MATCHER, "kostat"), check_exact=True)
    rows = matched.rename(columns={"year": "year_text"}).assign(year=matched["year_int"])
    new, old = (f(rows, CATALOG, MATCHER, "report", spec.path) for f in (roll_up, before.roll_up))
    pd.testing.assert_frame_equal(new.values, old.values, check_exact=True)
    pd.testing.assert_frame_equal(new.fates, old.fates, check_exact=True)
    assert len(new.values) == len(table)


def test_rows_of_gives_the_rows_of_itertuples():
    from typology import paths
    from typology.data.places import load_sido, load_units, rows_of

    crosswalk = pd.read_csv(paths.CROSSWALK, dtype=str, keep_default_na=False)
    odd = pd.DataFrame({"a": ["x", "y"], "b": [1, 2], "class": ["q", "r"], "1x": [0.5, 2.0]}, index=[5, 7])
    for frame in (load_units(), load_sido(), crosswalk, odd, odd.iloc[:0]):
        rows, expected = rows_of(frame), list(frame.itertuples())
        assert rows == expected and [r._fields for r in rows] == [r._fields for r in expected]
        assert all(type(a) is type(b) for r, e in zip(rows, expected) for a, b in zip(r, e))
