"""The faster indicator, audit and typing steps give the numbers and words of the code they replace.

``reference_before`` keeps the replaced code: the parts' sum and the pivot-table column of
``transform``, the Series correlation of ``audit``, ``explain``/``position`` reading a frame row per
unit; the bootstrap is compared with its own frame path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from typology.core.catalog import DIMENSIONS, load_catalog
from typology.data.transform import YearPolicy, _sum, compute_indicators
from typology.scoring.audit import _corr, _corr_values
from typology.typologies.rules import rule_model
from typology.typologies.stability import Draw, bootstrap

from . import reference_before as before
from .typology_synth import AXES, TYPES, UNCLASSIFIED

# Values where the order of a sum shows (1e16 + 1 - 1e16), signed zeros, and missing ones
NUMBER = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e16, -1e16, 0.1, 0.2, 0.3, 3e-17, np.inf, -np.inf]),
                   st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan")))


@settings(max_examples=300, deadline=None)
@given(parts=st.integers(1, 5).flatmap(lambda k: st.lists(st.lists(NUMBER, min_size=k, max_size=k), min_size=1,
                                                            max_size=12)))
def test_sum_of_parts_is_the_frame_sum_bit_for_bit(parts):
    columns = [pd.Series([row[j] for row in parts], index=[f"c{i}" for i in range(len(parts))], dtype=float)
               for j in range(len(parts[0]))]
    got = _sum(list(range(len(columns))), lambda r: columns[r])
    want = before.parts_sum(columns)
    assert np.array_equal(np.signbit(got.to_numpy()), np.signbit(want.to_numpy()))
    pd.testing.assert_series_equal(got, want, check_exact=True)


CATALOG = load_catalog()
INDICATORS = [i for i in CATALOG.indicators.values() if i.kind in ("ratio", "value", "growth")][:12]
VARIABLE_NAMES = sorted({r.variable for i in INDICATORS for r in i.refs()})


@settings(max_examples=80, deadline=None)
@given(cells=st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.sampled_from(VARIABLE_NAMES),
                                 st.integers(2012, 2022), NUMBER), min_size=1, max_size=60),
       reference=st.integers(2012, 2022))
def test_indicator_columns_are_the_pivot_table_columns(cells, reference):
    variables = pd.DataFrame(cells, columns=["code", "variable", "year", "value"])
    codes = pd.Index(["A", "B", "C", "D", "E"], name="code")
    observed = variables[variables["value"].notna()]
    for (variable, year), _ in observed.groupby(["variable", "year"]):
        got = compute_indicators(variables, [_value_of(variable, year)], codes, YearPolicy(reference))[0]
        want = before.wide_column(variables, codes, variable, year).replace([np.inf, -np.inf], np.nan)
        np.testing.assert_array_equal(got.iloc[:, 0].to_numpy(), want.to_numpy())
    # and whole indicators, whose formulas read several columns
    usable = [i for i in INDICATORS if all(r.variable in set(observed["variable"]) for r in i.refs())]
    if usable:
        try:
            raw, _ = compute_indicators(variables, usable, codes, YearPolicy(reference))
        except Exception as exc:  # a year a formula needs is missing: the message names it
            assert "needs" in str(exc)
        else:
            assert list(raw.columns) == [i.key for i in usable] and raw.index.equals(codes)


def _value_of(variable: str, year: int):
    from typology.core.catalog import Indicator

    return Indicator(f"{variable}_{year}", {"dimension": "civic", "direction": 1, "kind": "value",
                                            "variable": {"variable": variable, "year": year}})


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(NUMBER, NUMBER), max_size=40), shift=st.booleans())
def test_audit_correlation_is_the_series_correlation(pairs, shift):
    x = pd.Series([p[0] for p in pairs], dtype=float).replace([np.inf, -np.inf], np.nan)
    y = pd.Series([p[1] for p in pairs], dtype=float).replace([np.inf, -np.inf], np.nan)
    if shift:  # indexes that differ: aligned first, as before
        y.index = y.index + 1
    got, want = _corr(x, y), before.corr(x, y)
    assert (np.isnan(got) and np.isnan(want)) or got == want
    if not shift:
        got = _corr_values(x.to_numpy(), y.to_numpy())
        assert (np.isnan(got) and np.isnan(want)) or got == want


SCORE = st.one_of(st.floats(-3, 3, allow_nan=False), st.sampled_from([0.005, -0.005, 0.125, 2.675, -0.0]),
                  st.just(float("nan")))
WHEN = [{"society": ">= mean"}, {"society": "< median - 0.25", "resource": ">= 0.5"}, {"resource": "> mean + 0.1"}]


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.lists(SCORE, min_size=4, max_size=4), min_size=1, max_size=25),
       when=st.sampled_from(WHEN), names=st.booleans())
def test_explain_and_position_give_the_words_of_the_row_by_row_version(rows, when, names):
    scores = pd.DataFrame(rows, columns=list(DIMENSIONS), index=[f"{11000 + i}" for i in range(len(rows))])
    spec = {"axes": AXES, "types": [{**TYPES[0], "when": when}, TYPES[1]], "unclassified": UNCLASSIFIED}
    dims = {d: f"{d}_ko" for d in DIMENSIONS} if names else None
    new = rule_model(spec, dims).fit(scores)
    old = before.RulesBefore(spec["axes"], spec["types"], spec["unclassified"], dims).fit(scores)
    pd.testing.assert_frame_equal(new.explain(scores), old.explain(scores), check_exact=True)
    pd.testing.assert_series_equal(new.position(scores), old.position(scores), check_exact=True)


@settings(max_examples=60, deadline=None)
@given(groups=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=2, max_size=30), seed=st.integers(0, 99),
       flips=st.integers(0, 5))
def test_bootstrap_of_draws_is_the_bootstrap_of_frames(groups, seed, flips):
    codes = pd.Index([f"{20000 + i}" for i in range(len(groups))], name="code")
    ref = pd.Series(groups, index=codes)
    labels = np.array(sorted(set(groups)), dtype=object)

    def typed(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        distinct = np.unique(positions)
        # a replicate's groups: the reference ones, some moved by the draw (a stand-in for refitting)
        hits = np.searchsorted(labels, ref.to_numpy()[distinct])
        hits[: min(flips, len(hits))] = (hits[: min(flips, len(hits))] + positions[0]) % len(labels)
        return distinct, hits

    def as_frame(positions):
        distinct, hits = typed(positions)
        return pd.DataFrame({"group": labels[hits], "type": labels[hits]}, index=codes[distinct])

    def as_draw(positions):
        distinct, hits = typed(positions)
        return Draw(distinct, hits, labels[hits])

    slow, fast = bootstrap(ref, ref, as_frame, 15, seed), bootstrap(ref, ref, as_draw, 15, seed)
    pd.testing.assert_series_equal(fast.probability, slow.probability, check_exact=True)
    pd.testing.assert_series_equal(fast.draws, slow.draws, check_exact=True)
    pd.testing.assert_series_equal(fast.jaccard, slow.jaccard, check_exact=True)
