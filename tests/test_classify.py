from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typology.errors import TypologyError
from typology.typologies.rules import Condition, RuleTypology

AXES = {"society": {"name_ko": "사회 축", "dimensions": ["civic", "institution"]},
        "resource": {"name_ko": "자원 축", "dimensions": ["economy", "capacity"]}}
TYPES = [{"key": "society_led", "name_ko": "사회주도형", "name_en": "Society-led", "when": {"society": ">= mean"}},
         {"key": "resource_combining", "name_ko": "자원결합형", "name_en": "Resource-combining", "when": {}}]
UNCLASSIFIED = {"key": "unclassified", "name_ko": "유형 미분류", "name_en": "Unclassified"}


def scores(rows):
    return pd.DataFrame(rows, columns=["economy", "civic", "institution", "capacity"],
                        index=[f"u{i}" for i in range(len(rows))])


def model(types=TYPES):
    return RuleTypology(AXES, types, UNCLASSIFIED)


def test_exactly_at_the_threshold_is_society_led():
    # society axes: -1, 0, +1 → mean 0; the unit exactly at 0 satisfies ">= mean".
    frame = scores([[0, -1, -1, 0], [0, 0, 0, 0], [0, 1, 1, 0]])
    out = model().fit_predict(frame)
    assert out["type"].tolist() == ["resource_combining", "society_led", "society_led"]
    strict = [{**TYPES[0], "when": {"society": "> mean"}}, TYPES[1]]
    assert model(strict).fit_predict(frame)["type"].tolist() == ["resource_combining"] * 2 + ["society_led"]


def test_reason_gives_axis_components_threshold_and_type():
    frame = scores([[0.5, 1.10, 0.54, 0.1], [0, -1.10, -0.54, 0]])
    out = model().fit_predict(frame)
    assert out.at["u0", "reason"] == "사회 축 +0.82 (civic +1.10, institution +0.54) ≥ 평균 +0.00 → 사회주도형"
    assert out.at["u1", "reason"].endswith("< 평균 +0.00 → 자원결합형")


def test_missing_axis_is_unclassified_with_reason():
    frame = scores([[0, np.nan, 1, 0], [0, 1, 1, 0], [0, -1, -1, 0]])
    out = model().fit_predict(frame)
    assert out.at["u0", "type"] == "unclassified"
    assert "society" in out.at["u0", "reason"]
    assert out.loc[["u1", "u2"], "type"].tolist() == ["society_led", "resource_combining"]


def test_offsets_medians_and_absolute_thresholds():
    c = Condition.parse("society", ">= median + 0.25", "t")
    assert (c.ref, c.offset) == ("median", 0.25)
    assert Condition.parse("society", "< mean - 1", "t").offset == -1.0
    assert Condition.parse("society", ">= 0.5", "t").threshold(pd.Series([9.0])) == 0.5


@pytest.mark.parametrize("text", ["=> mean", "above mean", ">= mean * 2", ">= 0.5 + 1"])
def test_bad_conditions_are_clear_errors(text):
    with pytest.raises(TypologyError, match="typology.types"):
        model([{**TYPES[0], "when": {"society": text}}, TYPES[1]]).fit(scores([[0, 0, 0, 0]]))


def test_unknown_axis_and_duplicate_keys():
    with pytest.raises(TypologyError, match="unknown axis"):
        model([{**TYPES[0], "when": {"culture": ">= mean"}}]).fit(scores([[0, 0, 0, 0]]))
    with pytest.raises(TypologyError, match="duplicate type keys"):
        model([TYPES[0], TYPES[0]]).fit(scores([[0, 0, 0, 0]]))


QUADRANTS = [
    {"key": "society_led", "name_ko": "사회주도형", "name_en": "S",
     "when": {"society": ">= mean", "resource": "< mean"}},
    {"key": "resource_combining", "name_ko": "자원결합형", "name_en": "R",
     "when": {"society": "< mean", "resource": ">= mean"}},
    {"key": "dual", "name_ko": "겸비형 (확장)", "name_en": "D", "extension": True,
     "when": {"society": ">= mean", "resource": ">= mean"}},
    {"key": "base", "name_ko": "기반조성형 (확장)", "name_en": "B", "extension": True,
     "when": {"society": "< mean", "resource": "< mean"}},
]


def test_quadrants_exactly_at_both_thresholds():
    # economy=capacity → resource axis; civic=institution → society axis; both means are 0.
    frame = scores([[0, 0, 0, 0], [1, 1, 1, 1], [-1, -1, -1, -1], [1, -1, -1, 1], [-1, 1, 1, -1]])
    out = model(QUADRANTS).fit_predict(frame)
    # the unit at (0, 0) is ≥ mean on both axes → the dual quadrant; every unit finds a quadrant
    assert out["type"].tolist() == ["dual", "dual", "base", "resource_combining", "society_led"]
    assert out.at["u0", "reason"].endswith(
        "사회 축 +0.00 (civic +0.00, institution +0.00) ≥ 평균 +0.00; "
        "자원 축 +0.00 (economy +0.00, capacity +0.00) ≥ 평균 +0.00 → 겸비형 (확장)")


def test_median_threshold_is_inclusive_at_the_median():
    frame = scores([[0, -3, -3, 0], [0, 0.5, 0.5, 0], [0, 0.7, 0.7, 0], [0, 5, 5, 0], [0, 9, 9, 0]])
    types = [{**TYPES[0], "when": {"society": ">= median + 0.2"}}, TYPES[1]]
    out = model(types).fit_predict(frame)
    # median of society = 0.7; threshold 0.9: 0.7 is below, 5 and 9 above
    assert out["type"].tolist() == ["resource_combining"] * 3 + ["society_led"] * 2
    assert "≥ 중앙값 +0.90" in out.at["u3", "reason"]


def test_unknown_key_in_a_type_is_an_error():
    with pytest.raises(TypologyError, match=r"typology.types\[0\]: unknown key\(s\) \['polcy_ko'\]"):
        model([{**TYPES[0], "polcy_ko": "x"}, TYPES[1]]).fit(scores([[0, 0, 0, 0]]))


DIMS = ["economy", "civic", "institution", "capacity"]


# Every check of the axes and types with its exact message (the checks were split out of one method).
@pytest.mark.parametrize(("axes", "types", "unclassified", "message"), [
    ({}, TYPES, UNCLASSIFIED,
     "config key typology.axes: expected a mapping of axis name → {dimensions: [...]}"),
    ({**AXES, "culture": {"dimensions": ["culture"]}}, TYPES, UNCLASSIFIED,
     f"config key typology.axes.culture.dimensions: expected a list drawn from {DIMS}, got ['culture']"),
    ({**AXES, "culture": "civic"}, TYPES, UNCLASSIFIED,
     f"config key typology.axes.culture.dimensions: expected a list drawn from {DIMS}, got None"),
    (AXES, [], UNCLASSIFIED, "config key typology.types: expected a list of types with key, name_ko and when"),
    (AXES, {"society_led": TYPES[0]}, UNCLASSIFIED,
     "config key typology.types: expected a list of types with key, name_ko and when"),
    (AXES, [TYPES[0], {"key": "x", "name_ko": "엑스"}], UNCLASSIFIED,
     "config key typology.types[1]: each type needs key, name_ko and name_en"),
    (AXES, [TYPES[0], "x"], UNCLASSIFIED, "config key typology.types[1]: each type needs key, name_ko and name_en"),
    (AXES, [{**TYPES[0], "when": [">= mean"]}], UNCLASSIFIED,
     "config key typology.types[0].when: expected a mapping axis → condition"),
    (AXES, [{**TYPES[0], "when": {"culture": ">= mean"}}], UNCLASSIFIED,
     "config key typology.types[0].when.culture: unknown axis; expected one of ['society', 'resource']"),
    (AXES, [TYPES[0], TYPES[0]], UNCLASSIFIED,
     "config key typology.types: duplicate type keys in ['society_led', 'society_led']"),
    (AXES, TYPES, {**UNCLASSIFIED, "key": "society_led"},
     "config key typology.unclassified.key: clashes with a type key"),
])
def test_each_rule_check_says_what_it_said(axes, types, unclassified, message):
    with pytest.raises(TypologyError) as caught:
        RuleTypology(axes, types, unclassified).check(DIMS)
    assert str(caught.value) == message


finite = st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 1))  # rounding makes ties at thresholds common


@given(st.lists(st.tuples(finite, finite, finite, finite), min_size=2, max_size=25),
       st.sampled_from([">= mean", "> mean", "< median", "<= median + 0.1", ">= 0.5"]))
@settings(max_examples=60, deadline=None)
def test_vectorised_assign_matches_predict(rows, condition):
    """The bootstrap's fast path must make exactly the decisions the readable path makes."""
    frame = scores([list(r) for r in rows])
    frame.iloc[0, 1] = np.nan if len(rows) > 3 else frame.iloc[0, 1]
    types = [{**TYPES[0], "when": {"society": condition}}, {**TYPES[1], "when": {"resource": ">= mean"}}]
    m = model(types).fit(frame)
    assert m.assign(m.axis_scores(frame)).tolist() == m.predict(frame)["type"].tolist()
