"""The run without one indicator, for the validity audit's leave-one-out (``validity.leave_one_out_rows``).

The full path scores the other indicators from their raw values again (``score``). The matrix path
(``matrix_rescored``) starts from the run's own normalised indicators instead: where every step
before weighting works indicator by indicator, dropping one leaves the others' normalised values
as they were, so only the weights, the score of the dropped indicator's dimension and the types
can change. It recomputes the weights and that score with the run's own functions (``weigh``,
``dimension_score``) and keeps the run's scores of the other dimensions; the caller types.

``rescored`` takes the matrix path only where it gives the full path's numbers bit for bit;
``matrix_blocker`` names what stands in the way (None when nothing does):

1. Imputation, outlier treatment and normalisation must fill, treat and normalise each indicator
   from its own values: the method's class says so (``columnwise``). knn and regression
   imputation read the other indicators, so they take the full path. Adjustment (one regression
   per indicator on unit covariates), normalising within groups, discrete category scores, any
   weighting (recomputed by ``weigh``), either aggregation and ``min_share`` need no condition.
2. The rest is about rounding. pandas keeps a table's columns in blocks and adds a row block by
   block, so a dimension score of three or more indicators depends, in the last bit, on how its
   columns lie in blocks, and that depends on which columns the scoring steps rewrote and
   whether a step copied the whole table. One or two terms add up the same in any order. So:

   * the dropped indicator's dimension keeps at most two indicators (``MAX_KEPT``): dropping a
     column that a step rewrote regroups its neighbours in the run's table, not in the re-scored one;
   * each dimension's indicators lie side by side, in the run's column order, so that dropping
     one does not regroup another dimension's columns;
   * dropping it does not switch the adjustment off (it is not the only indicator
     ``scoring.adjust`` adjusts): the adjustment copies the table, which regroups every block.

Outside these the full path runs, as before. The property test (tests/test_leave_one_out.py)
compares both paths on generated runs and settings.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..core.catalog import DIMENSIONS, Indicator
from ..core.settings import ScoringSettings, freeze
from ..scoring.impute import IMPUTERS
from ..scoring.normalise import NORMALISERS
from ..scoring.score import dimension_score, score, weigh
from ..scoring.treat import TREATMENTS

MAX_KEPT = 2  # indicators a sum may have and still give the same bits in any order


def without(scoring: ScoringSettings, key: str) -> ScoringSettings:
    """The scoring settings with one indicator gone from every place that may name it."""
    weights = scoring.weights.with_(indicators={k: v for k, v in (scoring.weights.get("indicators") or {}).items()
                                                if k != key})
    adjust = {**scoring.adjust, "indicators": [k for k in scoring.adjust.get("indicators") or [] if k != key]}
    if not adjust["indicators"]:
        adjust = {"covariates": [], "indicators": []}
    treat = scoring.treat.with_(skip=[k for k in scoring.treat.get("skip") or [] if k != key])
    posts = scoring.normalise.get("goalposts") or {}
    normalise = scoring.normalise.with_(goalposts={k: v for k, v in posts.items() if k != key})
    return replace(scoring, weights=weights, adjust=freeze(adjust), treat=treat, normalise=normalise)


def matrix_blocker(scoring: ScoringSettings, chosen: list[Indicator], key: str, columns: list[str]) -> str | None:
    """Why the matrix path cannot stand in for the full one without ``key`` (None: it can).

    ``columns``: the columns of the run's normalised table. The conditions are the module's.
    """
    for step, registry in (("impute", IMPUTERS), ("treat", TREATMENTS), ("normalise", NORMALISERS)):
        method = scoring.step(step).method
        if not getattr(registry.get(method, f"scoring.{step}.method"), "columnwise", False):
            return f"scoring.{step}.method {method} does not work indicator by indicator"
    keys = [i.key for i in chosen]
    if list(columns) != keys:
        return "the run's table holds other columns than its indicators, or in another order"
    runs = [i.dimension for j, i in enumerate(chosen) if j == 0 or chosen[j - 1].dimension != i.dimension]
    if len(runs) != len(set(runs)):
        return "the indicators of a dimension are not side by side"
    dim = chosen[keys.index(key)].dimension
    kept = sum(i.dimension == dim for i in chosen) - 1
    if kept > MAX_KEPT:
        return f"{dim} keeps {kept} indicators"
    if scoring.adjust.get("covariates") and [k for k in scoring.adjust.get("indicators") or [] if k in keys] == [key]:
        return "it is the only indicator adjusted"
    return None


def matrix_rescored(key: str, chosen: list[Indicator], raw: pd.DataFrame, scoring: ScoringSettings,
                    normalised: pd.DataFrame, scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rescored`` on the matrix path, whether or not ``matrix_blocker`` allows it (tests compare)."""
    others = [i for i in chosen if i.key != key]
    keys = [i.key for i in others]
    dimension_of = {i.key: i.dimension for i in others}
    dim = next(i.dimension for i in chosen if i.key == key)
    kept = normalised[keys]
    less = without(scoring, key)
    weights, _, _ = weigh(kept, dimension_of, DIMENSIONS, less.weights)
    new, _ = dimension_score(kept, raw[keys].notna(), weights, [k for k in keys if dimension_of[k] == dim], less)
    # A new table, made as ``score`` makes its own, so that what reads it as one array (the types)
    # gets the same array, in the same memory order.
    dims = pd.DataFrame({d: new if d == dim else scores[d] for d in DIMENSIONS}, index=scores.index)
    return dims.sort_index(), kept


def rescored(key: str, chosen: list[Indicator], raw: pd.DataFrame, scoring: ScoringSettings,
             groups: pd.Series | None, context: pd.DataFrame | None, normalised: pd.DataFrame | None = None,
             scores: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run without indicator ``key``: (dimension scores by unit code, the others' normalised values).

    ``normalised`` and ``scores``: the run's own (``Scored``), which allow the matrix path; without
    them, or where ``matrix_blocker`` says no, the others are scored again from ``raw``.
    """
    if normalised is not None and scores is not None \
            and matrix_blocker(scoring, chosen, key, list(normalised.columns)) is None:
        return matrix_rescored(key, chosen, raw, scoring, normalised, scores)
    others = [i for i in chosen if i.key != key]
    scored = score(raw[[i.key for i in others]], others, without(scoring, key), groups=groups, context=context)
    return scored.scores[list(DIMENSIONS)].sort_index(), scored.normalised
