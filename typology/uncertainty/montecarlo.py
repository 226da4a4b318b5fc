"""The Monte Carlo engine: a seeded design of replicates, and one replicate's ranks and types.

What repeats is computed once. The raw indicators come from the nominal run. Imputation,
treatment and normalisation have few alternatives, so ``prepare`` runs each combination once,
through the same registries as ``score`` (each imputer once, each treatment fitted once), and
keeps the normalised matrices with their nominal weights. A replicate then only weights (the
Dirichlet noise), aggregates, ranks and types, in NumPy: about a tenth of a millisecond with the
rules, so thousands of replicates take seconds. Cluster methods refit per replicate, through the
same estimator classes as ``classify``.

Every replicate is a pure function of its row of the design, which is drawn up front from
``uncertainty.seed``: the results are the same whether the rows run in one process, in several,
or on a Dask cluster, and in whatever chunks.

Two choices of what the uncertainty means: the data-availability rule (``scoring.min_share``)
is decided with the nominal weights, so weight noise changes how much an indicator counts, not
whether a unit has enough data to be scored; and clusters are named by the rules, so a type
means the same thing under every typology method.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS
from ..core.ranks import rank_rows
from ..core.settings import RunSettings, ScoringSettings, TypologySettings, as_settings
from ..errors import TypologyError
from ..scoring.aggregate import POSITIVE_HINT, matrix_aggregator
from ..scoring.impute import IMPUTERS
from ..scoring.score import adjust_step, build, normalise_step
from ..scoring.treat import TREATMENTS
from ..scoring.weights import WEIGHTINGS
from ..typologies.classify import TYPOLOGIES
from ..typologies.contiguity import Contiguity, ContiguityGraph
from ..typologies.rules import Condition, RuleTypology, axis_values, first_match, rule_model, thresholds_of
from .alternatives import KEY, Plan
from .datachoices import exclusion_weights
from .design import DISCRETE, Design

# --- what is computed once ----------------------------------------------------------------------------


@dataclass
class TypologyPlan:
    """The typology alternatives, ready to apply to a replicate's dimension scores."""

    axis_dims: dict[str, np.ndarray]  # per axis: positions of its dimensions in DIMENSIONS
    conditions: list[list[Condition]]  # per type, as the rules parsed them
    type_keys: list[str]  # the types in config order, then the unclassified key
    methods: list[tuple[str, type, dict[str, Any]]]  # (name, estimator class, options)
    ks: list[int]
    seed: int
    features: str
    contiguity: dict[tuple[str, ...], Contiguity] = field(default_factory=dict)

    @property
    def unclassified(self) -> int:
        return len(self.type_keys) - 1


@dataclass
class PreparedModel:
    """What every replicate shares: the normalised values of each scoring combination, their nominal
    weights and the typology alternatives."""

    codes: np.ndarray  # unit codes
    indicators: list[str]
    dim_cols: list[np.ndarray]  # per dimension: positions of its indicators
    combo: np.ndarray  # vintage × impute × treat × normalise → index into the arrays below
    Z: np.ndarray  # combos × units × indicators: normalised values (imputed cells filled)
    w_ind: np.ndarray  # combos × indicators: nominal indicator weights (each dimension's sum to 1)
    w_dim: np.ndarray  # combos × dimensions
    scored: np.ndarray  # combos × exclusions × units × dimensions: passes scoring.min_share at the nominal weights
    aggregate: list[str]
    composite: list[str]
    concentration: float | None
    typing: TypologyPlan
    exclude_cols: list[int | None] = field(default_factory=lambda: [None])  # per exclusion level: dropped column


def _wrap(step: str, i: int, label: str, exc: TypologyError) -> TypologyError:
    return TypologyError(f"{KEY}.{step}[{i}] ({label}): {exc}")


def _scoring_combos(plan: Plan, raw: pd.DataFrame, chosen: list[Any], scoring: ScoringSettings,
                    groups: pd.Series, context: pd.DataFrame | None = None
                    ) -> tuple[np.ndarray, list[pd.DataFrame], list[pd.Series], list[pd.Series]]:
    """Every impute × treat × normalise combination, each stage computed once per distinct input."""
    dimension_of = {i.key: i.dimension for i in chosen}
    filled = []
    for i, choice in enumerate(plan.steps["impute"]):
        try:
            filled.append(build(IMPUTERS, choice.block, f"{KEY}.impute[{i}]")[0].fit_transform(raw, groups))
        except TypologyError as exc:
            raise _wrap("impute", i, choice.label, exc) from None
    treaters = []
    for i, choice in enumerate(plan.steps["treat"]):
        try:
            treaters.append(build(TREATMENTS, choice.block, f"{KEY}.treat[{i}]")[0].fit(raw))
        except TypologyError as exc:
            raise _wrap("treat", i, choice.label, exc) from None
    shape = tuple(len(plan.steps[s]) for s in ("impute", "treat", "normalise"))
    combo = np.arange(int(np.prod(shape))).reshape(shape)
    normalised, w_ind, w_dim = [], [], []
    for filled_i in filled:
        for treater in treaters:
            # The nominal covariate adjustment, peer groups and category scores hold in every replicate.
            treated = adjust_step(treater.transform(filled_i), scoring, context)[0]
            for n, choice in enumerate(plan.steps["normalise"]):
                try:
                    Z = normalise_step(treated, chosen, choice.block, context, f"{KEY}.normalise[{n}]")[0]
                    weighting = build(WEIGHTINGS, scoring.weights, "scoring.weights")[0]
                    weighting.fit(Z, dimension_of, list(DIMENSIONS))
                except TypologyError as exc:
                    raise _wrap("normalise", n, choice.label, exc) from None
                normalised.append(Z[raw.columns])
                w_ind.append(weighting.indicator_weights_.reindex(raw.columns))
                w_dim.append(weighting.dimension_weights_.reindex(list(DIMENSIONS)))
    return combo, normalised, w_ind, w_dim


def _check_positive(plan: Plan, normalised: list[pd.DataFrame], combo: np.ndarray) -> None:
    geometric = [(step, i, c.label) for step in ("aggregate", "composite") for i, c in enumerate(plan.steps[step])
                 if c.block["method"] == "geometric"]
    if not geometric:
        return
    step, i, label = geometric[0]
    for n, choice in enumerate(plan.steps["normalise"]):
        Z = normalised[combo[0, 0, 0, n]]
        low = Z.min()
        if (low <= 0).any():
            col = low.index[low <= 0][0]
            raise TypologyError(
                f"config key {KEY}.{step}[{i}] ({label}): needs positive values, but the normalisation alternative "
                f"{KEY}.normalise[{n}] ({choice.label}) gives {col!r} values <= 0 (minimum {low[col]:.4g}); "
                f"{POSITIVE_HINT}, in every alternative of {KEY}.normalise")


def _typing(plan: Plan, opts: TypologySettings, scores: pd.DataFrame,
            complete_sets: set[tuple[str, ...]]) -> TypologyPlan:
    rules = rule_model(opts).fit(scores[list(DIMENSIONS)])  # validates the rules, parses the conditions
    methods = [(name, TYPOLOGIES.get(name, f"{KEY}.typology"), opts.for_method(name).options)
               for name in plan.typology]
    out = TypologyPlan(rules.positions(list(DIMENSIONS)), rules.conditions_, rules.type_keys, methods, list(plan.k),
                       opts.seed, opts.features)
    clustered = [m for _, m, _ in methods if m is not RuleTypology]
    if clustered:
        fewest = min(len(s) for s in complete_sets)
        too_big = [k for k in plan.k if k > fewest - 1]
        if too_big:
            raise TypologyError(f"config key {KEY}.k: {too_big} clusters is more than the {fewest} regions with every "
                                f"dimension score allow (at most {fewest - 1})")
    if any(m.spatial for m in clustered):
        from ..data.geometry import load_unit_geometry

        graph = ContiguityGraph(load_unit_geometry(), opts.contiguity_rule)
        out.contiguity = {s: graph.restrict(list(s), opts.islands) for s in sorted(complete_sets)}
    return out


def prepare(plan: Plan, config: RunSettings | Mapping[str, Any], raw: pd.DataFrame | list[pd.DataFrame],
            chosen: list[Any],
            groups: pd.Series, scores: pd.DataFrame, context: pd.DataFrame | None = None) -> PreparedModel:
    """Everything the replicates share. ``raw``: the nominal run's indicators, or one table per vintage
    level (``datachoices.vintage_levels``); ``chosen``, ``scores``: from the nominal run; ``context``:
    its unit attributes (for ``scoring.adjust`` and ``scoring.normalise.within``)."""
    raws = [r.astype(float) for r in (raw if isinstance(raw, list) else [raw])]
    raw = raws[0]
    settings = as_settings(config)
    scoring = settings.scoring
    parts = [_scoring_combos(plan, r, chosen, scoring, groups, context) for r in raws]
    per = parts[0][0].size
    combo = np.stack([p[0] + v * per for v, p in enumerate(parts)])
    normalised = [z for p in parts for z in p[1]]
    w_ind = [w for p in parts for w in p[2]]
    w_dim = [w for p in parts for w in p[3]]
    _check_positive(plan, normalised, combo)
    dimension_of = {i.key: i.dimension for i in chosen}
    dim_cols = [np.array([j for j, k in enumerate(raw.columns) if dimension_of[k] == d]) for d in DIMENSIONS]
    exclude_cols = [None, *[list(raw.columns).index(k) for k in plan.exclude]]
    observed = [r.notna().to_numpy() for r in raws]
    min_share = scoring.min_share
    # Whether a unit passes min_share depends on the vintage (which cells are observed) and on which
    # indicator is dropped (the weights the rest carry), never on the weight noise.
    scored = np.stack([np.stack([np.column_stack([
        (observed[c // per][:, cols] * w[0, cols]).sum(axis=1) + 1e-12 >= min_share for cols in dim_cols])
        for w in (exclusion_weights(w_ind[c].to_numpy()[None], e, dim_cols) for e in exclude_cols)])
        for c in range(len(w_ind))])
    Z = np.stack([z.to_numpy(dtype=float) for z in normalised])
    codes = raw.index.to_numpy()
    complete_sets = set()
    for c in range(len(Z)):
        for e, col in enumerate(exclude_cols):
            # A dimension score exists where the unit passes min_share and has any value in the dimension.
            has = np.column_stack([~np.isnan(Z[c][:, [j for j in cols if j != col]]).all(axis=1)
                                   for cols in dim_cols]) & scored[c, e]
            complete_sets.add(tuple(codes[has.all(axis=1)]))
    typing = _typing(plan, settings.typology, scores, complete_sets)
    return PreparedModel(codes, list(raw.columns), dim_cols, combo, Z, np.stack([w.to_numpy() for w in w_ind]),
                         np.stack([w.to_numpy() for w in w_dim]), scored,
                         [c.block["method"] for c in plan.steps["aggregate"]],
                         [c.block["method"] for c in plan.steps["composite"]], plan.concentration, typing,
                         exclude_cols)


# --- the replicates, many at once ---------------------------------------------------------------------


def dirichlet_weights(nominal: np.ndarray, u: np.ndarray | None, groups: list[np.ndarray],
                      concentration: float | None) -> np.ndarray:
    """Rows of weights ~ Dirichlet(concentration × nominal) within each group, from uniforms ``u`` (rows × weights).

    Each Gamma(concentration × w) variate is the inverse gamma CDF of its uniform, so the same
    uniforms give noise around whatever the nominal weights are (PCA weights differ by
    normalisation). A weight of 0 stays 0. Mean = the nominal weights; SD ≈ sqrt(w(1 − w) / (c + 1)).
    ``u`` None: the nominal weights in every row.
    """
    if u is None or concentration is None:
        return np.broadcast_to(nominal, (1 if u is None else len(u), len(nominal))).copy()
    from scipy.special import gammaincinv

    a = concentration * np.asarray(nominal, dtype=float)
    g = np.where(a > 0, gammaincinv(np.maximum(a, 1e-300), u), 0.0)
    g = np.where(a > 0, np.maximum(g, np.finfo(float).tiny), 0.0)
    for cols in groups:
        total = g[:, cols].sum(axis=1, keepdims=True)
        g[:, cols] = np.where(total > 0, g[:, cols] / np.where(total > 0, total, 1.0), nominal[cols])
    return g


def _composite(method: str, S: np.ndarray, V: np.ndarray) -> np.ndarray:
    """rows × units × dimensions → rows × units; NaN where any dimension is missing (the composite needs all four)."""
    out = matrix_aggregator(method, KEY)(S, V)
    return np.where(np.isnan(S).any(axis=2), np.nan, out)


def axis_rows(S: np.ndarray, typing: TypologyPlan) -> dict[str, np.ndarray]:
    """Per axis: rows × units, the mean of its dimensions; NaN if one is missing (as the rules)."""
    return axis_values(S, typing.axis_dims)


def _cluster_types(S: np.ndarray, axes: dict[str, np.ndarray], thresholds: list[list[np.ndarray]], typing: TypologyPlan,
                   method: type, options: dict[str, Any], k: int, codes: np.ndarray) -> np.ndarray:
    """One replicate (S: units × dimensions): clusters, each named by the rules through its centroid, as classify."""
    complete = ~np.isnan(S).any(axis=1)
    features = S[complete] if typing.features == "dimensions" else np.column_stack(list(axes.values()))[complete]
    X = pd.DataFrame(features, index=codes[complete])
    cont = typing.contiguity.get(tuple(codes[complete])) if method.spatial else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. k-means finding fewer distinct points than k
        labels = method(k=k, seed=typing.seed, **options).fit(X, cont).labels_
    groups = np.unique(labels)
    centroids = np.stack([S[complete][labels == g].mean(axis=0) for g in groups])
    # The centroids are typed with the thresholds of all units (those of this replicate).
    named = first_match(typing.conditions, axis_rows(centroids[None], typing), thresholds)[0]
    out = np.full(len(S), typing.unclassified, dtype=np.int8)
    out[complete] = named[np.searchsorted(groups, labels)]
    return out


@dataclass
class Replicates:
    """The outputs of a run of design rows, in row order."""

    ranks: np.ndarray  # rows × units, float32 (NaN: no composite)
    types: np.ndarray  # rows × units: index into TypologyPlan.type_keys
    weights: np.ndarray  # rows × (indicators + dimensions): the weights the replicate used

    @staticmethod
    def concat(parts: list[Replicates]) -> Replicates:
        return Replicates(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("ranks", "types", "weights")))

    def take(self, rows: slice) -> Replicates:
        return Replicates(self.ranks[rows], self.types[rows], self.weights[rows])


def evaluate(prep: PreparedModel, design: Design) -> Replicates:
    """Ranks and types for every row of ``design``.

    Rows that share a scoring combination and aggregation are scored together, as matrix
    products; the rules type them together too. Cluster methods refit row by row.
    """
    from threadpoolctl import threadpool_limits

    n, units = len(design), len(prep.codes)
    ranks = np.empty((n, units), dtype=np.float32)  # whole numbers below 2²⁴: exact, and half the memory
    types = np.empty((n, units), dtype=np.int8)
    weights = np.empty((n, len(prep.indicators) + len(DIMENSIONS)))
    typing = prep.typing
    choice = design.choice
    col = {f: DISCRETE.index(f) for f in DISCRETE}
    combos = prep.combo[choice[:, col["vintage"]], choice[:, 0], choice[:, 1], choice[:, 2]]
    keys = np.column_stack([combos, choice[:, 3], choice[:, 4], choice[:, col["exclude"]]])
    all_dims = [np.arange(len(DIMENSIONS))]
    # One BLAS/OpenMP thread: replicates are the parallel unit, and one thread keeps sums in one order.
    with threadpool_limits(limits=1):
        for key in np.unique(keys, axis=0):
            c, agg, comp, e = (int(v) for v in key)
            rows = np.flatnonzero((keys == key).all(axis=1))
            W = dirichlet_weights(prep.w_ind[c], None if design.u_ind is None else design.u_ind[rows], prep.dim_cols,
                                  prep.concentration)
            V = dirichlet_weights(prep.w_dim[c], None if design.u_dim is None else design.u_dim[rows], all_dims,
                                  prep.concentration)
            W = exclusion_weights(np.broadcast_to(W, (len(rows), W.shape[1])), prep.exclude_cols[e], prep.dim_cols)
            V = np.broadcast_to(V, (len(rows), V.shape[1]))
            aggregate = matrix_aggregator(prep.aggregate[agg], KEY)
            S = np.stack([aggregate(prep.Z[c][:, cols], W[:, cols]) for cols in prep.dim_cols], axis=-1)
            S[:, ~prep.scored[c, e]] = np.nan
            ranks[rows] = rank_rows(_composite(prep.composite[comp], S, V))
            axes = axis_rows(S, typing)
            thresholds = thresholds_of(typing.conditions, axes)
            for m, (_, method, options) in enumerate(typing.methods):
                here = choice[rows, DISCRETE.index("typology")] == m
                if not here.any():
                    continue
                if method is RuleTypology:
                    types[rows[here]] = first_match(typing.conditions, {n: a[here] for n, a in axes.items()},
                                                    [[t[here] for t in ts] for ts in thresholds])
                    continue
                for j in np.flatnonzero(here):
                    types[rows[j]] = _cluster_types(S[j], {n: a[j] for n, a in axes.items()}, [[t[j:j + 1] for t in ts]
                                                                                 for ts in thresholds],
                                                    typing, method, options, typing.ks[choice[rows[j], col["k"]]],
                                                    prep.codes)
            weights[rows] = np.concatenate([W, V], axis=1)
    return Replicates(ranks, types, weights)
