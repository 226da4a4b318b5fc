"""report.html: summary, method from the config, coverage, types, regions, contributed sections."""

from __future__ import annotations

import base64
import dataclasses
import io
import re

import pytest

from typology import load_config, paths, run
from typology.core.result import Section
from typology.render.layers import build_layers
from typology.render.offline_assets import external_loads, script_hash
from typology.render.report import build_report
from typology.render.webmap import dimension_names

from .output_helpers import EVIL, evil_run, rule_types


def report(result, map_png=None):
    table = result.table()
    layers = build_layers(table, result.settings, dimension_names(result))
    return build_report(result, table, layers[0], map_png)


def tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def page(default_run):
    return report(default_run, tiny_png())


def test_report_is_self_contained(page):
    assert external_loads(page) == []
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(?!data:)", page)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 1 and script_hash(scripts[0]).replace("'", "&#x27;") in page


def test_summary_lists_types_with_counts_and_the_map(page, default_run, default_table):
    summary = page.split('<section id="summary">')[1].split("</section>")[0]
    expected = rule_types(default_table, default_run.config["typology"])
    assert (expected == default_table["type"]).all()
    counts = expected.value_counts()
    for spec in default_run.config["typology"]["types"]:
        row = f"{spec['name_ko']}</td><td class=en>{spec['name_en']}</td><td class=num>{counts[spec['key']]}<"
        assert row in summary
    assert 'src="data:image/png;base64,' in summary and 'href="map.html"' in summary


def test_method_is_written_from_the_config(page, default_config):
    method = page.split('<section id="method">')[1].split("</section>")[0]
    assert "z-점수" in method and "50%" in method and "가중 산술평균" in method
    assert "사회 축" in method and "시민참여기반" in method and "≥ 전국 평균" in method
    other = run(load_config(paths.DEFAULT_CONFIG, ["scoring.normalise.method=minmax", "scoring.min_share=0.75"]))
    method2 = report(other).split('<section id="method">')[1].split("</section>")[0]
    assert "최소-최대" in method2 and "75%" in method2 and "z-점수" not in method2


def test_every_method_is_described_by_what_it_returns(default_run):
    # The words come from the method registries: every registered normaliser and weighting says
    # something of its own, and the rank methods say what their transform gives.
    import numpy as np
    import pandas as pd

    from typology.render.report import method_html, method_words
    from typology.scoring.normalise import NORMALISERS
    from typology.scoring.weights import WEIGHTINGS

    for registry in (NORMALISERS, WEIGHTINGS):
        words = {name: method_words(registry, name) for name in registry.names()}
        assert all(ko and en and not ko.startswith("'") for ko, en in words.values()), words
        assert len({en for _, en in words.values()}) == len(words)  # no two methods described alike
    x = pd.DataFrame({"v": [30.0, 10.0, np.nan, 20.0, 20.0]})
    ranks = NORMALISERS.get("rank", "k")().fit_transform(x)["v"]
    assert ranks.tolist()[:2] == [4.0, 1.0] and ranks.max() == x["v"].notna().sum()  # 1 … n, not 0–100
    assert "1 for the worst, n for the best" in method_words(NORMALISERS, "rank")[1]
    pct = NORMALISERS.get("percentile", "k")().fit_transform(x)["v"]
    assert pct.max() == 100 and pct.min() > 0
    assert method_words(NORMALISERS, "percentile")[1].startswith("percentile rank in (0, 100]")
    assert "squared loadings" in method_words(WEIGHTINGS, "pca")[1]

    def method(normalise, weights):
        """The method section's normalisation and weights items."""
        config = {**default_run.config, "scoring": {**default_run.config["scoring"], "normalise": {"method": normalise},
                                                    "weights": {"method": weights}}}
        text = method_html(dataclasses.replace(default_run, config=config))
        return text.split("<li>정규화")[1].split("<li>차원 점수")[0]

    text = method("rank", "pca")
    assert "1 for the worst, n for the best" in text and "percentile" not in text and "백분위" not in text
    assert "squared loadings of the first principal component" in text
    assert "percentile rank in (0, 100]" in method("percentile", "equal")
    assert "goalposts: each indicator&#x27;s fixed raw [low, high]" in method("goalposts", "equal")


def test_aggregation_is_described_by_its_registry(default_run):
    # The aggregation words live with the aggregators (as a normaliser's do), so a method registered
    # later is described without a table in the report to keep in step.
    from typology.render.report import method_html, method_words
    from typology.scoring.aggregate import AGGREGATORS

    words = {name: method_words(AGGREGATORS, name) for name in AGGREGATORS.names()}
    assert all(ko and en and not ko.startswith("'") for ko, en in words.values()), words
    assert len({en for _, en in words.values()}) == len(words)
    config = {**default_run.config, "scoring": {**default_run.config["scoring"], "aggregate": {"method": "geometric"}}}
    text = method_html(dataclasses.replace(default_run, config=config))
    dimension = text.split("<li>차원 점수")[1].split("<li>종합점수")[0]
    assert "weighted geometric mean (strengths compensate weaknesses only partly)" in dimension
    assert "weighted arithmetic mean" in text.split("<li>종합점수")[1]


def test_coverage_flags_proxies(page):
    coverage = page.split('<section id="coverage">')[1].split("</section>")[0]
    assert coverage.count("<tr>") == 1 + 4  # header + four dimensions
    assert "약한 대리지표만" in coverage and "class=flag" in coverage and "class=warn" in coverage
    assert "환경운동수준" in coverage  # a study indicator with no data, said plainly


def test_coverage_quality_follows_the_proxy_flags():
    # Synthetic catalogue, one pattern per dimension: no proxy; one proxy of two; only proxies; only weak ones.
    import pandas as pd

    from typology.core.catalog import DIMENSIONS, Indicator
    from typology.workflow.tables import coverage_table

    flags = {"economy": [{}, {}], "civic": [{}, {"proxy": "p"}], "institution": [{"proxy": "p"}, {"proxy": "p"}],
             "capacity": [{"proxy": "p", "weak": True}, {"proxy": "p", "weak": True}]}
    chosen = [Indicator(f"{d}{i}", {"dimension": d, "study_indicator": f"s_{d}{i}", **f})
              for d in DIMENSIONS for i, f in enumerate(flags[d])]
    catalog = type("Catalog", (), {"indicators": {i.key: i for i in chosen},
                                   "dimensions": {d: {"name_ko": d} for d in DIMENSIONS}})
    keys = [i.key for i in chosen]
    raw = pd.DataFrame(1.0, index=["a", "b"], columns=keys)
    scores = pd.DataFrame(1.0, index=["a", "b"], columns=list(DIMENSIONS))
    years = pd.DataFrame({"indicator": keys, "years": "2020", "year_status": "within range"})
    table = coverage_table(catalog, chosen, raw, scores, scores, years).set_index("dimension")
    assert table["quality"].to_dict() == {"economy": "direct measures", "civic": "partly proxies",
                                          "institution": "proxies only", "capacity": "weak proxies only"}


def test_coverage_labels_say_the_same_in_both_languages(page, default_run):
    from typology.render.layers import QUALITY_KO

    # 일부 = partly, 만 = only: the Korean label of each quality says what the English one says.
    assert "일부" in QUALITY_KO["partly proxies"] and "만" not in QUALITY_KO["partly proxies"]
    assert QUALITY_KO["proxies only"].endswith("만") and "일부" not in QUALITY_KO["proxies only"]
    assert "약한" in QUALITY_KO["weak proxies only"] and "약한" not in QUALITY_KO["proxies only"]
    # The default run's civic dimension has one proxy of two (maeul_per_100k): partly proxies, in both languages.
    civic = [i for i in default_run.indicators if i.dimension == "civic"]
    assert 0 < sum(i.is_proxy for i in civic) < len(civic)
    assert default_run.coverage.set_index("dimension").at["civic", "quality"] == "partly proxies"
    coverage = page.split('<section id="coverage">')[1].split("</section>")[0]
    civic_name = default_run.catalog.dimensions["civic"]["name_ko"]
    row = next(r for r in coverage.split("<tr>") if r.startswith(f"<td>{civic_name}"))
    assert f"{QUALITY_KO['partly proxies']} <span class=en>(partly proxies)</span>" in row


def test_types_have_profiles_and_policy_packages(page, default_config):
    types = page.split('<section id="types">')[1].split("</section>")[0]
    for spec in default_config["typology"]["types"]:
        assert f'id="type-{spec["key"]}"' in types
        assert spec["policy_ko"].strip()[:20] in types and spec["policy_en"].strip()[:20] in types
    assert types.count("<svg") == 2


def test_every_region_is_in_the_sortable_table_with_a_profile(page, default_table):
    regions = page.split('<section id="regions">')[1].split("</section>")[0]
    assert regions.count("<tr data-code=") == 228
    assert regions.count("class=region-profile") == 228
    assert regions.count("<option ") == 228
    row = re.search(r'<tr data-code="11010">(.*?)</tr>', regions).group(1)
    economy = default_table.set_index("code").at["11010", "economy"]
    assert "종로구" in row and f'data-sort="{economy:.10g}"' in row


def test_contributed_sections_and_figures_are_rendered(default_run):
    extra = dataclasses.replace(default_run, sections=[Section("audit", "감사", "Audit", "<p>audit &amp; ok</p>")],
                                figures={"rank_intervals": tiny_png()})
    page = report(extra)
    assert '<section id="section-audit"><h2>감사' in page and "<p>audit &amp; ok</p>" in page
    assert base64.b64encode(tiny_png()).decode() in page and "rank_intervals" in page
    bad = dataclasses.replace(default_run, figures={"x": b"GIF89a"})
    with pytest.raises(ValueError, match="not PNG"):
        report(bad)


def test_hostile_names_are_escaped(default_run):
    page = report(evil_run(default_run))
    assert "<script>window.__xss" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert page.count("&lt;img src=x onerror=&quot;window.__xss=2&quot;&gt;&quot;중구") >= 3  # table, list, svg
    assert EVIL not in page
