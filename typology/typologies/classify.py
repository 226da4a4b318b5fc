"""Typology methods: dimension scores → a named type, with a reason, for every unit.

``rules`` types units by the readable rules of the config (``typologies.rules``: axes from
dimension scores, conditions against national means or medians, first matching type wins).

The other methods in ``TYPOLOGIES`` form clusters (``kmeans``, ``ward``, ``gmm``) or contiguous
regions (``skater``, ``ward_spatial``). Clusters get no names of their own: each cluster's
centroid is typed by the same rules (thresholds from all units), so every region's type and
reason go back to the readable rules. ``classify`` also runs the rules alone and compares
(``agreement``), chooses k (``choose_k``) and measures stability (``stability``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..core.registry import Registry
from ..core.result import TypingSummary
from ..core.settings import TypologySettings, thaw
from ..errors import TypologyError
from . import agreement, choose_k
from . import type_tables as type_report
from .choose_k import K_RULES
from .cluster import GMMClusters, KMeansClusters, WardClusters
from .contiguity import ContiguityGraph, warn_islands
from .latent_class import DEFAULT_COVARIATES, Inputs, LatentClassModel, latent_typing, measures
from .regionalise import SkaterRegions, WardSpatialRegions
from .rules import RuleTypology, first_match, rule_model, thresholds_of
from .stability import Draw, Stability, bootstrap

if TYPE_CHECKING:  # only in annotations: a run that needs no shapes never imports geopandas
    import geopandas as gpd

__all__ = ["TYPOLOGIES", "Typing", "classify"]

TYPOLOGIES: Registry[type] = Registry("typology")


# --- the typology step: a method from the registry → named types, reasons and diagnostics ---------

for _name, _cls in {"rules": RuleTypology, "kmeans": KMeansClusters, "ward": WardClusters, "gmm": GMMClusters,
                    "skater": SkaterRegions, "ward_spatial": WardSpatialRegions,
                    "latent_class": LatentClassModel}.items():
    TYPOLOGIES.register(_name)(_cls)

FEATURES = ("dimensions", "axes")


@dataclass
class Typing:
    """What the typology step hands the run: per-unit columns, its tables and its log entry."""

    typed: pd.DataFrame
    steps: list[dict[str, Any]]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    summary: TypingSummary | None = None  # the log entry's fields that readers use, typed


def classify(scores: pd.DataFrame, typology: TypologySettings | Mapping[str, Any], catalog: Any,
             geometry: Callable[[], gpd.GeoDataFrame] | None = None,
             names: dict[str, str] | None = None, inputs: Inputs | None = None) -> Typing:
    """Dimension scores → type, names and reason per unit, with stability, agreement and profiles.

    ``geometry`` loads the unit polygons; it is called only by spatially constrained methods.
    ``names`` (code → Korean name) make warnings readable. ``inputs``: the indicators and unit
    attributes, for methods that model indicators (``latent_class``). ``typology``: the run's
    settings, or a ``typology`` section (missing keys take the schema's defaults; it is not checked
    again: ``typology.workflow.validate`` does that for a run's config).
    """
    opts = typology if isinstance(typology, TypologySettings) else TypologySettings.of(typology)
    if opts.method != "rules":
        # Load scikit-learn's OpenMP and SciPy's BLAS now, so that the limit below reaches them.
        import sklearn.cluster  # noqa: F401
        import sklearn.mixture  # noqa: F401
    # Data this small gain nothing from BLAS/OpenMP threads, and a busy machine makes them
    # ten times slower; one thread also keeps floating-point sums in one order.
    with threadpool_limits(limits=1):
        return _classify(scores, catalog, geometry, names, opts, inputs)


def _classify(scores: pd.DataFrame, catalog: Any, geometry: Callable[[], gpd.GeoDataFrame] | None,
              names: dict[str, str] | None, opts: TypologySettings, inputs: Inputs | None = None) -> Typing:
    typology = opts.rules()
    dim_names = {d: catalog.dimensions[d]["name_ko"] for d in scores.columns}
    scores = scores.sort_index()
    rules = rule_model(typology, dim_names).fit(scores)
    rule_typed = rules.predict(scores)
    _warn_rule_gap(rules, scores, rule_typed, names)
    step: dict[str, Any] = {
        "step": "classify", "method": opts.method, "seed": opts.seed,
        "thresholds": {spec["key"]: [{"axis": c.axis, "op": c.op, "ref": c.ref, "value": t}
                                     for c, t in zip(conds, ts)]
                       for spec, conds, ts in zip(typology["types"], rules.conditions_, rules.thresholds_)}}
    method = TYPOLOGIES.get(opts.method, "typology.method")
    if getattr(method, "latent", False):
        if inputs is None:
            raise TypologyError(f"typology.method {opts.method}: needs the indicator values, and none were given")
        data = measures(inputs.normalised.reindex(scores.index), inputs.raw.reindex(scores.index), inputs.indicators,
                        None if inputs.context is None else inputs.context.reindex(scores.index),
                        list(opts.options.get("covariates", DEFAULT_COVARIATES)))
        typed, tables = latent_typing(scores, rules, rule_typed, opts, step, data)
        out = Typing(typed, [step], tables)
    elif method is RuleTypology:
        out = _rules_typing(scores, typology, rules, rule_typed, opts, step)
    else:
        out = _cluster_typing(scores, typology, rules, rule_typed, method, opts, step, geometry, names, dim_names)
    out.tables["types"] = type_report.types_table(typology, out.typed, scores, rules)
    out.summary = TypingSummary.of(step)
    return out


def _warn_rule_gap(rules: RuleTypology, scores: pd.DataFrame, typed: pd.DataFrame,
                   names: dict[str, str] | None) -> None:
    """Regions that have every axis score and still match no type: the rules leave a gap.

    They are typed as the unclassified type like regions without data, so the console says which
    is which (each region's reason says it too).
    """
    complete = rules.axis_scores(scores).notna().all(axis=1)
    gap = typed.index[(typed["type"] == rules.unclassified["key"]) & complete]
    if len(gap):
        shown = ", ".join(f"{(names or {}).get(c, c)}({c})" for c in list(gap)[:5])
        more = f" and {len(gap) - 5} more" if len(gap) > 5 else ""
        warnings.warn(f"{len(gap)} regions have every axis score but match no type rule, so they are "
                      f"'{rules.unclassified['key']}' although no data are missing: {shown}{more} (the rules in "
                      "typology.types leave a gap; add a type with when: {} to catch the rest)", stacklevel=2)


def _stability_columns(typed: pd.DataFrame, stab: Stability | None, opts: TypologySettings) -> pd.DataFrame:
    if stab is None:
        typed["type_stability"] = np.nan
        typed["type_unstable"] = pd.array([pd.NA] * len(typed), dtype="boolean")
        return typed
    prob = stab.probability.reindex(typed.index)
    typed["type_stability"] = prob.round(4)
    typed["type_unstable"] = pd.array([pd.NA if np.isnan(p) else bool(p < opts.unstable_below) for p in prob],
                                      dtype="boolean")
    return typed


def _stability_step(stab: Stability | None, typed: pd.DataFrame, opts: TypologySettings) -> dict[str, Any]:
    if stab is None:
        return {"n": 0}
    return {"n": stab.n, "seed": opts.seed, "unstable_below": opts.unstable_below,
            "unstable_regions": int(typed["type_unstable"].fillna(False).sum()),
            "jaccard": {str(k): round(float(v), 4) for k, v in stab.jaccard.items()}}


def _rules_typing(scores: pd.DataFrame, typology: dict[str, Any], rules: RuleTypology, rule_typed: pd.DataFrame,
                  opts: TypologySettings, step: dict[str, Any]) -> Typing:
    typed = rule_typed.copy()
    typed_codes = typed.index[typed["type"] != rules.unclassified["key"]]
    stab = None
    if opts.bootstrap_n and len(typed_codes) > 1:
        sample = scores.loc[typed_codes]
        axes = rules.axis_scores(sample)
        # A replicate refits the rules on the units drawn: the conditions are the full run's, only
        # the thresholds move. Axis scores are per unit, so they are computed once, and each
        # replicate is a few array operations (the same numbers as refitting a RuleTypology).
        values = {name: axes[name].to_numpy(dtype=float) for name in axes.columns}
        keys = np.array(rules.type_keys, dtype=object)

        def refit(positions: np.ndarray) -> Draw:
            thresholds = thresholds_of(rules.conditions_, {name: v[positions] for name, v in values.items()})
            distinct = np.unique(positions)  # the index is sorted, so these are the codes drawn, in order
            hits = first_match(rules.conditions_, {name: v[distinct] for name, v in values.items()}, thresholds)
            return Draw(distinct, hits, keys[hits])  # the groups as type positions: the same partition

        stab = bootstrap(typed.loc[typed_codes, "type"], typed.loc[typed_codes, "type"], refit,
                         opts.bootstrap_n, opts.seed)
    typed = _stability_columns(typed, stab, opts)
    step["bootstrap"] = _stability_step(stab, typed, opts)
    out = Typing(typed, [step])
    if stab is not None:
        out.tables["stability"] = type_report.stability_table(stab, typed, typology, "type")
    return out


def _features(scores: pd.DataFrame, rules: RuleTypology, features: str) -> pd.DataFrame:
    return scores if features == "dimensions" else rules.axis_scores(scores)


def _cluster_typing(scores: pd.DataFrame, typology: dict[str, Any], rules: RuleTypology, rule_typed: pd.DataFrame,
                    method: type, opts: TypologySettings, step: dict[str, Any],
                    geometry: Callable[[], gpd.GeoDataFrame] | None, names: dict[str, str] | None,
                    dim_names: dict[str, str]) -> Typing:
    complete = scores.index[scores.notna().all(axis=1)]
    S = scores.loc[complete]
    X = _features(S, rules, opts.features)
    warned: list[str] = []
    graph = cont = None
    own_units: set[str] = set()
    if method.spatial:
        if geometry is None:
            raise TypologyError(f"typology.method {opts.method}: needs the unit geometry, and none was given")
        graph = ContiguityGraph(geometry(), opts.contiguity_rule)
        cont = graph.restrict(list(complete), opts.islands)
        message = warn_islands(cont, opts.islands, names)
        if message:
            warned.append(message)
        own_units = {c for comp in cont.own for c in comp}
        step["contiguity"] = {"rule": opts.contiguity_rule, "islands": opts.islands,
                              "detached": cont.detached, "links_km": [list(x) for x in cont.links]}
    n_fit = len(cont.main) if cont is not None else len(X)
    ks = _check_k(opts, n_fit)

    cache: dict[int, np.ndarray] = {}

    def labels_for(k: int) -> np.ndarray:
        if k not in cache:
            cache[k] = method(k=k, seed=opts.seed, **opts.options).fit(X, cont).labels_
        return cache[k]

    k_tab = choose_k.k_table(X.to_numpy(dtype=float), ks, labels_for)
    k = K_RULES.get(opts.k_rule, "typology.k_rule")(k_tab) if opts.k == "auto" else int(opts.k)
    k_tab.insert(1, "chosen", k_tab["k"] == k)
    clusters = pd.Series(labels_for(k), index=X.index, name="cluster")

    centroids = S.groupby(clusters).mean()
    named = rules.explain(centroids)
    own_text = rules.position(S)
    typed = rule_typed[["type", "type_ko", "type_en", "reason"] + [f"axis_{a}" for a in rules.axes]].copy()
    typed["cluster"] = pd.array([pd.NA] * len(typed), dtype="Int64")
    unclassified = rules.unclassified
    for code in typed.index:
        if code not in clusters.index:
            missing = [dim_names.get(d, d) for d in scores.columns if pd.isna(scores.at[code, d])]
            typed.loc[code, ["type", "type_ko", "type_en", "reason"]] = [
                unclassified["key"], unclassified["name_ko"], unclassified["name_en"],
                f"군집에서 제외: 차원 점수 결측 ({', '.join(missing)})"]
            continue
        c = int(clusters[code])
        row = named.loc[c]
        if row["type"] == unclassified["key"]:
            head = f"군집 {c} 중심: {row['why']}"
        else:
            head = f"군집 {c} (중심: {row['why']}) → {row['type_ko']}"
        typed.loc[code, ["type", "type_ko", "type_en", "reason"]] = [
            row["type"], row["type_ko"], row["type_en"], f"{head}; 이 지역: {own_text[code]}"]
        typed.at[code, "cluster"] = c
    typed["rule_type"] = rule_typed["type"]

    stab = None
    if opts.bootstrap_n:
        stab = _cluster_bootstrap(S, X, typology, method, opts, k, clusters, typed.loc[complete, "type"],
                                  graph, own_units)
    typed = _stability_columns(typed, stab, opts)

    agree = agreement.summary(typed["cluster"], typed["type"].where(typed["cluster"].notna()),
                              rule_typed["type"].where(typed["cluster"].notna()))
    step.update({"k": k, "k_auto": opts.k == "auto", "k_rule": opts.k_rule, "k_range": ks,
                 "features": opts.features, "options": thaw(opts.options), "agreement": agree,
                 "bootstrap": _stability_step(stab, typed, opts), "warnings": warned})
    out = Typing(typed, [step], warnings=warned)
    order = [t["key"] for t in typology["types"]] + [unclassified["key"]]
    out.tables["clusters"] = type_report.cluster_table(clusters, S, named, stab, typed, dim_names)
    out.tables["k_selection"] = k_tab
    out.tables["agreement"] = agreement.crosstab(typed["cluster"], typed["type"], rule_typed["type"], order)
    out.tables["agreement_summary"] = pd.DataFrame([{"measure": m, "value": v} for m, v in agree.items()])
    if stab is not None:
        out.tables["stability"] = type_report.stability_table(stab, typed, typology, "cluster")
    return out


def _check_k(opts: TypologySettings, n: int) -> list[int]:
    if n < 3:
        raise TypologyError(f"typology.method {opts.method}: only {n} regions have every dimension score; "
                            "clustering needs at least 3")
    if opts.k != "auto" and opts.k > n - 1:
        raise TypologyError(f"config key typology.k: {opts.k} clusters is more than the {n} regions to cluster allow "
                            f"(at most {n - 1})")
    if opts.k_range[-1] > n - 1:
        raise TypologyError(f"config key typology.k_range: largest k {opts.k_range[-1]} is more than the {n} regions "
                            f"to cluster allow (at most {n - 1})")
    ks = list(opts.k_range)
    if opts.k != "auto" and opts.k not in ks:
        ks = sorted({*ks, int(opts.k)})
    return ks


def _cluster_bootstrap(S: pd.DataFrame, X: pd.DataFrame, typology: Mapping[str, Any], method: type,
                       opts: TypologySettings, k: int, clusters: pd.Series, types: pd.Series,
                       graph: ContiguityGraph | None, own_units: set[str]) -> Stability:
    def refit(positions: np.ndarray) -> pd.DataFrame | None:
        drawn = S.index[positions]
        model = rule_model(typology).fit(S.iloc[positions])
        estimator = method(k=k, seed=opts.seed, **opts.options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. k-means finding fewer distinct points than k on a small draw
            if method.spatial:
                codes = sorted(set(drawn))
                sub = graph.restrict(codes, opts.islands, own_only=own_units, exact=False)
                if len(sub.main) <= k:
                    return None
                labels = pd.Series(estimator.fit(X.loc[codes], sub).labels_, index=codes)
                centroids = S.loc[codes].groupby(labels).mean()
            else:
                if len(set(drawn)) <= k:
                    return None
                rows = estimator.fit(X.iloc[positions]).labels_
                centroids = S.iloc[positions].groupby(rows).mean()
                labels = pd.Series(rows, index=drawn)
                labels = labels[~labels.index.duplicated()].sort_index()
        named = pd.Series(model.assign(model.axis_scores(centroids)), index=centroids.index)
        return pd.DataFrame({"group": labels.to_numpy(), "type": named[labels].to_numpy()}, index=labels.index)

    return bootstrap(clusters, types, refit, opts.bootstrap_n, opts.seed)
