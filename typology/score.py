"""Scoring: raw indicators → normalised → dimension scores → composite.

A pure function of its inputs. The steps it ran, with their parameters, are returned for
the run log so any score can be rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .aggregate import AGGREGATORS, indicator_weights, score_dimension
from .catalog import DIMENSIONS, Indicator
from .errors import TypologyError
from .normalise import NORMALISERS

WEIGHTINGS = ("equal", "explicit")


@dataclass
class Scored:
    normalised: pd.DataFrame
    scores: pd.DataFrame  # the four dimensions plus "composite"
    shares: pd.DataFrame  # share of each dimension's weight observed, per unit
    weights: pd.Series  # indicator weights in use (each dimension's sum to 1)
    steps: list[dict[str, Any]] = field(default_factory=list)


def score(raw: pd.DataFrame, chosen: list[Indicator], scoring: dict[str, Any]) -> Scored:
    steps: list[dict[str, Any]] = []
    method = scoring["normalise"]["method"]
    normaliser = NORMALISERS.get(method, "scoring.normalise.method")()
    directions = pd.Series({i.key: i.direction for i in chosen})
    normalised = normaliser.fit_transform(raw, directions)
    steps.append({"step": "normalise", "method": method, "direction_applied": True})

    aggregate = scoring["aggregate"]["method"]
    AGGREGATORS.get(aggregate, "scoring.aggregate.method")
    weighting = scoring["weights"]["method"]
    explicit = scoring["weights"]["indicators"] or {}
    if weighting not in WEIGHTINGS:
        raise TypologyError(f"config key scoring.weights.method: unknown weighting {weighting!r}; "
                            f"expected one of {', '.join(WEIGHTINGS)}")
    if weighting == "equal" and explicit:
        raise TypologyError("config key scoring.weights.indicators: given, but scoring.weights.method is 'equal'")
    unknown = [k for k in explicit if k not in raw.columns]
    if unknown:
        raise TypologyError(f"config key scoring.weights.indicators: {unknown} are not indicators in use")

    scores, shares, weights = {}, {}, {}
    for dim in DIMENSIONS:
        keys = [i.key for i in chosen if i.dimension == dim]
        if not keys:
            raise TypologyError(f"config key indicators.{dim}: every dimension needs at least one indicator")
        w = indicator_weights(keys, {k: v for k, v in explicit.items() if k in keys},
                              f"scoring.weights.indicators ({dim})")
        weights.update(w.to_dict())
        scores[dim], shares[dim] = score_dimension(normalised[keys], w, aggregate, float(scoring["min_share"]))
    frame = pd.DataFrame(scores, index=raw.index)
    dim_weights = indicator_weights(list(DIMENSIONS), scoring["weights"]["dimensions"] or {},
                                    "scoring.weights.dimensions")
    composite = AGGREGATORS.get(scoring["composite"]["method"], "scoring.composite.method")
    # The composite needs all four dimensions: a unit missing one is not ranked on three.
    frame["composite"] = composite(frame, dim_weights).where(frame.notna().all(axis=1))
    steps.append({"step": "weight", "method": weighting, "indicators": weights,
                  "dimensions": dim_weights.to_dict()})
    steps.append({"step": "aggregate", "method": aggregate, "composite": scoring["composite"]["method"],
                  "min_share": scoring["min_share"]})
    return Scored(normalised, frame, pd.DataFrame(shares, index=raw.index), pd.Series(weights), steps)
