"""The lower half of report.html: Korean-first column names with English beside, every statistic read
out in a sentence, one contents entry per section, figures in their sections."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from typology.core.result import Section
from typology.core.settings import TypologySettings
from typology.render.audit_section import alpha_sentence
from typology.render.tables import column_label, table_html
from typology.render.type_sections import agreement_section, cluster_section, k_section, types_section
from typology.typologies.classify import classify

from .test_report import report, tiny_png
from .typology_synth import CATALOG, TYPES, planted, typology

HANGUL = re.compile(r"[가-힣]")


@pytest.fixture(scope="module")
def page(default_run):
    return report(default_run, tiny_png())


def section(page: str, sid: str) -> str:
    return page.split(f'<section id="{sid}">')[1].split("</section>")[0]


def headers(html: str) -> list[str]:
    return re.findall(r"<th[^>]*>(.*?)</th>", html, re.S)


def assert_two_languages(html: str) -> None:
    found = headers(html)
    assert found, "no table"
    for th in found:
        assert HANGUL.search(th), f"header without Korean: {th}"
        english = re.search(r"<span class=en>([^<]*[A-Za-z][^<]*)</span>", th)
        assert english, f"header without English beside: {th}"


def test_contents_list_each_section_once(page):
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", page, re.S).group(1)
    targets = re.findall(r'href="#([^"]+)"', nav)
    sections = re.findall(r'<section id="([^"]+)">', page)
    assert targets == sections and len(set(targets)) == len(targets)
    # the policy packages are one topic: the typology step's type table is inside the report's type block
    labels = [re.sub(r"<[^>]+>", "", a) for a in re.findall(r"<a [^>]*>(.*?)</a>", nav)]
    assert sum("정책 패키지" in label for label in labels) == 1
    assert "section-types" not in targets and "유형 요약표" in section(page, "types")


def test_lower_sections_have_korean_headers_with_english(page):
    for sid in ("coverage", "section-audit", "section-stability"):
        assert_two_languages(section(page, sid))
    regions = section(page, "regions")
    for th in headers(regions):
        assert HANGUL.search(th) and "<span class=en>" in th, th
    assert "missing_indicators" not in regions and "corr_rest" not in section(page, "section-audit").split("<table")[1]


@pytest.fixture(scope="module")
def unadjusted_run():
    # The default adjusts staff per 1,000 for size; without it, capacity's two indicators pull
    # against each other (α < 0), the case the report must explain.
    from typology import load_config, run

    return run(load_config(None, ["scoring.adjust.indicators=[]", "scoring.adjust.covariates=[]",
                                  "typology.bootstrap.n=0", "validation.leave_one_out=false"]))


def test_negative_alpha_is_explained_for_its_dimension(unadjusted_run):
    audit = section(report(unadjusted_run, tiny_png()), "section-audit")
    dims = unadjusted_run.tables["audit"].set_index("indicator")
    dimensions = unadjusted_run.tables["audit"].query("level == 'dimension'").set_index("dimension")
    alpha = dimensions.at["capacity", "alpha"]
    assert alpha < 0
    item = next(li for li in re.findall(r"<li>(.*?)</li>", audit, re.S) if "지방정부역량" in li)
    # hand-checked on the bundled data: the two capacity indicators pull against each other
    assert f"α = {alpha:.3f} (음수)" in item and "-2.413" in item
    assert "반대 방향" in item and "할 수 있는 일" in item and "direction" in item
    for key in ("staff_per_1000", "fiscal_independence"):
        assert dims.at[key, "name_ko"] in item  # the indicators to look at, by name
    assert "Negative α" in item
    # every dimension gets a reading, and the correlations between dimensions are put into words
    assert len([li for li in re.findall(r"<li>(.*?)</li>", audit, re.S) if "α" in li]) == 4
    assert "가장 강한 관계" in audit


def test_the_default_capacity_alpha_is_no_longer_negative(page, default_run):
    # staff per 1,000 adjusted for log population (configs/default.yaml): α > 0, read as such
    alpha = default_run.tables["audit"].query("level == 'dimension'").set_index("dimension").at["capacity", "alpha"]
    assert alpha > 0
    items = re.findall(r"<li>(.*?)</li>", section(page, "section-audit"), re.S)
    item = next(li for li in items if "지방정부역량" in li)
    assert "(음수)" not in item and f"α = {alpha:.3f}" in item


@given(st.floats(min_value=-10, max_value=1) | st.just(float("nan")))
def test_every_alpha_gets_exactly_one_reading(alpha):
    row = pd.Series({"alpha": alpha, "mean_inter_corr": -0.2, "against_rest": "a;b", "pulling_against": None})
    text = alpha_sentence("차원", row, {"a": "지표A", "b": "지표B"})
    words = ["계산할 수 없다", "(음수)", "낮음", "보통", "양호"]
    hits = [w for w in words if w in text]
    assert len(hits) == 1, (alpha, hits)
    expected = ("계산할 수 없다" if np.isnan(alpha) else "(음수)" if alpha < 0 else "낮음" if alpha < 0.5
                else "보통" if alpha < 0.7 else "양호")
    assert hits == [expected]
    assert ("지표A, 지표B" in text) == (not np.isnan(alpha) and alpha < 0)


def test_column_labels_name_dimensions_axes_and_types():
    dims = {"civic": "시민참여기반"}
    assert column_label("mean_civic", dims) == ("시민참여기반 평균", "mean civic")
    assert column_label("corr_civic", dims) == ("시민참여기반 상관", "r with civic")
    assert column_label("mean_axis_society", dims, {"society": "사회 축"}) == ("사회 축 평균", "mean society axis")
    assert column_label("rules_society_led", dims, types={"society_led": "사회주도형"}) == (
        "규칙: 사회주도형", "rules: society_led")
    assert column_label("silhouette_rank", dims) == ("실루엣 순위", "silhouette rank")
    html = table_html(pd.DataFrame({"name_ko": ["<b>x</b>"], "alpha": [np.nan], "chosen": [True]}),
                      lambda c: column_label(c, dims))
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<td class=num>–</td>" in html and "예 yes" in html


def test_cluster_sections_read_their_statistics():
    scores, _ = planted(n_per=5)
    config = typology("kmeans", k=3, k_range=[2, 3], types=TYPES)
    out = classify(scores, config, CATALOG)
    step = out.steps[0]
    parts = {"types": types_section(out.tables["types"], "kmeans", config["unclassified"]["key"]),
             "clusters": cluster_section(out.tables["clusters"], "kmeans", step["k"]),
             "k": k_section(out.tables["k_selection"], step["k"], TypologySettings.of(config)),
             "agreement": agreement_section(out.tables["agreement"], step["agreement"])}
    for part in parts.values():
        assert_two_languages(part.html)
    assert "자카드" in parts["clusters"].html and "0.6" in parts["clusters"].html
    assert "클수록 좋" in parts["k"].html and "작을수록 좋" in parts["k"].html
    ari = step["agreement"]["ari_cluster_type_vs_rule_type"]
    assert f"{ari:.3f}" in parts["agreement"].html and "우연" in parts["agreement"].html


def test_figures_sit_in_their_sections_with_captions(default_run):
    extra = dataclasses.replace(
        default_run, sections=[Section("uncertainty", "불확실성", "Uncertainty", "<p>u</p>")],
        figures={"rank_intervals": tiny_png(), "sensitivity": tiny_png(), "zz_other": tiny_png()})
    page = report(extra)
    unc = section(page, "section-uncertainty")
    assert unc.count("<figure>") == 2 and "순위 구간" in unc and "rank_intervals.png" in unc
    assert section(page, "figures").count("<figure>") == 1  # a figure with no home keeps the figures block
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", page, re.S).group(1)
    assert nav.count('href="#figures"') == 1
    alone = report(dataclasses.replace(default_run, sections=[], figures={"rank_intervals": tiny_png()}))
    assert section(alone, "figures").count("<figure>") == 1  # its section missing: the figure is not lost
