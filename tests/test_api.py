"""The notebook API on the bundled real data: lookup, compare, peers, gap_to, run folders."""

from __future__ import annotations

import copy

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import typology as tp
from typology.api.loaders import from_run, load
from typology.api.peers import profile_distances
from typology.api.runs import agreement, run_variants, type_table
from typology.data.regions import resolve
from typology.errors import TypologyError
from typology.scoring.aggregate import score_dimension
from typology.scoring.normalise import NORMALISERS

from .conftest import copy_folder


@pytest.fixture(scope="module")
def res(default_run):
    return from_run(default_run)


# -- lookup ------------------------------------------------------------------------------------
@pytest.mark.parametrize("query, code", [
    ("전주시", "35010"), ("전주", "35010"), ("Jeonju-si", "35010"), ("35010", "35010"), ("4511000000", "35010"),
    ("서울 중구", "11020"), ("서울특별시 중구", "11020"), ("중구 (부산광역시)", "21010"), ("중구(부산)", "21010"),
    ("대전 동구", "25010"), ("고성군 (경남)", "38340"), ("강원 고성군", "32400"), ("부산 강서구", "21120"),
    ("인천 남구", "23090"),  # renamed 미추홀구 in 2018
    ("수원시 장안구", "31010"),  # an 일반구 resolves to its parent city
    ("세종", "29010"), ("제주", "39000"), ("청원군", "33040"),  # merged into 청주시 (2014)
])
def test_lookup(query, code):
    assert resolve(query) == code


@pytest.mark.parametrize("name, sidos", [
    ("중구", ["서울특별시", "부산광역시", "대구광역시", "인천광역시", "대전광역시", "울산광역시"]),
    ("동구", ["부산광역시", "대구광역시", "인천광역시", "광주광역시", "대전광역시", "울산광역시"]),
    ("서구", ["부산광역시", "대구광역시", "인천광역시", "광주광역시", "대전광역시"]),
    ("남구", ["부산광역시", "대구광역시", "광주광역시", "울산광역시"]),
    ("북구", ["부산광역시", "대구광역시", "광주광역시", "울산광역시"]),
    ("강서구", ["서울특별시", "부산광역시"]),
    ("고성군", ["강원특별자치도", "경상남도"]),
])
def test_ambiguous_names_list_every_candidate_with_its_sido(name, sidos):
    with pytest.raises(TypologyError, match="ambiguous") as err:
        resolve(name)
    message = str(err.value)
    assert f"{len(sidos)} units fit" in message
    for sido in sidos:
        assert f"{sido} {name}" in message


def test_unknown_and_abolished_names():
    with pytest.raises(TypologyError, match="did you mean 전주시"):
        resolve("전쥬시")
    with pytest.raises(TypologyError, match="not comparable"):
        resolve("연기군")  # abolished into 세종 (2012), whose area matches no earlier unit
    with pytest.raises(TypologyError, match="not a 시도"):
        resolve("중구 (서울시청)")
    with pytest.raises(TypologyError, match="no unit has this kostat code"):
        resolve("99999")
    assert resolve("11110", system="std5") == "11010"  # 종로구 by 행정표준코드; 11110 is 노원구 in KOSTAT
    assert resolve("11110") != "11010"


# -- the results frame ---------------------------------------------------------------------------
def test_results_frame_is_a_geodataframe_with_a_label_column(res, default_table):
    assert isinstance(res.frame, gpd.GeoDataFrame) and res.frame.crs is not None
    assert len(res.frame) == 228 and res.frame["code"].is_unique
    assert res.label == "type" and set(res.frame["type"]) == set(default_table["type"])
    assert res.row("순천시")["type"] == default_table.set_index("code").at["36030", "type"]
    assert list(res.types.index) == ["society_led", "resource_combining", "unclassified"]
    assert res.type_key("사회주도형") == "society_led"


def test_run_folder_round_trip(tmp_path, default_run_folder, res):
    folder = copy_folder(default_run_folder, tmp_path / "run")  # write_run(default_run), shared
    again = load(folder)
    cols = [c for c in res.frame.columns if c != "geometry"]
    pd.testing.assert_frame_equal(again.frame[cols].reset_index(drop=True), res.frame[cols].reset_index(drop=True),
                                  check_dtype=False, rtol=1e-8)
    gap = again.gap_to("전주시", "resource_combining")
    assert gap.summary() == res.gap_to("전주시", "resource_combining").summary()
    (folder / "scores.gpkg").unlink()  # scores.csv plus the bundled geometry
    assert load(folder).frame["type"].tolist() == res.frame["type"].tolist()
    (folder / "manifest.json").unlink()
    with pytest.raises(TypologyError, match="manifest.json"):
        load(folder)
    with pytest.raises(TypologyError, match="overrides apply to configs"):
        load(tmp_path / "run", ["scoring.min_share=1"])


def test_edited_run_folder_is_caught(tmp_path, default_run_folder):
    folder = copy_folder(default_run_folder, tmp_path / "run")  # write_run(default_run), shared
    (folder / "scores.gpkg").unlink()
    table = pd.read_csv(folder / "scores.csv", dtype={"code": str}, encoding="utf-8-sig")
    table.loc[0, "type"] = "resource_combining" if table.loc[0, "type"] == "society_led" else "society_led"
    table.to_csv(folder / "scores.csv", index=False, encoding="utf-8-sig")
    with pytest.raises(TypologyError, match="scores.csv differ from the SHA-256"):  # caught on load
        load(folder)
    with pytest.warns(UserWarning, match="accept_edited"):
        edited = load(folder, accept_edited=True)
    with pytest.raises(TypologyError, match="do not follow the run's rules"):  # and again by the rules
        edited.gap_to("전주시", "resource_combining")


# -- compare -------------------------------------------------------------------------------------
def test_compare_table_and_chart(res):
    cmp = res.compare(["전주시", "순천시", "서울 중구"], lang="ko")
    assert cmp.codes == ["35010", "36030", "11020"]
    assert list(cmp.table.columns) == ["전주시 (전북)", "순천시 (전남)", "중구 (서울)", "전국 평균"]
    assert cmp.scores.loc["순천시 (전남)", "civic"] == pytest.approx(res.by_code.at["36030", "civic"])
    assert cmp.raw.loc["전주시 (전북)", "local_election_turnout"] == \
        pytest.approx(res.by_code.at["35010", "local_election_turnout"])
    assert ((cmp.percentile >= 0) & (cmp.percentile <= 100)).all().all()
    assert isinstance(cmp.figure, Figure) and len(cmp.figure.axes) >= 2
    assert "사회주도형" in cmp.table.loc["유형"].tolist()


def test_compare_region_count_and_duplicates(res):
    with pytest.raises(TypologyError, match="expected 2 to 10"):
        res.compare(["전주시"])
    eleven = list(res.frame["code"][:11])
    with pytest.raises(TypologyError, match="expected 2 to 10"):
        res.compare(eleven)
    assert len(res.compare(eleven[:10]).codes) == 10
    with pytest.raises(TypologyError, match="listed twice"):
        res.compare(["전주시", "35010"])
    with pytest.raises(TypologyError, match="ambiguous"):
        res.compare(["전주시", "중구"])


# -- peers ---------------------------------------------------------------------------------------
def test_peers_never_include_the_region_itself(res):
    for code in res.frame["code"]:
        p = res.peers(code, by="dimensions", n=5)
        assert code not in set(p.similar["code"]) | set(p.same_type["code"]) | set(p.neighbours["code"])
        assert len(p.similar) == 5
        assert p.similar["distance"].is_monotonic_increasing


def test_peer_distances_by_hand(res):
    p = res.peers("전주시", n=3)
    cols = [f"{k}_norm" for k in res.indicators.index]
    x = res.by_code[cols].astype(float)
    first = p.similar.iloc[0]
    a, b = x.loc["35010"].to_numpy(), x.loc[first["code"]].to_numpy()
    both = ~np.isnan(a) & ~np.isnan(b)
    expected = np.sqrt(len(a) / both.sum() * np.sum((a[both] - b[both]) ** 2))
    assert first["distance"] == pytest.approx(expected)
    # No other region is nearer.
    d = np.sqrt(np.nansum((x.to_numpy() - a) ** 2, axis=1) * len(a) / (~np.isnan(x.to_numpy() - a)).sum(axis=1))
    d = pd.Series(d, index=x.index).drop("35010")
    assert first["distance"] == pytest.approx(d.min())


def test_profile_distance_missing_values_by_hand():
    # Synthetic: 4 coordinates; "b" shares 2 with "a" (d = sqrt(4/2 · (1 + 1)) = 2); "c" shares 1 → none.
    values = pd.DataFrame({"x1": [0.0, 1.0, 5.0], "x2": [0.0, 1.0, np.nan], "x3": [np.nan, 1.0, np.nan],
                           "x4": [0.0, np.nan, np.nan]}, index=["a", "b", "c"])
    d = profile_distances(values, "a")
    assert d.at["a", "distance"] == 0
    assert d.at["b", "distance"] == pytest.approx(2.0) and d.at["b", "shared"] == 2
    assert np.isnan(d.at["c", "distance"]) and d.at["c", "shared"] == 1


def test_same_type_and_neighbours(res):
    p = res.peers("전주시")
    own = res.by_code.at["35010", "type"]
    assert (p.same_type["type"] == own).all()
    assert len(p.same_type) == int((res.frame["type"] == own).sum()) - 1
    assert set(p.neighbours["name"]) == {"완주군", "익산시", "김제시"}
    assert (p.neighbours["same_type"] == (p.neighbours["type"] == own)).all()
    # Contiguity is symmetric.
    for code in p.neighbours["code"]:
        assert "35010" in set(res.peers(code).neighbours["code"])


@pytest.mark.parametrize("island", ["울릉군", "옹진군", "제주"])
def test_islands_have_no_neighbours_and_say_so(res, island):
    p = res.peers(island)
    assert p.neighbours.empty
    assert any("no contiguous neighbour" in note for note in p.notes)
    assert len(p.across_water) == 3 and (p.across_water["boundary_km"] > 0).all()
    assert p.across_water["boundary_km"].is_monotonic_increasing


def test_peers_by_choice_and_bad_by(res):
    p = res.peers("순천시", by=["civic", "local_election_turnout"], n=2)
    assert p.by == ["civic", "local_election_turnout"] and len(p.similar) == 2
    with pytest.raises(TypologyError, match="neither a dimension"):
        res.peers("순천시", by=["nonsense"])
    with pytest.raises(TypologyError, match="positive whole number"):
        res.peers("순천시", n=0)


# -- gap_to --------------------------------------------------------------------------------------
def test_gap_to_own_type_is_zero_for_every_region(res):
    for code, key in zip(res.frame["code"], res.frame["type"]):
        gap = res.gap_to(code, key)
        assert gap.feasible and gap.is_zero and gap.distance == 0
        assert gap.changes.empty


def _rescore(res, code: str, key: str, new_raw: float) -> float:
    """The dimension score after changing one raw value, normalisation parameters held fixed."""
    meta = res.indicators
    dim = meta.at[key, "dimension"]
    keys = list(meta.index[meta["dimension"] == dim])
    raw = res.by_code[keys].astype(float)
    directions = pd.Series({k: int(meta.at[k, "direction"]) for k in keys})
    model = NORMALISERS.get(res.normalise_method, "method")()
    model.fit(raw)
    raw.loc[code, key] = new_raw
    z = model.orient(model.transform(raw), directions)
    score, _ = score_dimension(z, meta.loc[keys, "weight"], "arithmetic", float(res.config["scoring"]["min_share"]))
    return float(score[code])


# 전주시 was society-led only through the participation-unit flag; with flags scored as categories
# (scoring.normalise.discrete: latent) it is resource-combining in the default run.
@pytest.mark.parametrize("region, target", [("서울 중구", "society_led"), ("전주시", "society_led"),
                                            ("순천시", "resource_combining")])
def test_gap_to_another_type_translates_into_indicator_units(res, region, target):
    gap = res.gap_to(region, target)
    assert gap.feasible and gap.distance > 0
    code = res.region(region)
    moved = gap.delta[gap.delta.abs() > 0]
    assert set(moved.index) <= {"civic", "institution"}  # only the society axis decides these types
    # Each indicator's change, applied alone through the real normaliser, moves its dimension by Δ.
    usable = gap.changes[gap.changes["change"].notna() & ~gap.changes["note"].str.startswith("0/1 flag")]
    assert len(usable)
    for r in usable.itertuples():
        after = _rescore(res, code, r.indicator, r.current + r.change)
        assert after == pytest.approx(gap.before[r.dimension] + gap.delta[r.dimension], abs=1e-9)
    text = gap.summary()
    assert "%p" in text and "지방선거 투표율" in text


@pytest.mark.parametrize("region", ["제주", "세종", "전주시"])
def test_gap_to_in_normalised_units_counts_only_the_observed_weight(res, region):
    # 제주 and 세종 have no participation_unit value, so their institution score is the mean over
    # the one indicator observed: an indicator moves it by w / (weight observed) per unit, twice as
    # much as when both are observed. 전주시 has both: the plain case beside it.
    code = res.region(region)
    meta = res.indicators
    gap = res.gap_to(code, "society_led")
    assert gap.feasible and gap.delta["institution"] > 0
    moved = gap.changes[gap.changes["delta_normalised"].notna()]
    assert set(moved["dimension"]) == {"civic", "institution"}
    for r in moved.itertuples():
        keys = list(meta.index[meta["dimension"] == r.dimension])
        z = res.by_code.loc[[code], [f"{k}_norm" for k in keys]].astype(float).set_axis(keys, axis=1)
        z.loc[code, r.indicator] += r.delta_normalised
        after, _ = score_dimension(z, meta.loc[keys, "weight"], "arithmetic", float(res.config["scoring"]["min_share"]))
        assert after[code] == pytest.approx(gap.after[r.dimension], abs=1e-9), r.indicator
    missing = gap.changes.set_index("indicator").loc["participation_unit"]
    assert (missing["note"] == "missing for this region") == (region != "전주시")


def test_gap_to_with_rank_normalisation_says_not_linear():
    res = load(None, ["scoring.normalise.method=rank"])
    code = res.region("전주시")
    other = next(k for k in res.types.index[:-1] if k != res.by_code.at[code, "type"])
    gap = res.gap_to(code, other)
    turnout = gap.changes.set_index("indicator").loc["local_election_turnout"]
    assert np.isnan(turnout["change"]) and "not expressible linearly" in turnout["note"]


def test_gap_to_bad_targets(res):
    with pytest.raises(TypologyError, match="not a type of this run"):
        res.gap_to("전주시", "leader")
    with pytest.raises(TypologyError, match="unclassified"):
        res.gap_to("전주시", "unclassified")


# -- several runs --------------------------------------------------------------------------------
def test_run_variants_and_agreement():
    runs = run_variants({"z": [], "minmax": ["scoring.normalise.method=minmax"]})
    a = agreement(runs)
    assert a.at["z", "z"] == 1 and a.at["z", "minmax"] == a.at["minmax", "z"]
    same = (runs["z"].by_code["type"] == runs["minmax"].by_code["type"]).mean()
    assert a.at["z", "minmax"] == pytest.approx(same) and same < 1
    table = type_table(runs)
    assert list(table.columns) == ["name", "sido", "z", "minmax"] and len(table) == 228
    with pytest.raises(TypologyError, match="overrides or a config"):
        run_variants({"bad": "scoring.min_share=1"})


def test_lazy_exports():
    assert tp.load_results is load and tp.run_variants is run_variants
    with pytest.raises(AttributeError):
        tp.no_such_name  # noqa: B018


def test_charts_fall_back_to_english_without_a_hangul_font(res, monkeypatch):
    from typology.render import charts

    monkeypatch.setattr(charts, "hangul_font", lambda: None)
    assert charts.chart_lang(None) == "en"
    cmp = res.compare(["전주시", "서울 중구"])
    assert list(cmp.table.columns) == ["Jeonju-si (Jeonbuk-do)", "Jung-gu (Seoul)", "national mean"]
    assert set(cmp.table.loc["type"].tolist()) - {""} <= {"Society-led", "Resource-combining"}  # English names
    # The dimension panel is all English (some catalogue name_en keep a Korean term, e.g. 주민자치회).
    texts = [t.get_text() for t in cmp.figure.axes[0].get_xticklabels()] + [cmp.figure.axes[0].get_title()]
    assert "Civic participation" in texts and not any("\uac00" <= ch <= "\ud7a3" for t in texts for ch in t)
    with pytest.raises(TypologyError, match="lang"):
        charts.chart_lang("fr")


# -- the map's search names, compare_runs ------------------------------------------------------------
@pytest.mark.parametrize("query, code", [
    ("Suncheon", "36030"), ("suncheon", "36030"), ("중구 서울", "11020"), ("gwangsan", "24050"),
    ("종로", "11010"), ("11010", "11010"),
])
def test_region_accepts_what_the_map_search_finds(res, query, code):
    from typology.data.regions import default_index

    # The first hit of the map's search box (terms in the Korean name, 시도, English name or code) ...
    assert default_index().search(query)[0] == code
    # ... is the region the notebook API resolves.
    assert res.region(query) == code


def test_region_search_lists_every_unit_it_fits(res):
    fits = r"region 'jung' fits 7 units \(서울특별시 중구 \(11020\); 서울특별시 중랑구"
    with pytest.raises(TypologyError, match=fits):
        res.region("jung")
    with pytest.raises(TypologyError, match="no unit of that name"):
        res.region("Atlantis")


@pytest.fixture(scope="module")
def minmax_folder(default_config, tmp_path_factory):
    from typology.core.config import apply_overrides
    from typology.workflow.outputs import write_run
    from typology.workflow.pipeline import run

    # No static maps: compare_runs reads the tables only (the maps' drawing is tested elsewhere).
    config = apply_overrides(default_config, ["scoring.normalise.method=minmax", "output.static_maps=false"])
    return write_run(run(config), tmp_path_factory.mktemp("minmax") / "minmax")


def test_compare_runs_of_two_folders(default_run_folder, minmax_folder):
    diff = tp.compare_runs(default_run_folder, minmax_folder)
    a, b = load(default_run_folder).by_code, load(minmax_folder).by_code
    table = diff.table
    assert len(table) == 228 and set(table["present"]) == {"both"}
    assert (diff.label_a, diff.label_b) == ("default", "minmax")
    changed = set(a.index[a["type"] != b["type"]])
    assert changed and set(diff.changed.index) == changed
    code = next(iter(changed))
    row = table.loc[code]
    assert row["type_a"] == a.at[code, "type_ko"] and row["type_b"] == b.at[code, "type_ko"]
    assert row["composite_diff"] == pytest.approx(b.at[code, "composite"] - a.at[code, "composite"])
    assert row["rank_change"] == b.at[code, "composite_rank"] - a.at[code, "composite_rank"]
    assert int(diff.transitions.to_numpy().sum()) == 228
    off_diagonal = sum(diff.transitions.at[i, j] for i in diff.transitions.index for j in diff.transitions.columns
                       if i != j)
    assert off_diagonal == len(changed)
    moves = diff.largest_rank_moves(5)
    assert len(moves) == 5 and moves["rank_change"].abs().iloc[0] == table["rank_change"].abs().max()
    assert f"유형이 바뀐 지역 {len(changed)}곳" in diff.summary()
    same = tp.compare_runs(default_run_folder, default_run_folder)
    assert not same.table["type_changed"].any() and (same.table["composite_diff"].dropna() == 0).all()
    assert same.label_a != same.label_b


def test_compare_runs_keeps_units_of_one_run_only(res, default_run_folder):
    scoped = copy.copy(res)
    scoped.frame = res.frame[res.frame["sido"] == "서울특별시"]
    scoped._cache = {}
    diff = tp.compare_runs(default_run_folder, scoped, label_b="seoul")
    counts = diff.table["present"].value_counts().to_dict()
    assert counts == {"a only": 228 - 25, "both": 25}
    assert diff.table.loc[diff.table["present"] == "a only", "type_b"].isna().all()
    assert "한쪽에만 있는 지역" in diff.summary()
    with pytest.raises(TypologyError, match="not found"):
        tp.compare_runs(default_run_folder, default_run_folder.parent)


# -- the public API is documented -------------------------------------------------------------------
def test_public_api_has_numpydoc_sections():
    import inspect

    from typology.api.results import Results

    public = [getattr(tp, name) for name in tp.__all__ if name not in ("__version__", "TypologyError")]
    methods = [getattr(Results, m) for m in ("compare", "peers", "gap_to", "region", "row", "explore", "plot")]
    for obj in [*public, *methods]:
        doc = inspect.getdoc(obj) or ""
        sections = ("Parameters", "Attributes")
        assert any(f"{s}\n----" in doc for s in sections), obj
        assert "Examples\n--------" in doc or inspect.isclass(obj) and "Attributes\n----" in doc, obj
        if not inspect.isclass(obj):
            assert "Returns\n-------" in doc, obj
    # The gap_to example moves a region that is not yet of the target type.
    example = inspect.getdoc(Results.gap_to)
    assert 'gap_to("전주시", "society_led")' in example and "(False, 0.325)" in example
    assert 'gap_to("순천시", "society_led")' not in (inspect.getmodule(Results).__doc__ or "")


def test_gap_to_example_is_not_a_no_op(res):
    gap = res.gap_to("전주시", "society_led")
    assert not gap.is_zero and round(gap.distance, 3) == 0.325
    assert res.gap_to("순천시", "society_led").is_zero  # the old example: 순천시 is society-led already
