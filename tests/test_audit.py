"""The statistical audit: hand-computed coherence measures, and the audit of the default run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from typology.core.catalog import DIMENSIONS, Indicator
from typology.core.config import DEFAULTS, SCHEMA, _defaults, _merge
from typology.render.audit_section import audit_html
from typology.scoring.audit import audit, cronbach_alpha
from typology.scoring.score import score


def test_cronbach_alpha_hand_cases():
    # var a = var b = 1, var(a + b) = var(2, 5, 5) = 3: α = 2 · (1 − 2/3)
    assert cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 3.0, 2.0]})) == pytest.approx(2 / 3)
    # identical items: α = 1
    assert cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [1.0, 2.0, 4.0]})) == pytest.approx(1.0)
    # items that cancel out: the sum does not vary, α is undefined
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0]})))
    # a single item has no internal consistency
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0, 3.0]})))
    # Two complete rows are enough for the audit; the coherence check before typing asks for three.
    two = pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": [1.0, 3.0, 2.0]})
    assert cronbach_alpha(two) == pytest.approx(2 * (1 - (0.5 + 2) / 4.5))  # var a, var b; sums 2, 5
    assert np.isnan(cronbach_alpha(two, min_rows=3))


def _synthetic():
    """Synthetic: 40 units; economy has three agreeing indicators and one that pulls against them."""
    rng = np.random.default_rng(7)
    base = rng.normal(size=40)
    raw = pd.DataFrame({
        "e1": base + rng.normal(scale=0.3, size=40), "e2": base + rng.normal(scale=0.3, size=40),
        "e3": base + rng.normal(scale=0.3, size=40), "e4": -base + rng.normal(scale=0.3, size=40),
        "c": rng.normal(size=40), "i": rng.normal(size=40), "k": rng.normal(size=40),
    }, index=pd.Index([f"{i:05d}" for i in range(40)], name="code"))
    raw.iloc[3, 0] = np.nan
    chosen = [Indicator(k, {"dimension": d, "direction": 1, "name_ko": f"<b>{k}</b>"})
              for k, d in [("e1", "economy"), ("e2", "economy"), ("e3", "economy"), ("e4", "economy"),
                           ("c", "civic"),
                           ("i", "institution"), ("k", "capacity")]]
    units = pd.DataFrame({"code": raw.index, "name_ko": "u", "sido_ko": "s"})
    scoring = _merge(_merge(_defaults(SCHEMA), DEFAULTS), {})["scoring"]
    scoring["impute"]["method"] = "mean"
    return raw, chosen, units, score(raw, chosen, scoring)


def test_audit_names_the_indicator_that_pulls_against_its_dimension():
    raw, chosen, units, scored = _synthetic()
    result = audit(raw, scored, chosen, units, {"economy": "<i>경제</i>"})
    table = result.table.set_index(["level", "dimension", "indicator"])
    eco = table.loc[("dimension", "economy", "")]
    assert eco["against_rest"] == "e4" and eco["pulling_against"] == "e4"
    assert table.loc[("indicator", "economy", "e4"), "corr_rest"] < -0.8
    assert table.loc[("indicator", "economy", "e4"), "corr_dimension"] < 0
    assert table.loc[("indicator", "economy", "e1"), "corr_rest"] > 0.5
    # the imputed cell is counted, and listed in the imputations table
    assert table.loc[("indicator", "economy", "e1"), ["missing", "imputed"]].tolist() == [1, 1]
    assert result.imputations[["code", "indicator"]].values.tolist() == [["00003", "e1"]]
    # α and PC1 share of economy are those of its three normalised indicators
    norm = scored.normalised[["e1", "e2", "e3", "e4"]]
    assert eco["alpha"] == pytest.approx(cronbach_alpha(norm))
    eig = np.linalg.eigvalsh(norm.corr().to_numpy())
    assert eco["pc1_share"] == pytest.approx(eig[-1] / 4)


def test_audit_table_has_the_issue_columns_and_the_correlation_matrix():
    raw, chosen, units, scored = _synthetic()
    table = audit(raw, scored, chosen, units).table
    for col in ["n", "missing", "min", "max", "mean", "skew", "kurtosis", "outlier", "treatment", "corr_dimension",
                "alpha", "pc1_share", "pulling_against"]:
        assert col in table.columns, col
    dims = table[table["level"] == "dimension"].set_index("dimension")
    corr = dims[[f"corr_{d}" for d in DIMENSIONS]].to_numpy(dtype=float)
    assert np.allclose(np.diag(corr), 1.0) and np.allclose(corr, corr.T)
    assert corr[0, 1] == pytest.approx(scored.scores["economy"].corr(scored.scores["civic"]))


def test_audit_html_is_escaped():
    raw, chosen, units, scored = _synthetic()
    checked = audit(raw, scored, chosen, units, {"economy": "<i>경제</i>"})
    text = audit_html(checked.table, checked.imputations, {"economy": "<i>경제</i>"})
    assert "<b>" not in text and "&lt;b&gt;e1&lt;/b&gt;" in text
    assert "<i>" not in text and "&lt;i&gt;경제&lt;/i&gt;" in text
    assert "<table" in text and "Cronbach" in text


def test_default_run_carries_the_audit(default_run):
    table = default_run.tables["audit"]
    assert set(table["indicator"][table["level"] == "indicator"]) == {i.key for i in default_run.indicators}
    dims = table[table["level"] == "dimension"].set_index("dimension")
    assert list(dims.index) == list(DIMENSIONS)
    # On the bundled data civic is coherent. Capacity's two indicators pulled against each other
    # (α = −2.41) while staff per resident measured smallness; adjusted for log population
    # (scoring.adjust in the default) they no longer do.
    assert dims.at["civic", "alpha"] > 0.75
    assert dims.at["capacity", "alpha"] > 0
    assert pd.isna(dims.at["capacity", "against_rest"]) or not dims.at["capacity", "against_rest"]
    assert ((dims["pc1_share"] > 0.4) & (dims["pc1_share"] <= 1)).all()
    section = next(s for s in default_run.sections if s.key == "audit")
    assert section.title_ko == "통계 감사" and "지방정부역량" in section.html


def test_default_run_treats_the_heavy_tailed_economy_indicators(default_run):
    table = default_run.tables["audit"].set_index("indicator")
    treated = table.loc[["grdp_per_capita", "establishments_per_1000", "net_migration_rate"]]
    assert treated["outlier"].all() and set(treated["treatment"]) <= {"winsorised", "log"}
    assert table.at["grdp_per_capita", "treatment"] == "winsorised"
    assert "11020" in table.at["grdp_per_capita", "treatment_detail"]  # 서울 중구
    assert table.at["participation_unit", "treatment"] == "skipped"  # a 0/1 flag
    # 서울 중구's GRDP per resident no longer sets the scale: its z-score was 11
    assert default_run.normalised.at["11020", "grdp_per_capita"] < 4
    assert default_run.raw.at["11020", "grdp_per_capita"] > 400  # the raw value shown is the observed one
