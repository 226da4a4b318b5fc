"""gap_to's solver on small synthetic rule sets (hand-checked) and random ones (hypothesis).

Synthetic data, labelled as such: these tests check the geometry of the rules, not the
bundled data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from typology.errors import TypologyError
from typology.typologies.gap import affine_slope
from typology.typologies.gap_geometry import dimension_gap, min_norm_point
from typology.typologies.rules import RuleTypology

DIMS = ["economy", "civic", "institution", "capacity"]
AXES = {"society": {"dimensions": ["civic", "institution"]}, "resource": {"dimensions": ["economy", "capacity"]}}
UNCLASSIFIED = {"key": "unclassified", "name_ko": "미분류", "name_en": "Unclassified"}


def rules(types: list[dict], scores: pd.DataFrame) -> RuleTypology:
    return RuleTypology(axes=AXES, types=types, unclassified=UNCLASSIFIED).fit(scores)


def toy_scores() -> pd.DataFrame:
    # Unit "r": society = (-1 + -1)/2 = -1, resource = (1 + 1)/2 = 1. The others span the range.
    return pd.DataFrame({"economy": [1.0, -3.0, 3.0], "civic": [-1.0, -3.0, 3.0],
                         "institution": [-1.0, -3.0, 3.0], "capacity": [1.0, -3.0, 3.0]},
                        index=["r", "low", "high"])[DIMS]


ABC = [
    {"key": "A", "name_ko": "A", "name_en": "A", "when": {"society": ">= 0"}},
    {"key": "B", "name_ko": "B", "name_en": "B", "when": {"resource": ">= 0"}},
    {"key": "C", "name_ko": "C", "name_en": "C", "when": {}},
]


def test_own_type_is_zero():
    scores = toy_scores()
    gap = dimension_gap(scores, rules(ABC, scores), "r", "B")
    assert gap.current == "B" and gap.feasible
    assert (gap.delta == 0).all() and gap.distance == 0


def test_gap_to_an_earlier_type_by_hand():
    # Reach A: (civic + institution)/2 >= 0 from -1 → Δc + Δi >= 2; the nearest point
    # splits it equally: Δc = Δi = 1, distance √2.
    scores = toy_scores()
    gap = dimension_gap(scores, rules(ABC, scores), "r", "A")
    assert gap.feasible
    assert gap.delta["civic"] == pytest.approx(1.0, abs=1e-6)
    assert gap.delta["institution"] == pytest.approx(1.0, abs=1e-6)
    assert gap.delta["economy"] == 0 and gap.delta["capacity"] == 0
    assert gap.distance == pytest.approx(math.sqrt(2), abs=1e-6)


def test_gap_to_a_later_type_must_fail_every_earlier_type():
    # Reach C from B: fail A (society < 0: already so) and fail B (resource < 0: from 1,
    # Δe + Δk < -2 → Δe = Δk = -1).
    scores = toy_scores()
    gap = dimension_gap(scores, rules(ABC, scores), "r", "C")
    assert gap.delta["economy"] == pytest.approx(-1.0, abs=1e-6)
    assert gap.delta["capacity"] == pytest.approx(-1.0, abs=1e-6)
    assert gap.delta["civic"] == pytest.approx(0.0, abs=1e-9)
    broken = {(c.type_key, c.broken) for c in gap.constraints}
    assert broken == {("A", True), ("B", True)}


def test_earlier_type_with_two_conditions_breaks_the_cheaper_one():
    # A needs society >= -2 AND resource >= 0.5; r (society -1, resource 1) is A. To reach
    # B (resource >= 0), r must fail A: either society < -2 (cost: Δc = Δi = -1, √2) or
    # resource < 0.5 (Δe = Δk = -0.5, distance √0.5, and still resource >= 0 for B).
    types = [{"key": "A", "name_ko": "A", "name_en": "A", "when": {"society": ">= -2", "resource": ">= 0.5"}},
             {"key": "B", "name_ko": "B", "name_en": "B", "when": {"resource": ">= 0"}},
             {"key": "C", "name_ko": "C", "name_en": "C", "when": {}}]
    scores = toy_scores()
    gap = dimension_gap(scores, rules(types, scores), "r", "B")
    assert gap.current == "A"
    assert gap.delta["economy"] == pytest.approx(-0.5, abs=1e-6)
    assert gap.delta["capacity"] == pytest.approx(-0.5, abs=1e-6)
    assert gap.distance == pytest.approx(math.sqrt(0.5), abs=1e-6)


def test_observed_range_binds():
    # Civic may rise only to -0.5 (Δc <= 0.5), so institution carries the rest: Δi = 1.5.
    scores = toy_scores()
    scores.loc["high", "civic"] = -0.5
    gap = dimension_gap(scores, rules(ABC, scores), "r", "A")
    assert gap.delta["civic"] == pytest.approx(0.5, abs=1e-6)
    assert gap.delta["institution"] == pytest.approx(1.5, abs=1e-6)
    assert gap.distance == pytest.approx(math.sqrt(0.25 + 2.25), abs=1e-6)


def test_no_feasible_change_is_said():
    # With both society dimensions capped at -0.5, the society axis can reach -0.5 only.
    scores = toy_scores()
    scores.loc["high", ["civic", "institution"]] = -0.5
    gap = dimension_gap(scores, rules(ABC, scores), "r", "A")
    assert not gap.feasible
    assert "no feasible change" in gap.reason
    assert gap.delta.isna().all()


def test_a_catch_all_earlier_type_makes_later_types_unreachable():
    types = [{"key": "A", "name_ko": "A", "name_en": "A", "when": {}},
             {"key": "B", "name_ko": "B", "name_en": "B", "when": {"resource": ">= 0"}}]
    scores = toy_scores()
    gap = dimension_gap(scores, rules(types, scores), "r", "B")
    assert not gap.feasible and "no conditions" in gap.reason


def test_mean_thresholds_are_held_at_their_fitted_values():
    # society >= mean: the mean of (-1, -3, 3) is -1/3, so r needs Δc + Δi >= 2 - 2/3.
    types = [{"key": "A", "name_ko": "A", "name_en": "A", "when": {"society": ">= mean"}},
             {"key": "B", "name_ko": "B", "name_en": "B", "when": {}}]
    scores = toy_scores()
    gap = dimension_gap(scores, rules(types, scores), "r", "A")
    assert gap.delta["civic"] == pytest.approx(2 / 3, abs=1e-6)
    assert gap.delta["institution"] == pytest.approx(2 / 3, abs=1e-6)


def test_unknown_target_and_missing_scores():
    scores = toy_scores()
    model = rules(ABC, scores)
    with pytest.raises(TypologyError, match="not a type"):
        dimension_gap(scores, model, "r", "Z")
    scores.loc["r", "civic"] = np.nan
    gap = dimension_gap(scores, model, "r", "A")
    assert not gap.feasible and "civic" in gap.reason


def test_min_norm_point_by_hand():
    # x + y >= 2 (−x − y <= −2): nearest point (1, 1); with y <= 0.5: (1.5, 0.5).
    G, h = np.array([[-1.0, -1.0]]), np.array([-2.0])
    inf = np.array([np.inf, np.inf])
    assert min_norm_point(G, h, -inf, inf) == pytest.approx([1.0, 1.0])
    assert min_norm_point(G, h, -inf, np.array([np.inf, 0.5])) == pytest.approx([1.5, 0.5])
    assert min_norm_point(G, h, -inf, np.array([0.5, 0.5])) is None
    assert min_norm_point(G, np.array([1.0]), -inf, inf) == pytest.approx([0.0, 0.0])


def test_affine_slope():
    raw = pd.Series([1.0, 2.0, 4.0, np.nan])
    assert affine_slope(raw, 3 * raw - 1) == pytest.approx(3.0)
    assert affine_slope(raw, raw.rank(pct=True)) is None  # rank: not affine
    assert affine_slope(pd.Series([1.0, 1.0]), pd.Series([0.0, 0.0])) is None


# -- random rule sets: the answer reaches the target, and nothing nearer does -------------------
def first_match(points: np.ndarray, specs: list[list[tuple[str, str, float]]]) -> np.ndarray:
    """Vectorised oracle: index of the first type whose conditions all hold (len(specs) = catch-all)."""
    axes = {"society": points[:, [1, 2]].mean(axis=1), "resource": points[:, [0, 3]].mean(axis=1)}
    ops = {">=": np.greater_equal, "<": np.less, "<=": np.less_equal, ">": np.greater}
    out = np.full(len(points), len(specs))
    for j in reversed(range(len(specs))):
        holds = np.ones(len(points), dtype=bool)
        for axis, op, t in specs[j]:
            holds &= ops[op](axes[axis], t)
        out = np.where(holds, j, out)
    return out


condition = st.tuples(st.sampled_from([">=", "<", "<=", ">"]), st.floats(-1.5, 1.5))


@settings(max_examples=80, deadline=None)
@given(
    region=st.lists(st.floats(-2, 2), min_size=4, max_size=4),
    specs=st.lists(st.dictionaries(st.sampled_from(["society", "resource"]), condition, min_size=1, max_size=2),
                   min_size=1, max_size=3),
    target=st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
def test_random_rules_reach_the_target_and_nothing_nearer_does(region, specs, target, seed):
    target = min(target, len(specs))  # the last type is the catch-all
    types = [{"key": f"T{j}", "name_ko": f"T{j}", "name_en": f"T{j}",
              "when": {axis: f"{op} {t:.3f}" for axis, (op, t) in when.items()}} for j, when in enumerate(specs)]
    types.append({"key": f"T{len(specs)}", "name_ko": "rest", "name_en": "rest", "when": {}})
    scores = pd.DataFrame([region, [-2.5] * 4, [2.5] * 4], columns=DIMS, index=["r", "lo", "hi"])
    model = rules(types, scores)
    parsed = [[(c.axis, c.op, t) for c, t in zip(conds, ts)] for conds, ts in zip(model.conditions_, model.thresholds_)]
    gap = dimension_gap(scores, model, "r", f"T{target}")
    rng = np.random.default_rng(seed)
    points = rng.uniform(-2.5, 2.5, size=(20000, 4))
    hits = first_match(points, parsed) == target
    s = scores.loc["r"].to_numpy()
    if gap.feasible:
        after = gap.after.to_numpy()
        assert first_match(after[None, :], parsed)[0] == target
        assert np.all(after >= -2.5 - 1e-9) and np.all(after <= 2.5 + 1e-9)
        if hits.any():
            nearest = np.min(np.linalg.norm(points[hits] - s, axis=1))
            assert gap.distance <= nearest + 1e-6
    else:
        assert not hits.any()
