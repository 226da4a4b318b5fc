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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS
from ..errors import TypologyError
from ..scoring.aggregate import POSITIVE_HINT, matrix_aggregator
from ..scoring.impute import IMPUTERS
from ..scoring.score import adjust_step, build, normalise_step
from ..scoring.treat import TREATMENTS
from ..scoring.weights import WEIGHTINGS
from ..typologies.classify import TYPOLOGIES, settings
from ..typologies.contiguity import Contiguity, ContiguityGraph
from ..typologies.rules import Condition, RuleTypology, axis_values, first_match, rule_model, thresholds_of
from .alternatives import FACTORS, KEY, STEPS, Plan

DISCRETE = (*STEPS, "typology", "k")  # the columns of Design.choice


@dataclass(frozen=True)
class Design:
    """Rows of factor values: an index into each factor's alternatives, and the weight-noise uniforms.

    ``u_ind`` / ``u_dim`` are None when that weight level has no noise; their uniforms become
    Dirichlet weights around whatever the nominal weights of the replicate's scoring are.
    """

    choice: np.ndarray  # rows × len(DISCRETE), int
    u_ind: np.ndarray | None = None  # rows × indicators
    u_dim: np.ndarray | None = None  # rows × dimensions

    def __len__(self) -> int:
        return len(self.choice)

    def take(self, rows: slice | np.ndarray) -> Design:
        return Design(self.choice[rows], None if self.u_ind is None else self.u_ind[rows],
                      None if self.u_dim is None else self.u_dim[rows])

    def mix(self, other: Design, factor: str) -> Design:
        """These rows with ``factor`` taken from ``other`` (Saltelli's A_B^i)."""
        if factor == "weights_indicators":
            return replace(self, u_ind=other.u_ind.copy())
        if factor == "weights_dimensions":
            return replace(self, u_dim=other.u_dim.copy())
        choice = self.choice.copy()
        col = DISCRETE.index(factor)
        choice[:, col] = other.choice[:, col]
        return replace(self, choice=choice)

    @staticmethod
    def concat(parts: list[Design]) -> Design:
        def stack(arrays: list[np.ndarray | None]) -> np.ndarray | None:
            return None if arrays[0] is None else np.concatenate(arrays)

        return Design(np.concatenate([p.choice for p in parts]), stack([p.u_ind for p in parts]),
                      stack([p.u_dim for p in parts]))

    def columns(self, plan: Plan) -> dict[str, np.ndarray]:
        """The discrete choices by name, for the replicate table."""
        names = {**{s: [c.label for c in plan.steps[s]] for s in STEPS}, "typology": plan.typology,
                 "k": [str(k) for k in plan.k] or [""]}
        return {f: np.asarray(names[f], dtype=object)[self.choice[:, i]] for i, f in enumerate(DISCRETE)}


def draw(plan: Plan, rows: int, n_indicators: int, n_dimensions: int, rng: np.random.Generator) -> Design:
    """``rows`` independent draws of every varying factor (uniform over the alternatives)."""
    active = set(plan.active())
    choice = np.zeros((rows, len(DISCRETE)), dtype=np.int64)
    u_ind = u_dim = None
    tiny = np.finfo(float).tiny  # the uniforms must be > 0 for the inverse gamma below
    for factor in FACTORS:
        if factor not in active:
            continue
        if factor == "weights_indicators":
            u_ind = np.maximum(rng.random((rows, n_indicators)), tiny)
        elif factor == "weights_dimensions":
            u_dim = np.maximum(rng.random((rows, n_dimensions)), tiny)
        else:
            choice[:, DISCRETE.index(factor)] = rng.integers(0, plan.levels(factor), rows)
    return Design(choice, u_ind, u_dim)


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
    combo: np.ndarray  # impute × treat × normalise → index into the arrays below
    Z: np.ndarray  # combos × units × indicators: normalised values (imputed cells filled)
    w_ind: np.ndarray  # combos × indicators: nominal indicator weights (each dimension's sum to 1)
    w_dim: np.ndarray  # combos × dimensions
    scored: np.ndarray  # combos × units × dimensions: passes scoring.min_share at the nominal weights
    aggregate: list[str]
    composite: list[str]
    concentration: float | None
    typing: TypologyPlan


def _wrap(step: str, i: int, label: str, exc: TypologyError) -> TypologyError:
    return TypologyError(f"{KEY}.{step}[{i}] ({label}): {exc}")


def _scoring_combos(plan: Plan, raw: pd.DataFrame, chosen: list[Any], scoring: dict[str, Any],
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
                    weighting = build(WEIGHTINGS, scoring["weights"], "scoring.weights")[0]
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
        Z = normalised[combo[0, 0, n]]
        low = Z.min()
        if (low <= 0).any():
            col = low.index[low <= 0][0]
            raise TypologyError(
                f"config key {KEY}.{step}[{i}] ({label}): needs positive values, but the normalisation alternative "
                f"{KEY}.normalise[{n}] ({choice.label}) gives {col!r} values <= 0 (minimum {low[col]:.4g}); "
                f"{POSITIVE_HINT}, in every alternative of {KEY}.normalise")


def _typing(plan: Plan, config: dict[str, Any], scores: pd.DataFrame,
            complete_sets: set[tuple[str, ...]]) -> TypologyPlan:
    typology = config["typology"]
    rules = rule_model(typology).fit(scores[list(DIMENSIONS)])  # validates the rules, parses the conditions
    methods = []
    for name in plan.typology:
        opts = settings({**typology, "method": name})
        methods.append((name, TYPOLOGIES.get(name, f"{KEY}.typology"), opts.options))
    opts = settings(typology)
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


def prepare(plan: Plan, config: dict[str, Any], raw: pd.DataFrame, chosen: list[Any], groups: pd.Series,
            scores: pd.DataFrame, context: pd.DataFrame | None = None) -> PreparedModel:
    """Everything the replicates share. ``raw``, ``chosen``, ``scores``: from the nominal run;
    ``context``: its unit attributes (for ``scoring.adjust`` and ``scoring.normalise.within``)."""
    raw = raw.astype(float)
    scoring = config["scoring"]
    combo, normalised, w_ind, w_dim = _scoring_combos(plan, raw, chosen, scoring, groups, context)
    _check_positive(plan, normalised, combo)
    dimension_of = {i.key: i.dimension for i in chosen}
    dim_cols = [np.array([j for j, k in enumerate(raw.columns) if dimension_of[k] == d]) for d in DIMENSIONS]
    observed = raw.notna().to_numpy()
    min_share = float(scoring["min_share"])
    scored = np.stack([np.column_stack([(observed[:, cols] * w.to_numpy()[cols]).sum(axis=1) + 1e-12 >= min_share
                                        for cols in dim_cols]) for w in w_ind])
    Z = np.stack([z.to_numpy(dtype=float) for z in normalised])
    codes = raw.index.to_numpy()
    complete_sets = set()
    for c in range(len(Z)):
        # A dimension score exists where the unit passes min_share and has any value in the dimension.
        has = np.column_stack([~np.isnan(Z[c][:, cols]).all(axis=1) for cols in dim_cols]) & scored[c]
        complete_sets.add(tuple(codes[has.all(axis=1)]))
    typing = _typing(plan, config, scores, complete_sets)
    return PreparedModel(codes, list(raw.columns), dim_cols, combo, Z, np.stack([w.to_numpy() for w in w_ind]),
                    np.stack([w.to_numpy() for w in w_dim]), scored,
                    [c.block["method"] for c in plan.steps["aggregate"]],
                    [c.block["method"] for c in plan.steps["composite"]], plan.concentration, typing)


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


def rank_rows(x: np.ndarray) -> np.ndarray:
    """Per row: rank 1 = highest, ties share the better rank (pandas' ``method="min"``, as scores.csv).

    NaN stays NaN."""
    nan = np.isnan(x)
    neg = np.where(nan, np.inf, -x)
    order = np.argsort(neg, axis=1, kind="stable")
    ordered = np.take_along_axis(neg, order, axis=1)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(x.shape[1]), 0), axis=1)
    out = np.empty(x.shape)
    np.put_along_axis(out, order, first + 1.0, axis=1)
    out[nan] = np.nan
    return out


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
    combos = prep.combo[choice[:, 0], choice[:, 1], choice[:, 2]]
    keys = np.column_stack([combos, choice[:, 3], choice[:, 4]])
    all_dims = [np.arange(len(DIMENSIONS))]
    # One BLAS/OpenMP thread: replicates are the parallel unit, and one thread keeps sums in one order.
    with threadpool_limits(limits=1):
        for key in np.unique(keys, axis=0):
            c, agg, comp = (int(v) for v in key)
            rows = np.flatnonzero((keys == key).all(axis=1))
            W = dirichlet_weights(prep.w_ind[c], None if design.u_ind is None else design.u_ind[rows], prep.dim_cols,
                                  prep.concentration)
            V = dirichlet_weights(prep.w_dim[c], None if design.u_dim is None else design.u_dim[rows], all_dims,
                                  prep.concentration)
            W = np.broadcast_to(W, (len(rows), W.shape[1]))
            V = np.broadcast_to(V, (len(rows), V.shape[1]))
            aggregate = matrix_aggregator(prep.aggregate[agg], KEY)
            S = np.stack([aggregate(prep.Z[c][:, cols], W[:, cols]) for cols in prep.dim_cols], axis=-1)
            S[:, ~prep.scored[c]] = np.nan
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
                                                    typing, method, options, typing.ks[choice[rows[j], -1]],
                                                    prep.codes)
            weights[rows] = np.concatenate([W, V], axis=1)
    return Replicates(ranks, types, weights)
