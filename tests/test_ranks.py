"""Ties shown as ties: shared ranks, their words, and quantile boundaries that fall inside a tie."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from typology.render.layers import score_layer
from typology.render.ranks import boundary_ties, rank_text, ranks_and_ties

# Few distinct values, so draws are full of ties; None is a missing score.
scores = st.lists(st.one_of(st.none(), st.sampled_from([-1.5, 0.0, 0.25, 2.0])), min_size=1, max_size=40)


@given(scores)
def test_rank_is_one_plus_the_better_and_tied_counts_the_equal(values):
    series = pd.Series(values, dtype=float)
    both = ranks_and_ties(series)
    for i, v in enumerate(values):
        if v is None:
            assert pd.isna(both["rank"].iat[i]) and pd.isna(both["tied"].iat[i])
        else:
            seen = [x for x in values if x is not None]
            assert both["rank"].iat[i] == 1 + sum(x > v for x in seen)
            assert both["tied"].iat[i] == sum(x == v for x in seen)


def test_rank_words_known_values():
    assert rank_text(47, 180, 228) == "공동 47위 / 228 (47–226위, 180곳 동점)"
    assert rank_text(3, 1, 228) == "3위 / 228"
    assert rank_text(5, 2) == "공동 5위 (5–6위, 2곳 동점)"
    assert rank_text(pd.NA, pd.NA) == "결측"


def test_boundary_inside_a_tie_hand_checked():
    # Ten values, seven tied at 1: the 20/40/60% quantiles all land on the tie (positions 2, 4, 6 of
    # 1..8), the 80% one between 1 and 2, outside any tie.
    values = pd.Series([0, 1, 1, 1, 1, 1, 1, 1, 2, 3], dtype=float)
    [tie] = boundary_ties(values, np.linspace(0, 1, 6)[1:-1])
    assert (tie.value, tie.tied) == (1.0, 7) and tie.quantiles == pytest.approx([0.2, 0.4, 0.6])
    assert tie.short() == "7곳 동점 +1.00: 20%·40%·60% 경계 포함 (tie)"
    assert boundary_ties(pd.Series(np.arange(10.0)), np.linspace(0, 1, 6)[1:-1]) == []


def test_score_legend_says_when_a_tie_holds_a_boundary():
    tied = score_layer("x", pd.Series([0, 1, 1, 1, 1, 1, 1, 1, 2, 3], dtype=float), "가", "A")
    assert tied.counts() == [1, 7, 2] and len(tied.notes) == 1
    assert tied.notes[0].startswith("7곳 동점 (점수 +1.00): 20%·40%·60% 분위 경계가 동점 안에")
    assert score_layer("y", pd.Series(np.arange(10.0)), "나", "B").notes == ()


def test_bundled_institution_tie_reaches_legend_popup_xlsx(default_run, default_table):
    import openpyxl

    from typology.render.layers import build_layers
    from typology.render.webmap import dimension_names, map_payload
    from typology.render.xlsx import TIED_RANK_FORMAT, workbook_bytes

    scores = default_table.set_index("code")["institution"]
    own = scores["11010"]  # 종로구, in the big tie
    rank, tied = int((scores > own).sum()) + 1, int((scores == own).sum())
    layers = build_layers(default_table, default_run.settings, dimension_names(default_run))
    institution = next(layer for layer in layers if layer.key == "institution")
    assert any(note.startswith(f"{tied}곳 동점") for note in institution.notes)
    assert all(not layer.notes for layer in layers if layer.key in ("economy", "composite", "type"))

    from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry

    payload = map_payload(default_run, default_table, attach(default_table, load_unit_geometry()),
                          load_sido_geometry(), layers)
    props = {f["properties"]["c"]: f["properties"] for f in payload["units"]["features"]}
    assert props["11010"]["rt"][2] == [f"공동 {rank}위 / 228", f"{rank}–{rank + tied - 1}위, {tied}곳 동점"]
    assert props["11010"]["rt"][0] == [f"{props['11010']['r'][0]}위 / 228", ""]
    assert props["11010"]["r"][2] == rank

    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(default_run, default_table,
                                                             pd.DataFrame(columns=["indicator"]))))
    sheet = book["점수"]
    header = [c.value for c in sheet[1]]
    column = header.index("참여제도기반 순위")
    by_code = {row[0].value: row[column] for row in sheet.iter_rows(min_row=2)}
    assert by_code["11010"].value == rank and by_code["11010"].number_format == TIED_RANK_FORMAT
    # No economy score is shared: every economy rank is a plain number.
    economy = header.index("지역경제상황 순위")
    assert default_table["economy"].dropna().is_unique
    assert {row[economy].number_format for row in sheet.iter_rows(min_row=2)} == {"0"}


def test_report_regions_table_shows_a_shared_composite_rank(default_run, default_table):
    from typology.render.report import regions_html

    table = default_table.copy()
    top = table["composite"].nlargest(2).index
    table.loc[top, "composite"] = table.loc[top, "composite"].max()  # the two best now tie
    table["composite_rank"] = table["composite"].rank(ascending=False, method="min").astype("Int64")
    page = regions_html(default_run, table)
    assert page.count(">공동 1위 (1–2위, 2곳 동점)</td>") == 2
    third = table["composite"].nlargest(3).index[2]
    assert f'data-code="{table.at[third, "code"]}"' in page and ">3</td>" in page  # a plain rank stays a number
