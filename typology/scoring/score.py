"""Scoring: raw indicators → imputed → treated → normalised → weighted → dimension scores → composite.

The OECD/JRC Handbook's steps in its order, each a method chosen by name from one registry
per step (``scoring.<step>.method``) with its parameters from the same config block. A pure
function of its inputs; the steps it ran, with their parameters and what they changed, are
returned for the run log so any score can be rebuilt. Weighting (``weigh``) and one dimension's
score (``dimension_score``) are functions of their own: the validity audit's leave-one-out
(``validity.dropped``) calls them on the run's normalised table, so each formula has one home.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.catalog import DIMENSIONS, Indicator
from ..core.registry import Registry
from ..core.settings import ScoringSettings, StepSettings
from ..errors import TypologyError
from .adjust import residualise
from .aggregate import aggregate, score_dimension
from .groupnorm import normalise_block, normalise_within
from .impute import IMPUTERS
from .normalise import NORMALISERS
from .treat import TREATMENTS, Treatment
from .weights import WEIGHTINGS


@dataclass
class Scored:
    normalised: pd.DataFrame
    scores: pd.DataFrame  # the four dimensions plus "composite"
    shares: pd.DataFrame  # share of each dimension's weight observed, per unit
    weights: pd.Series  # indicator weights in use (each dimension's sum to 1)
    steps: list[dict[str, Any]] = field(default_factory=list)
    imputed: pd.DataFrame | None = None  # True where a missing cell was filled
    treated: pd.DataFrame | None = None  # the values that were normalised (after imputation and treatment)
    treatments: list[Treatment] = field(default_factory=list)
    dimension_weights: pd.Series | None = None
    impute_method: str = ""  # scoring.impute.method as run
    adjustment: dict[str, Any] | None = None  # scoring.adjust's record (covariates, fit per indicator), if any

    def flags(self) -> pd.DataFrame:
        """Per unit: the indicators whose value was imputed (``;``-separated, empty if none)."""
        imputed = self.imputed if self.imputed is not None else self.normalised.notna() & False
        listed = [";".join(c for c, hit in zip(imputed.columns, row) if hit) for row in imputed.to_numpy(dtype=bool)]
        return pd.DataFrame({"imputed_indicators": listed}, index=imputed.index)


def build(registry: Registry[type], step: StepSettings | Mapping[str, Any], key: str) -> tuple[Any, dict[str, Any]]:
    """The object named by the step's method, given the parameters of its block that it takes."""
    block = step.block() if isinstance(step, StepSettings) else step
    cls = registry.get(block.get("method"), f"{key}.method")
    accepted = inspect.signature(cls).parameters
    params = {k: v for k, v in block.items() if k != "method" and k in accepted and v is not None}
    return cls(**params), params


def score(raw: pd.DataFrame, chosen: list[Indicator], scoring: ScoringSettings | Mapping[str, Any],
          groups: pd.Series | None = None, dimensions: Sequence[str] = DIMENSIONS,
          context: pd.DataFrame | None = None) -> Scored:
    """``raw``: one row per unit, one column per indicator; ``groups``: each unit's 시도 code.

    ``dimensions``: the dimensions scored, in order (the study's four unless ``score_frame`` says).
    ``context``: per-unit attributes (log_population, class, sido, peer_group) that
    ``scoring.adjust`` regresses on and ``scoring.normalise.within`` groups by. ``scoring``: the
    run's settings, or a ``scoring`` section (missing keys take the schema's defaults).
    """
    if not isinstance(scoring, ScoringSettings):
        scoring = ScoringSettings.of(scoring)
    raw = raw.astype(float)
    steps: list[dict[str, Any]] = []
    dimension_of = {i.key: i.dimension for i in chosen}
    for dim in dimensions:
        if dim not in dimension_of.values():
            raise TypologyError(f"config key indicators.{dim}: every dimension needs at least one indicator")
    observed = raw.notna()

    imputer, params = build(IMPUTERS, scoring.impute, "scoring.impute")
    filled = imputer.fit_transform(raw, groups)
    imputed = ~observed & filled.notna()
    steps.append({"step": "impute", "method": scoring.impute.method, "params": params,
                  "imputed": {k: int(v) for k, v in imputed.sum().items() if v}, **imputer.details()})

    treater, params = build(TREATMENTS, scoring.treat, "scoring.treat")
    treated = treater.fit(raw).transform(filled)
    steps.append({"step": "treat", "method": scoring.treat.method, "params": params,
                  "indicators": [t.as_step() for t in treater.report_ if t.outlier]})

    treated, adjusted = adjust_step(treated, scoring, context)
    if adjusted:
        steps.append({"step": "adjust", **adjusted})
    normalised, step = normalise_step(treated, chosen, scoring.normalise, context)
    steps.append(step)

    weights, dim_weights, details = weigh(normalised, dimension_of, dimensions, scoring.weights)
    steps.append({"step": "weight", "method": scoring.weights.method, "indicators": weights.to_dict(),
                  "dimensions": dim_weights.to_dict(), **({"pca": details} if details else {})})

    method, composite_method = scoring.aggregate.method, scoring.composite.method
    min_share = scoring.min_share
    scores, shares = {}, {}
    for dim in dimensions:
        keys = [k for k in raw.columns if dimension_of[k] == dim]
        scores[dim], shares[dim] = dimension_score(normalised, observed, weights, keys, scoring)
    frame = pd.DataFrame(scores, index=raw.index)
    # The composite needs all four dimensions: a unit missing one is not ranked on three.
    frame["composite"] = aggregate(frame, dim_weights, composite_method,
                                   "scoring.composite.method").where(frame.notna().all(axis=1))
    steps.append({"step": "aggregate", "method": method, "composite": composite_method, "min_share": min_share})
    return Scored(normalised, frame, pd.DataFrame(shares, index=raw.index), weights, steps, imputed, treated,
                  treater.report_, dim_weights, scoring.impute.method, adjusted or None)


def weigh(normalised: pd.DataFrame, dimension_of: Mapping[str, str], dimensions: Sequence[str],
          step: StepSettings) -> tuple[pd.Series, pd.Series, dict[str, Any]]:
    """``scoring.weights`` fitted on the normalised indicators: (indicator weights, dimension weights,
    the method's details, e.g. pca's loadings). Each dimension's indicator weights sum to 1."""
    weighting, _ = build(WEIGHTINGS, step, "scoring.weights")
    weighting.fit(normalised, dimension_of, list(dimensions))
    return weighting.indicator_weights_, weighting.dimension_weights_, weighting.details_


def dimension_score(normalised: pd.DataFrame, observed: pd.DataFrame, weights: pd.Series, keys: list[str],
                    scoring: ScoringSettings) -> tuple[pd.Series, pd.Series]:
    """One dimension's (score, share of its weight observed) per unit from its indicators ``keys``.

    ``observed``: True where a raw value was measured (imputed cells do not count towards ``min_share``).
    """
    return score_dimension(normalised[keys], weights[keys], scoring.aggregate.method, scoring.min_share,
                           observed=observed[keys])


def adjust_step(treated: pd.DataFrame, scoring: ScoringSettings,
                context: pd.DataFrame | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``scoring.adjust``: chosen indicators replaced by their residuals on the covariates."""
    adjust = scoring.adjust
    if not adjust.get("indicators"):
        return treated, {}
    if context is None and any(k in treated.columns for k in adjust["indicators"]):
        raise TypologyError("config key scoring.adjust: this run has no unit attributes to adjust for")
    return residualise(treated, context if context is not None else pd.DataFrame(index=treated.index), adjust)


def normalise_step(treated: pd.DataFrame, chosen: list[Indicator], step: StepSettings | Mapping[str, Any],
                   context: pd.DataFrame | None, key: str = "scoring.normalise") -> tuple[pd.DataFrame, dict[str, Any]]:
    """The normalisation step (nationally or within groups, discrete indicators scored as categories)."""
    if not isinstance(step, StepSettings):  # a block of its own: the schema's defaults fill it
        step = ScoringSettings.of({"normalise": step}).normalise
    block = step.block()
    _, params = build(NORMALISERS, block, key)
    directions = pd.Series({i.key: i.direction for i in chosen})
    discrete = [i.key for i in chosen if i.discrete and i.key in treated.columns]
    treatment = block["discrete"]

    def make() -> Any:
        return build(NORMALISERS, block, key)[0]

    within = block.get("within")
    if within:
        if context is None or within not in context.columns:
            raise TypologyError(f"config key {key}.within: no {within!r} attribute in this run")
        normalised, grouped = normalise_within(treated, directions, make, block["method"], discrete, treatment,
                                               context[within], int(block["min_group"]), f"{key}.within")
    else:
        normalised, categories = normalise_block(treated, directions, make, block["method"], discrete, treatment)
        grouped = {"discrete_scores": categories} if categories else {}
    return normalised, {"step": "normalise", "method": block["method"], "params": params, "direction_applied": True,
                        "directions": {k: int(v) for k, v in directions.items()}, "within": within,
                        "discrete": {"indicators": discrete, "treatment": treatment}, **grouped}


def score_frame(frame: pd.DataFrame, dimension_of: Mapping[str, str], directions: Mapping[str, int] | None = None,
                scoring: ScoringSettings | Mapping[str, Any] | None = None, groups: pd.Series | None = None,
                context: pd.DataFrame | None = None, levels: Mapping[str, str] | None = None) -> Scored:
    """Score any units × indicators table, e.g. 읍면동 or synthetic units (the benchmarks do).

    ``dimension_of``: column → dimension name (any names; they are scored in order of first
    appearance); ``directions``: column → 1 (higher is better, the default) or -1; ``scoring``:
    a ``scoring`` config block (default: the default config's). Columns not in ``dimension_of``
    are left out. ``levels``: column → catalogue level (binary and ordinal columns get category
    scores); ``context``: unit attributes for ``scoring.adjust`` and ``scoring.normalise.within``.
    """
    from ..core.config import load_config

    scoring = scoring or load_config(None, [])["scoring"]
    directions = directions or {}
    keys = [k for k in frame.columns if k in dimension_of]
    missing = sorted(set(dimension_of) - set(frame.columns))
    if missing:
        raise TypologyError(f"score_frame: dimension_of names columns the frame lacks: {missing}")
    levels = levels or {}
    chosen = [Indicator(str(k), {"dimension": dimension_of[k], "direction": int(directions.get(k, 1)),
                                 "level": levels.get(k, "continuous")}) for k in keys]
    dimensions = list(dict.fromkeys(dimension_of[k] for k in keys))
    return score(frame[keys], chosen, scoring, groups=groups, dimensions=dimensions, context=context)
