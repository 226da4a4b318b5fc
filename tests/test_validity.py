"""The validity audit, peer-group normalisation, discrete category scores and covariate adjustment,
each on constructed data with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typology.core.catalog import Indicator, load_catalog
from typology.core.config import load_config
from typology.errors import TypologyError
from typology.scoring.adjust import residualise
from typology.scoring.groupnorm import latent_scores, normalise_within
from typology.scoring.normalise import ZScore
from typology.validity.criteria import criterion_rows
from typology.validity.validity import (
    cramers_v2,
    eta_squared,
    leave_one_out_rows,
    r_squared,
    redundancy_rows,
)

from .conftest import run_cli


def test_eta_squared_by_hand():
    # groups a: 1, 3 (mean 2), b: 5, 7 (mean 6); grand mean 4; between SS 4·4 = 16, total SS 9+1+1+9 = 20
    value, n = eta_squared(pd.Series([1.0, 3, 5, 7]), pd.Series(list("aabb")))
    assert value == pytest.approx(0.8) and n == 4


def test_r_squared_and_cramers_v2_extremes():
    x = pd.Series(np.arange(10.0))
    assert r_squared(3 * x + 1, x)[0] == pytest.approx(1.0)
    a = pd.Series(list("xxyyxxyy"))
    assert cramers_v2(a, a.map({"x": "p", "y": "q"}))[0] == pytest.approx(1.0)  # one decides the other
    assert cramers_v2(a, pd.Series(list("ppqqqqpp")))[0] == pytest.approx(0.0)  # independent


def _ind(key: str, dim: str, level: str = "continuous") -> Indicator:
    return Indicator(key, {"dimension": dim, "direction": 1, "kind": "value", "level": level})


def test_redundant_pair_flagged_as_double_counting():
    rng = np.random.default_rng(1)
    a = rng.normal(size=200)
    raw = pd.DataFrame({"a": a, "b": a + rng.normal(scale=0.05, size=200), "c": rng.normal(size=200)})
    rows = {r["against"]: r for r in redundancy_rows(raw, [_ind("a", "civic"), _ind("b", "civic"),
                                                           _ind("c", "civic")])}
    assert rows["a ~ b"]["flag"] == "double counting" and rows["a ~ b"]["value"] > 0.99
    assert rows["a ~ c"]["flag"] == "" and abs(rows["a ~ c"]["value"]) < 0.3


def test_criterion_rank_correlation_and_n():
    axes = pd.DataFrame({"axis:society": [1.0, 2, 3, 4, 5]})
    crit = pd.DataFrame({"c": [10.0, 20, np.nan, 40, 50]})  # monotone where observed
    (row,) = criterion_rows(axes, crit, [])
    assert row["value"] == pytest.approx(1.0) and row["n"] == 4


def _planted(n: int = 200, seed: int = 3) -> tuple[pd.DataFrame, list[Indicator]]:
    """Civic indicators that cancel out, and a 0/1 flag held by 20 % that decides the society axis."""
    rng = np.random.default_rng(seed)
    c1 = rng.normal(size=n)
    flag = (rng.random(n) < 0.2).astype(float)
    raw = pd.DataFrame({
        "e1": rng.normal(size=n), "e2": rng.normal(size=n),
        "c1": c1, "c2": -c1 + rng.normal(scale=0.01, size=n),
        "flag": flag, "weak": rng.normal(scale=1.0, size=n),
        "k1": rng.normal(size=n), "k2": rng.normal(size=n),
    }, index=[f"u{i:03d}" for i in range(n)])
    chosen = [_ind("e1", "economy"), _ind("e2", "economy"), _ind("c1", "civic"), _ind("c2", "civic"),
              _ind("flag", "institution", "binary"), _ind("weak", "institution"),
              _ind("k1", "capacity"), _ind("k2", "capacity")]
    return raw, chosen


def test_planted_flag_is_detected_as_decisive():
    from typology.scoring.score import score
    from typology.typologies.classify import classify

    raw, chosen = _planted()
    config = load_config(None, ["scoring.treat.method=none", "scoring.normalise.discrete=plain",
                                "typology.bootstrap.n=0"])
    config["scoring"]["adjust"] = {"covariates": [], "indicators": []}
    catalog = load_catalog()
    scored = score(raw, chosen, config["scoring"])
    types = classify(scored.scores[["economy", "civic", "institution", "capacity"]], config["typology"],
                     catalog).typed["type"]
    # With the flag, holders are society-led almost to a region.
    assert (types[raw["flag"] == 1] == "society_led").mean() > 0.9
    context = pd.DataFrame({"log_population": 0.0, "class": "시", "sido": "x"}, index=raw.index)
    rows = {r["against"]: r for r in leave_one_out_rows(raw, chosen, config, catalog, types, context,
                                                         pd.Series("x", index=raw.index), {})}
    assert rows["flag"]["flag"] == "decisive" and rows["flag"]["value"] > 0.1 * len(raw)
    # Economy and capacity do not enter the type rules: dropping one of theirs changes nobody.
    assert rows["e1"]["value"] == 0 and rows["k2"]["value"] == 0


def test_latent_scores_of_a_rare_flag_by_hand():
    x = pd.Series([1.0] * 10 + [0.0] * 90)
    scores, table = latent_scores(x)
    # c = Φ⁻¹(0.9) = 1.28155; φ(c) = 0.175498: holders φ(c)/0.1, others −φ(c)/0.9
    assert table[1.0] == pytest.approx(1.75498, abs=1e-4)
    assert table[0.0] == pytest.approx(-0.194998, abs=1e-4)
    # z-scores would put the holders at 3 SD: the category score is not set by rarity alone
    assert ZScore().fit(x.to_frame()).transform(x.to_frame()).iloc[0, 0] == pytest.approx(3.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=5, max_size=60).filter(lambda v: len(set(v)) > 1))
def test_latent_scores_mean_zero_order_kept_ties_kept(values):
    x = pd.Series(values, dtype=float)
    scores, table = latent_scores(x)
    assert scores.mean() == pytest.approx(0.0, abs=1e-9)
    ordered = [table[k] for k in sorted(table)]
    assert all(a < b for a, b in zip(ordered, ordered[1:]))
    assert scores.groupby(x).nunique().max() == 1  # ties stay ties
    assert scores.abs().max() < 4.0  # inside what a continuous standard-normal indicator covers


def test_normalise_within_groups_and_small_group_error():
    X = pd.DataFrame({"a": [1.0, 2, 3, 10, 20, 30, 5]}, index=list("pqrstuv"))
    groups = pd.Series(["A", "A", "A", "B", "B", "B", "C"], index=X.index)
    directions = pd.Series({"a": 1})
    with pytest.raises(TypologyError, match=r"C \(1 units\)"):
        normalise_within(X, directions, ZScore, "zscore", [], "latent", groups, 2, "scoring.normalise.within")
    out, info = normalise_within(X.iloc[:6], directions, ZScore, "zscore", [], "latent", groups.iloc[:6], 3,
                                 "scoring.normalise.within")
    # Both groups are 1, 2, 3 up to scale, so they get identical z-scores.
    assert np.allclose(out.loc[list("pqr"), "a"].to_numpy(), out.loc[list("stu"), "a"].to_numpy())
    assert info["groups"] == {"A": 3, "B": 3}


def test_residualise_removes_the_covariate():
    rng = np.random.default_rng(0)
    x = pd.Series(rng.normal(size=100))
    e = pd.Series(rng.normal(scale=0.5, size=100))
    treated = pd.DataFrame({"y": 2 + 3 * x + e, "z": e})
    out, info = residualise(treated, pd.DataFrame({"log_population": x}),
                            {"covariates": ["log_population"], "indicators": ["y"]})
    assert abs(np.corrcoef(out["y"], x)[0, 1]) < 1e-9
    assert out["y"].mean() == pytest.approx(treated["y"].mean())
    assert info["indicators"]["y"]["coefficients"]["log_population"] == pytest.approx(3.0, abs=0.15)
    assert out["z"].equals(treated["z"])  # indicators not chosen are untouched


def test_peer_groups_run_writes_validity_and_crosstab(tmp_path):
    out = tmp_path / "peer"
    result = run_cli("run", "configs/peer_groups.yaml", "--set", f"output.dir={out}",
                     "--set", "output.static_maps=false", "--set", "output.xlsx=false")
    assert result.returncode == 0, result.stderr
    assert "validity: largest confounder share" in result.stdout
    validity = pd.read_csv(out / "validity.csv", encoding="utf-8-sig")
    assert list(validity.columns) == ["measure", "target", "against", "statistic", "value", "n", "flag", "detail"]
    assert {"confounder", "redundancy", "leave_one_out", "criterion"} <= set(validity["measure"])
    cross = pd.read_csv(out / "type_crosstab.csv", encoding="utf-8-sig").set_index("type")
    assert int(cross.to_numpy().sum()) == 228
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "타당성 감사" in report and "type_crosstab" not in report and "same type" in report


def test_peer_group_table_errors_name_the_problem(tmp_path):
    bad = tmp_path / "groups.csv"
    bad.write_text("code,peer_group\n11010,A\n", encoding="utf-8")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"extends: default\ndata: {{peer_groups: {bad}}}\nscoring: {{normalise: {{within: peer_group}}}}\n",
                   encoding="utf-8")
    result = run_cli("run", str(cfg), "--set", f"output.dir={tmp_path / 'o'}")
    assert result.returncode == 2
    assert "data.peer_groups" in result.stderr and "no peer_group for 227 units" in result.stderr


def test_every_catalogue_entry_states_level_measure_and_source():
    catalog = load_catalog()
    for key, ind in catalog.indicators.items():
        assert ind.level in ("continuous", "count", "binary", "ordinal"), key
        assert ind.spec.get("measures") and ind.spec.get("source_table"), key
    assert catalog.indicators["participation_unit"].discrete and not catalog.indicators["grdp_per_capita"].discrete
    # the wage-tax series is labelled for what it is, not as a finance measure
    tax = catalog.indicators["workplace_income_tax_per_capita"]
    assert tax.is_proxy and tax.spec["study_indicator"] != "지역재정여건"
    assert "DT_133001N_4214" in tax.spec["kosis_table"]


def test_unknown_level_is_one_line_naming_the_entry(tmp_path):
    import yaml

    from typology import paths

    raw = yaml.safe_load(paths.CATALOG.read_text(encoding="utf-8"))
    raw["indicators"]["grdp_per_capita"]["level"] = "interval"
    bad = tmp_path / "catalog.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TypologyError, match=r"indicators.grdp_per_capita.level 'interval'"):
        load_catalog(bad)


def test_default_run_scores_flags_as_categories(default_run):
    step = next(s for s in default_run.steps if s["step"] == "normalise")
    assert step["discrete"] == {"indicators": ["jumin_jachihoe", "participation_unit"], "treatment": "latent"}
    flag = default_run.normalised["participation_unit"].dropna()
    assert flag.nunique() == 2 and flag.max() < 2.0  # z-scores put the holders near 3
    adjust = next(s for s in default_run.steps if s["step"] == "adjust")
    assert adjust["indicators"]["staff_per_1000"]["r2"] > 0.5  # size explains most of staff per resident
    validity = default_run.tables["validity"]
    loo = validity[validity["measure"] == "leave_one_out"].set_index("against")
    assert set(loo.index) == {i.key for i in default_run.indicators}
    adjusted = validity[validity["measure"] == "adjustment"].set_index("target")
    assert adjusted.at["staff_per_1000", "against"] == "log_population"
    assert adjusted.at["staff_per_1000", "value"] == pytest.approx(adjust["indicators"]["staff_per_1000"]["r2"])


def test_supplied_peer_groups_equal_to_the_class_give_the_class_run(tmp_path):
    from typology import run
    from typology.data.attributes import unit_class
    from typology.data.places import load_units

    classes = unit_class(load_units())
    table = tmp_path / "peers.csv"
    pd.DataFrame({"code": classes.index, "peer_group": classes.to_numpy(), "vintage": "test"}).to_csv(
        table, index=False, encoding="utf-8-sig")
    base = ["validation.leave_one_out=false", "output.static_maps=false"]
    by_class = run(load_config(None, [*base, "scoring.normalise.within=class"]))
    by_table = run(load_config(None, [*base, "scoring.normalise.within=peer_group", f"data.peer_groups={table}"]))
    pd.testing.assert_frame_equal(by_class.scores, by_table.scores)
    assert (by_class.typed["type"] == by_table.typed["type"]).all()
    attributes = by_table.tables["unit_attributes"].set_index("code")
    assert (attributes["peer_group"] == attributes["class"]).all() and set(attributes["vintage"]) == {"test"}
    # within each class, every continuous indicator's z-scores have mean 0
    normalised = by_class.normalised.join(attributes["class"])
    means = normalised.groupby("class")[["grdp_per_capita", "local_election_turnout"]].mean()
    assert np.allclose(means.to_numpy(), 0.0, atol=1e-9)


def test_sejong_and_jeju_are_counted_as_cities():
    from typology.data.attributes import unit_class
    from typology.data.places import load_units

    classes = unit_class(load_units())
    assert classes["29010"] == "시" and classes.value_counts().to_dict() == {"군": 82, "시": 77, "자치구": 69}


def test_adjustment_named_for_an_indicator_not_in_use_is_logged_not_fatal():
    from typology import run

    result = run(load_config(None, ["validation.leave_one_out=false", "output.static_maps=false",
                                    "indicators.capacity=[fiscal_independence]"]))
    step = next(s for s in result.steps if s["step"] == "adjust")
    assert step["not_in_use"] == ["staff_per_1000"] and step["indicators"] == {}


def test_within_sido_names_the_groups_too_small(tmp_path):
    result = run_cli("run", "--set", "scoring.normalise.within=sido", "--set", f"output.dir={tmp_path / 'o'}")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "세종특별자치시 (1 units), 제주특별자치도 (1 units)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_gap_says_why_a_peer_group_change_is_not_linear():
    from typology.api.loaders import load

    res = load("configs/peer_groups.yaml", ["validation.leave_one_out=false", "validation.compare_with=null"])
    code = next(c for c in res.by_code.index if res.by_code.at[c, "type"] == "resource_combining")
    gap = res.gap_to(code, "society_led")
    civic = gap.changes[gap.changes["indicator"] == "local_election_turnout"]
    assert civic["note"].str.contains("normalised within each class").all()


def test_measurement_checks_read_in_korean_without_code_keys(default_run):
    # The checks' flags and free-text details reach readers (report.html) with every code key named.
    from typology.render.validity_section import validity_html
    from typology.render.validity_words import Names, flag

    assert flag("alpha below 0.7; decides types") == ("α가 0.7 미만; 유형을 정하는 축",
                                                      "alpha below 0.7; decides types")
    assert flag("holds")[0] == "성립" and flag("some new flag") == ("some new flag", "some new flag")
    names = Names.of(default_run)
    assert names.detail("best class-only rule: 군 → society_led; 시 → resource_combining") == \
        "best class-only rule: 군 → 사회주도형; 시 → 자원결합형"
    assert names.detail("|ρ| with axis:society = 0.490 against axis:resource") == \
        "|ρ| with 사회 축 = 0.490 against 자원 축"
    page = validity_html(type("Audited", (), {"table": default_run.tables["validity"]})(), default_run.settings, names)
    for key in ("class_rule", "logistic_log_population", "share_agree", "cronbach_alpha", "item_rest_r",
                "society_led", "axis:society", "can_change_type", "abs_rho_difference", "log_density"):
        assert key not in page, key
    assert "<th" in page and "<table" not in page.replace("<div class=scroll><table", "")  # every table scrolls


def test_each_measurement_check_is_shown_once(default_run):
    # The checks (coherence, what decides, size, criteria) have blocks of their own; the per-measure
    # tables after them showed the same validity.csv rows a second time.
    import html
    import re

    from typology.render.validity_section import validity_html
    from typology.render.validity_words import Names, flag, measure

    table = default_run.tables["validity"]
    names = Names.of(default_run)
    page = validity_html(type("Audited", (), {"table": table})(), default_run.settings, names)
    heads = re.findall(r"<h3>(.*?)</h3>", page)
    assert len(heads) == len(set(heads))
    for kind in ("coherence", "decides", "baseline", "type_by_class", "convergent", "discriminant"):
        assert kind in set(table["measure"]), kind
        ko, en = measure(kind)
        assert f"{html.escape(ko)} <span class=en>({html.escape(en)})</span>" not in heads, kind
    for kind in ("confounder", "redundancy", "leave_one_out", "criterion"):  # the others keep their tables
        ko, en = measure(kind)
        assert f"{html.escape(ko)} <span class=en>({html.escape(en)})</span>" in heads, kind
    assert sum("내적 일관성" in h for h in heads) == 1 and sum("기준선" in h for h in heads) == 1
    shown_once = table[table["measure"].isin(["convergent", "discriminant"])
                       | (table["statistic"] == "share_agree")]["detail"].dropna()
    assert len(shown_once) >= 4
    for detail, rows in shown_once.value_counts().items():  # two criteria's rows may share a detail
        assert page.count(html.escape(names.detail(detail))) == rows, detail
    # What only the per-measure table said stays: a dimension's α below the threshold is marked in the summary.
    block = page.split("Coherence before typing")[1].split("<h3>")[0]
    summary = block.split("</table>")[0]
    alphas = table[(table["measure"] == "coherence") & (table["statistic"] == "cronbach_alpha")]
    below = alphas[alphas["flag"].fillna("").str.startswith("alpha below")]
    assert len(below) >= 2
    for row in below.itertuples():
        cells = summary.split(names.target(row.target)[0], 1)[1].split("</tr>")[0]
        assert flag(row.flag)[0] in cells, row.target


def test_a_skipped_baseline_says_why(default_run):
    # With one type there is no baseline to fit: the check says so instead of vanishing from the report.
    from typology.render.validity_section import validity_html
    from typology.render.validity_words import Names

    table = pd.DataFrame([{"measure": "baseline", "target": "type", "against": "", "statistic": "", "value": None,
                           "n": 228, "flag": "skipped", "detail": "fewer than two types"}])
    page = validity_html(type("Audited", (), {"table": table})(), default_run.settings, Names.of(default_run))
    assert page.count("Size-only baseline") == 1
    assert "건너뜀 <span class=en>skipped</span>: fewer than two types" in page
