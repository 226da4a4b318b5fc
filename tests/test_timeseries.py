"""Type transitions: a two-year toy panel counted by hand, then the real 2015/2020 panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from typology.api.timeseries import _mixed, run_panel
from typology.api.transitions import MISSING, alluvial, changed_types, transition_matrix
from typology.errors import TypologyError


def toy_panel() -> tuple[pd.Series, pd.Series]:
    # Synthetic, labelled as such. Five units in year 1, five in year 2; "e" exists only in
    # year 1 and "f" only in year 2.
    y1 = pd.Series({"a": "S", "b": "S", "c": "R", "d": "R", "e": "R"})
    y2 = pd.Series({"a": "S", "b": "R", "c": "S", "d": "R", "f": "S"})
    return y1, y2


def test_transition_matrix_by_hand():
    # a S→S, b S→R, c R→S, d R→R, e R→(none), f (none)→S.
    y1, y2 = toy_panel()
    m = transition_matrix(y1, y2, order=["S", "R"])
    assert list(m.index) == ["S", "R", MISSING] and list(m.columns) == ["S", "R", MISSING]
    expected = pd.DataFrame([[1, 1, 0], [1, 1, 1], [1, 0, 0]], index=m.index, columns=m.columns)
    assert (m.to_numpy() == expected.to_numpy()).all()
    assert m.to_numpy().sum() == 6  # every unit once


def test_transition_matrix_keeps_unseen_categories_and_is_stable():
    y1 = pd.Series({"a": "S", "b": "S"})
    m = transition_matrix(y1, y1, order=["S", "R", "U"])
    assert list(m.index) == ["S", "R", "U"]
    assert m.loc["S", "S"] == 2 and m.to_numpy().sum() == 2
    assert m.loc["R"].sum() == 0


def test_changed_types_by_hand():
    y1, y2 = toy_panel()
    moved = changed_types(y1, y2)
    assert moved.set_index("code")[["from", "to"]].to_dict("index") == {
        "b": {"from": "S", "to": "R"}, "c": {"from": "R", "to": "S"},
        "e": {"from": "R", "to": MISSING}, "f": {"from": MISSING, "to": "S"}}


def test_mixed_years():
    assert _mixed("early_votes_local@2018;electorate_local@2014")
    assert not _mixed("votes_local@2014;electorate_local@2014")
    assert not _mixed("population@2015;population@2010")  # one variable at two years: a growth rate
    assert _mixed("income_general@2020;income_labor@2020;population@2015")


def test_alluvial_returns_a_figure():
    y1, y2 = toy_panel()
    fig = alluvial(pd.DataFrame({2015: y1, 2020: y2}), ["S", "R"])
    ax = fig.axes[0]
    # Aligned on units a–f: year 1 has S 2, R 3 and f absent; year 2 has S 3, R 2 and e absent.
    assert len(ax.patches) == 6
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["S 2", "R 3", f"{MISSING} 1", "S 3", "R 2", f"{MISSING} 1", "2015", "2020"])


@pytest.fixture(scope="module")
def panel():
    return run_panel([2015, 2020])


def test_real_panel_runs_each_year_on_the_same_units(panel):
    types = panel.types
    assert list(types.columns) == [2015, 2020]
    assert len(types) == 228 and types.notna().all().all()
    m = panel.transitions(2015, 2020, lang=None)
    assert int(m.to_numpy().sum()) == 228
    changed = panel.changed(2015, 2020)
    off_diagonal = int(m.to_numpy().sum() - np.trace(m.to_numpy()))
    assert len(changed) == off_diagonal
    assert (changed["from"] != changed["to"]).all()
    assert set(changed["code"]) == set(types.index[types[2015] != types[2020]])


def test_real_panel_reads_each_years_data(panel):
    flags = panel.flags.set_index(["year", "indicator"])
    assert flags.at[(2015, "grdp_per_capita"), "variables"] == "grdp@2015;population@2015"
    assert flags.at[(2020, "grdp_per_capita"), "variables"] == "grdp@2020;population@2020"
    assert flags.at[(2015, "local_election_turnout"), "variables"] == "votes_local@2014;electorate_local@2014"
    # Stale data are carried with a flag, never silently.
    assert flags.at[(2015, "staff_per_1000"), "status"].startswith("carried")
    assert flags.at[(2015, "maeul_per_100k"), "mixed_years"]  # a 2025 stock over the 2020 population
    assert flags.at[(2015, "participation_unit"), "same_in_all_years"]
    assert not flags.at[(2015, "grdp_per_capita"), "same_in_all_years"]
    summary = panel.summary()
    assert "staff_per_1000" in summary.at[2015, "carried"]
    assert summary.loc[2015, ["사회주도형", "자원결합형", "유형 미분류"]].sum() == 228
    # The 2015 scores differ from 2020 ones: each year is its own run.
    a, b = panel.results[2015].by_code, panel.results[2020].by_code
    assert not np.allclose(a["economy"], b["economy"])


def test_real_panel_exclude_policy_surfaces_excluded_indicators():
    panel = run_panel([2015, 2020], overrides=["data.on_year_gap=exclude"])
    flags = panel.flags.set_index(["year", "indicator"])
    assert flags.at[(2015, "staff_per_1000"), "status"].startswith("excluded")
    assert panel.results[2015].by_code["staff_per_1000"].isna().all()
    assert "staff_per_1000" in panel.summary().at[2015, "excluded"]


def test_history_and_chart(panel):
    history = panel.history("순천시")
    assert list(history.index) == [2015, 2020]
    assert history.at[2020, "type"] == panel.results[2020].by_code.at["36030", "type"]
    fig = panel.chart()
    assert fig.axes and [t.get_text() for t in fig.axes[0].texts if t.get_text() in ("2015", "2020")]


def test_panel_refuses_bad_years():
    with pytest.raises(TypologyError, match="two or more distinct"):
        run_panel([2020])
    with pytest.raises(TypologyError, match="reference_year"):
        run_panel([2015, 2020], overrides=["reference_year=2010"])
    # 2010 would need the 2005 census for the 5-year growth rate, which is not bundled.
    with pytest.raises(TypologyError, match=r"panel year 2010 .*population 2005"):
        run_panel([2010, 2020])
