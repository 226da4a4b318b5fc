"""Leave-one-out's matrix path (typology/validity/dropped.py) against the full re-scoring it stands in for.

The matrix path must give the full path's dimension scores bit for bit wherever ``matrix_blocker``
lets it run: on generated runs under every scoring setting it accepts, and on the bundled default.
Each of its rounding conditions has a constructed example where the matrix path, forced, would
round differently; there the guarded path must still equal the full one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from typology.core.catalog import DIMENSIONS, Indicator
from typology.core.settings import ScoringSettings
from typology.errors import TypologyError
from typology.scoring.impute import IMPUTERS
from typology.scoring.normalise import NORMALISERS
from typology.scoring.score import score
from typology.scoring.treat import TREATMENTS
from typology.validity.dropped import matrix_blocker, matrix_rescored, rescored
from typology.validity.validity import leave_one_out_rows


def _same(full: tuple[pd.DataFrame, pd.DataFrame], fast: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The same dimension scores, bit for bit, and the same normalised indicators."""
    (dims, norm), (fast_dims, fast_norm) = full, fast
    assert list(fast_dims.columns) == list(dims.columns) and fast_dims.index.equals(dims.index)
    for dim in dims.columns:
        a, b = dims[dim].to_numpy(), fast_dims[dim].to_numpy()
        assert np.array_equal(a, b, equal_nan=True), (dim, np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b)))))
    pd.testing.assert_frame_equal(fast_norm, norm, check_exact=True)


def _outcome(call, *args):
    try:
        return call(*args)
    except TypologyError as exc:  # e.g. pca cannot weight a dimension: both paths must say so alike
        return str(exc)


def _build(sizes: dict[str, int], rng: np.random.Generator, n: int, heavy: set[str] = frozenset(),
           levels: dict[str, str] | None = None, directions: dict[str, int] | None = None,
           missing: float = 0.0, order: list[str] | None = None) -> tuple[pd.DataFrame, list[Indicator], pd.DataFrame]:
    """Synthetic units (never real regions): indicators ``eco0, eco1, …`` per dimension, heavy-tailed if named
    in ``heavy`` (so that treatment rewrites them), 0/1 flags where ``levels`` says binary."""
    levels, directions = levels or {}, directions or {}
    chosen = [Indicator(f"{d[:3]}{j}", {"dimension": d, "direction": directions.get(f"{d[:3]}{j}", 1),
                                        "level": levels.get(f"{d[:3]}{j}", "continuous")})
              for d in DIMENSIONS for j in range(sizes[d])]
    if order:
        chosen = [next(i for i in chosen if i.key == k) for k in order]
    columns = {}
    for ind in chosen:
        if ind.level == "binary":
            x = (rng.random(n) < 0.3).astype(float)
        else:
            x = rng.lognormal(0, 2, n) if ind.key in heavy else rng.normal(10, 1, n)
        x[rng.random(n) < missing] = np.nan
        columns[ind.key] = x
    index = pd.Index([f"u{j:03d}" for j in range(n)], name="code")
    groups = np.where(np.arange(n) % 2 == 0, "시", "군")
    context = pd.DataFrame({"log_population": rng.normal(11, 1, n), "class": groups, "sido": groups}, index=index)
    return pd.DataFrame(columns, index=index), chosen, context


@st.composite
def runs(draw):
    """A run's indicators and scoring settings: anything ``matrix_blocker`` may accept, and some it refuses."""
    n = draw(st.integers(20, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = {d: draw(st.integers(1, 4)) for d in DIMENSIONS}
    keys = [f"{d[:3]}{j}" for d in DIMENSIONS for j in range(sizes[d])]
    some = st.lists(st.sampled_from(keys), unique=True, max_size=4)
    order = draw(st.permutations(keys)) if draw(st.integers(0, 4)) == 0 else None
    raw, chosen, context = _build(sizes, rng, n, heavy=set(draw(some)), levels=dict.fromkeys(draw(some), "binary"),
                                  directions=dict.fromkeys(draw(some), -1), missing=draw(st.sampled_from([0, 0.1])),
                                  order=order)
    positive = draw(st.booleans())  # the geometric mean needs positive values
    method = draw(st.sampled_from(["percentile", "rank"] if positive else
                                  ["zscore", "minmax", "rank", "percentile", "distance_to_mean"]))
    adjusted = draw(some)
    weights = draw(st.sampled_from(["equal", "explicit", "pca"]))
    scoring = ScoringSettings.of({
        "impute": {"method": draw(st.sampled_from(["none", "mean", "median", "group_mean", "group_median", "knn"]))},
        "treat": {"method": draw(st.sampled_from(["none", "winsorise", "log"]))},
        "normalise": {"method": method, "discrete": draw(st.sampled_from(["latent", "plain"])),
                      "within": draw(st.sampled_from([None, "class"]))},
        "adjust": {"covariates": [draw(st.sampled_from(["log_population", "sido"]))] if adjusted else [],
                   "indicators": adjusted},
        "weights": {"method": weights, "indicators": {k: draw(st.sampled_from([0.5, 1.0, 3.0])) for k in keys}
                    if weights == "explicit" else {}},
        "aggregate": {"method": "geometric" if positive and draw(st.booleans()) else "arithmetic"},
        "min_share": draw(st.sampled_from([0.0, 0.5, 1.0]))})
    return raw, chosen, scoring, context


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_matrix_path_gives_the_full_rescoring_bit_for_bit(run):
    raw, chosen, scoring, context = run
    groups = context["sido"]
    base = _outcome(score, raw, chosen, scoring, groups, DIMENSIONS, context)
    if isinstance(base, str):
        return  # settings this run cannot score with (pca with a constant flag): nothing to leave out
    for ind in chosen:
        if sum(i.dimension == ind.dimension for i in chosen) < 2:
            continue  # a dimension's only indicator is never dropped
        full = _outcome(rescored, ind.key, chosen, raw, scoring, groups, context)
        fast = _outcome(rescored, ind.key, chosen, raw, scoring, groups, context, base.normalised, base.scores)
        if isinstance(full, str) or isinstance(fast, str):
            assert fast == full
        else:
            _same(full, fast)


def _constructed(case: str) -> tuple[pd.DataFrame, list[Indicator], pd.DataFrame, ScoringSettings, str]:
    """A run where the matrix path, forced, rounds differently from the full path (checked when written)."""
    rng = np.random.default_rng(0)
    sizes = {"economy": 3, "civic": 2, "institution": 2, "capacity": 2}
    adjust: dict = {"covariates": [], "indicators": []}
    if case == "dimension keeps three":  # eco1 is rewritten (log): in the run's table eco0 | eco2, eco3
        raw, chosen, context = _build({**sizes, "economy": 4}, rng, 200, heavy={"eco1"})
        key = "eco1"
    elif case == "dimensions interleaved":  # civ0, between economy's columns, is rewritten in the run only
        order = ["eco0", "civ0", "eco1", "eco2", "civ1", "ins0", "ins1", "cap0", "cap1"]
        raw, chosen, context = _build(sizes, rng, 200, heavy={"civ0"}, order=order)
        key = "civ0"
    else:  # the adjustment's copy regroups economy in the run; without civ0 nothing is adjusted
        raw, chosen, context = _build(sizes, rng, 200, heavy={"eco0"})
        adjust, key = {"covariates": ["log_population"], "indicators": ["civ0"]}, "civ0"
    return raw, chosen, context, ScoringSettings.of({"treat": {"method": "log"}, "adjust": adjust}), key


@pytest.mark.parametrize("case, blocker", [("dimension keeps three", "economy keeps 3 indicators"),
                                           ("dimensions interleaved", "not side by side"),
                                           ("adjustment switched off", "only indicator adjusted")])
def test_each_rounding_condition_sends_its_example_down_the_full_path(case, blocker):
    raw, chosen, context, scoring, key = _constructed(case)
    base = score(raw, chosen, scoring, context=context)
    assert blocker in matrix_blocker(scoring, chosen, key, list(base.normalised.columns))
    full = rescored(key, chosen, raw, scoring, None, context)
    _same(full, rescored(key, chosen, raw, scoring, None, context, base.normalised, base.scores))
    # Without the condition the matrix path would be used, and here it rounds differently.
    forced, _ = matrix_rescored(key, chosen, raw, scoring, base.normalised, base.scores)
    assert not np.array_equal(forced.to_numpy(), full[0].to_numpy(), equal_nan=True)


def test_methods_that_read_other_indicators_take_the_full_path():
    chosen = [Indicator(f"i{j}", {"dimension": d, "direction": 1, "level": "continuous"})
              for j, d in enumerate(DIMENSIONS * 2)]
    chosen.sort(key=lambda i: DIMENSIONS.index(i.dimension))
    columns = [i.key for i in chosen]
    assert matrix_blocker(ScoringSettings.of({}), chosen, "i0", columns) is None
    for method in ("knn", "regression"):
        reason = matrix_blocker(ScoringSettings.of({"impute": {"method": method}}), chosen, "i0", columns)
        assert reason == f"scoring.impute.method {method} does not work indicator by indicator"
    assert not any(IMPUTERS.get(m, "").columnwise for m in ("knn", "regression"))
    assert all(NORMALISERS.get(m, "").columnwise for m in NORMALISERS.names())
    assert all(TREATMENTS.get(m, "").columnwise for m in TREATMENTS.names())
    assert "other columns" in matrix_blocker(ScoringSettings.of({}), chosen, "i0", [*columns, "extra"])


def test_default_run_leave_one_out_is_the_same_on_the_matrix_path(default_run):
    res = default_run
    raw, chosen, scoring = res.raw, list(res.indicators), res.settings.scoring
    context = res.tables["unit_attributes"].set_index("code")
    groups = res.units.set_index("code")["sido_code"]
    # Every indicator but the one adjusted takes the matrix path (the time the audit saves).
    blocked = {i.key for i in chosen if matrix_blocker(scoring, chosen, i.key, list(res.normalised.columns))}
    assert blocked == {"staff_per_1000"}
    for ind in chosen:
        _same(rescored(ind.key, chosen, raw, scoring, groups, context),
              rescored(ind.key, chosen, raw, scoring, groups, context, res.normalised, res.scores))
    types = res.typed["type"].where(res.typed["type"] != res.settings.typology.unclassified["key"])
    names = dict(zip(res.units["code"], res.units["name_ko"]))
    full_changed: dict[str, list[str]] = {}
    fast_changed: dict[str, list[str]] = {}
    full = leave_one_out_rows(raw, chosen, res.settings, res.catalog, types, context, groups, names,
                              changed_codes=full_changed)
    fast = leave_one_out_rows(raw, chosen, res.settings, res.catalog, types, context, groups, names,
                              changed_codes=fast_changed, normalised=res.normalised, scores=res.scores)
    assert fast == full and fast_changed == full_changed
    assert sum(r["value"] or 0 for r in full) > 0  # some indicator changes some type: the comparison has teeth
