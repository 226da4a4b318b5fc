"""``typology uncertainty``: how solid each region's rank and type are under other defensible choices.

Monte Carlo over the alternatives the config declares (``uncertainty:``; see ``alternatives``):
``n`` replicates, each drawing one alternative of every varying choice and, with weight noise,
Dirichlet weights around the nominal ones. Per region: the median rank of the composite, its
``interval`` (default 5–95%) and the share of replicates giving each type, with the nominal type
(the config's own run) and its probability. A type is *stable* when the nominal type comes out
in at least ``stable_from`` of the replicates.

Sensitivity: which choice moves ranks and types most, as variance-based first-order and
total-effect indices (``sensitivity``: Saltelli's and Jansen's estimators). The first
``2 × sensitivity.n`` replicates double as the samples A and B of that design; each varying
factor adds ``sensitivity.n`` runs (A with that factor from B).

The replicates run through joblib on ``uncertainty.backend`` (``parallel``); the design is drawn
up front from ``uncertainty.seed``, so the tables are byte-identical for the same seed whatever
the backend or the number of workers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS
from ..core.result import RunResult
from ..errors import TypologyError
from ..typologies.classify import TYPOLOGIES
from ..typologies.rules import RuleTypology
from . import alternatives, datachoices, montecarlo, parallel, sensitivity
from .design import DISCRETE, Design, draw
from .montecarlo import PreparedModel, Replicates

FACTOR_NAMES = {"impute": ("대체", "imputation"), "treat": ("이상치 처리", "outlier treatment"),
                "normalise": ("정규화", "normalisation"), "aggregate": ("차원 집계", "aggregation into dimensions"),
                "composite": ("종합 집계", "aggregation into the composite"),
                "weights_indicators": ("지표 가중치", "indicator weights"),
                "weights_dimensions": ("차원 가중치", "dimension weights"),
                "typology": ("유형화 방법", "typology method"),
                "k": ("군집 수 k", "number of clusters k"),
                "vintage": ("자료 시점", "data vintage"), "exclude": ("지표 제외", "indicator left out")}
# uncertainty.csv columns that scores.csv also gets, prefixed mc_ (the rank interval's two columns follow).
SCORES_COLUMNS = ("type_probability", "type_stable", "rank_median")


@dataclass
class Uncertainty:
    plan: alternatives.Plan
    regions: pd.DataFrame  # one row per unit
    sensitivity: pd.DataFrame  # one row per varying factor
    replicates: pd.DataFrame  # one row per replicate: its choices, weights and summary
    evaluations: int  # model runs, the sensitivity design included
    distinct: int  # of which distinct (the others repeat a run of A and are copied)
    type_keys: list[str]
    step: dict[str, Any]
    data: pd.DataFrame | None = None  # per level of each data choice (datachoices.data_table); None: none varied


def _evaluate_chunk(shared: tuple[PreparedModel, Design], start: int, stop: int) -> Replicates:
    prep, design = shared
    return montecarlo.evaluate(prep, design.take(slice(start, stop)))


def _copies(plan: alternatives.Plan, factors: list[str], design: Design, m: int) -> np.ndarray:
    """For each design row, the row whose result it repeats (itself if none).

    A row of A_B^i that drew the same alternative of factor i as its row of A is the same model
    run, and so is one that redrew k for the rules, which ignore k: such rows are not run again.
    """
    source = np.arange(len(design))
    choice = design.choice.copy()
    col = DISCRETE.index("typology")
    rules = np.array([TYPOLOGIES.get(name, "") is RuleTypology for name in plan.typology])
    choice[rules[choice[:, col]], DISCRETE.index("k")] = -1
    for i, factor in enumerate(factors):
        if factor.startswith("weights_"):  # continuous: a redraw always differs
            continue
        rows = plan.n + i * m + np.arange(m)
        same = (choice[rows] == choice[:m]).all(axis=1)
        source[rows[same]] = np.flatnonzero(same)
    return source


def _nominal_k(result: RunResult) -> int | None:
    return result.typing.k if result.typing is not None else None


def _quantile(ranks: np.ndarray, q: float) -> np.ndarray:
    """Per unit, the empirical q-quantile (a rank that occurred: Hyndman–Fan type 1); NaN if never ranked."""
    out = np.full(ranks.shape[1], np.nan)
    seen = ~np.isnan(ranks).all(axis=0)
    if seen.any():
        out[seen] = np.nanquantile(ranks[:, seen], q / 100, axis=0, method="inverted_cdf")
    return out


def _int_column(values: np.ndarray) -> pd.array:
    return pd.array([pd.NA if np.isnan(v) else int(v) for v in values], dtype="Int64")


def region_table(result: RunResult, plan: alternatives.Plan, reps: Replicates, type_keys: list[str]) -> pd.DataFrame:
    table = result.table().set_index("code")
    codes = result.raw.index
    table = table.reindex(codes)
    names = _type_names(result)
    lo, hi = plan.interval
    med, low, high = _quantile(reps.ranks, 50), _quantile(reps.ranks, lo), _quantile(reps.ranks, hi)
    probs = np.stack([(reps.types == t).mean(axis=0) for t in range(len(type_keys))], axis=1)
    nominal = table["type"].map({k: i for i, k in enumerate(type_keys)}).to_numpy()
    p_nominal = probs[np.arange(len(codes)), nominal]
    modal = probs.argmax(axis=1)  # a tie goes to the type listed first in the config
    out = pd.DataFrame({
        "code": codes, "name": table["name"].to_numpy(), "sido": table["sido"].to_numpy(),
        "composite_rank": table["composite_rank"].to_numpy(),
        "rank_median": _int_column(med), f"rank_p{lo:02g}": _int_column(low), f"rank_p{hi:02g}": _int_column(high),
        "rank_interval": _int_column(high - low),
        "replicates_ranked": (~np.isnan(reps.ranks)).sum(axis=0),
        "type": table["type"].to_numpy(), "type_ko": table["type_ko"].to_numpy(),
        "type_probability": p_nominal.round(4), "type_stable": p_nominal >= plan.stable_from - 1e-12,
        "modal_type": [type_keys[m] for m in modal], "modal_type_ko": [names[type_keys[m]] for m in modal],
        "modal_probability": probs[np.arange(len(codes)), modal].round(4),
    })
    for t, key in enumerate(type_keys):
        out[f"p_{key}"] = probs[:, t].round(4)
    return out


def _type_names(result: RunResult) -> dict[str, str]:
    typology = result.settings.typology
    return {s["key"]: s["name_ko"] for s in [*typology.types, typology.unclassified]}


def replicate_table(plan: alternatives.Plan, design: Design, reps: Replicates, nominal_ranks: np.ndarray,
                    nominal_types: np.ndarray, indicators: list[str], type_keys: list[str]) -> pd.DataFrame:
    out = pd.DataFrame({"replicate": np.arange(1, len(design) + 1)})
    for name, values in design.columns(plan).items():
        out[name] = values
    rules = np.array([TYPOLOGIES.get(m, "") is RuleTypology for m in plan.typology])
    out.loc[rules[design.choice[:, DISCRETE.index("typology")]], "k"] = ""
    for j, key in enumerate([*indicators, *DIMENSIONS]):
        out[f"w_{key}"] = reps.weights[:, j].round(6)
    for t, key in enumerate(type_keys):
        out[f"n_{key}"] = (reps.types == t).sum(axis=1)
    out["types_changed"] = (reps.types != nominal_types[None, :]).sum(axis=1)
    with np.errstate(invalid="ignore"):
        out["rank_shift_mean"] = np.nanmean(np.abs(reps.ranks.astype(float) - nominal_ranks[None, :]), axis=1).round(4)
    return out


def sensitivity_table(plan: alternatives.Plan, factors: list[str], A: Replicates, B: Replicates,
                      AB: list[Replicates], n_types: int) -> pd.DataFrame:
    rows = {f: {"factor": f, "name_ko": FACTOR_NAMES[f][0], "name_en": FACTOR_NAMES[f][1],
                "alternatives": plan.describe(f)} for f in factors}
    estimates = {"rank": sensitivity.indices(A.ranks, B.ranks, [r.ranks for r in AB], seed=plan.seed),
                 "type": sensitivity.type_indices(A.types, B.types, [r.types for r in AB], n_types, seed=plan.seed)}
    for name, est in estimates.items():
        for i, f in enumerate(factors):
            rows[f].update({f"{name}_first_order": round(float(est.first_order[i]), 4),
                            f"{name}_first_order_low": round(float(est.first_order_ci[i, 0]), 4),
                            f"{name}_first_order_high": round(float(est.first_order_ci[i, 1]), 4),
                            f"{name}_total": round(float(est.total[i]), 4),
                            f"{name}_total_low": round(float(est.total_ci[i, 0]), 4),
                            f"{name}_total_high": round(float(est.total_ci[i, 1]), 4)})
    for i, f in enumerate(factors):
        with np.errstate(invalid="ignore"):
            diff = A.ranks.astype(float) - AB[i].ranks
            shift = np.sqrt(np.nanmean(diff**2)) if diff.size else np.nan
        rows[f]["rank_shift_rms"] = round(float(shift), 4)  # when only this factor is redrawn
        rows[f]["regions_type_changed"] = round(float((A.types != AB[i].types).sum(axis=1).mean()), 4)
    return pd.DataFrame(list(rows.values()))


def _available_memory() -> int:
    try:
        for line in open("/proc/meminfo", encoding="ascii"):
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62  # unknown: no check


def check_memory(plan: alternatives.Plan, units: int, indicators: int) -> int:
    """Refuse, before any work, a Monte Carlo whose results would not fit in memory; its estimate in bytes.

    Every model run keeps a rank (float32) and a type (int8) per unit, its weights and its draws; the
    tables built from them hold a few copies, hence the factor 4.
    """
    runs = plan.n + len(plan.active()) * plan.sensitivity_n
    per_run = units * 5 + 8 * (indicators + len(DIMENSIONS)) * 3 + 256
    need = 4 * runs * per_run
    free = _available_memory()
    if need > free // 2:
        raise TypologyError(f"config key uncertainty.n: {plan.n:,} replicates ({runs:,} model runs with the "
                            f"sensitivity design) need about {need / 2**30:.1f} GiB of memory, more than half of the "
                            f"{free / 2**30:.1f} GiB available; use a smaller n (--n)")
    return need


def analyse(result: RunResult) -> Uncertainty:
    """The Monte Carlo over the run's ``uncertainty`` settings, around the nominal ``result``."""
    settings = result.settings
    plan = alternatives.plan(settings, _nominal_k(result))
    alternatives.refuse_latent(plan)
    check_memory(plan, len(result.units), len(result.indicators))
    plan, raws = datachoices.vintage_levels(plan, result)
    groups = result.units.set_index("code")["sido_code"]
    attributes = result.tables.get("unit_attributes")
    context = attributes.set_index("code") if attributes is not None else None
    prep = montecarlo.prepare(plan, settings, raws, result.indicators, groups, result.scores, context)
    rng = np.random.default_rng(plan.seed)
    base = draw(plan, plan.n, len(prep.indicators), len(DIMENSIONS), rng)
    factors = plan.active()
    m = plan.sensitivity_n if factors else 0
    A, B = base.take(slice(0, m)), base.take(slice(m, 2 * m))
    design = Design.concat([base, *[A.mix(B, f) for f in factors]]) if m else base
    source = _copies(plan, factors, design, m)
    distinct = np.flatnonzero(source == np.arange(len(design)))
    parts = parallel.run_chunked(_evaluate_chunk, (prep, design.take(distinct)), len(distinct), plan.backend,
                                 plan.n_jobs, plan.scheduler, label="몬테카를로 Monte Carlo", unit="model runs")
    reps = Replicates.concat(parts).take(np.searchsorted(distinct, source))

    def rows(a: int, b: int) -> Replicates:
        return reps.take(slice(a, b))

    main = rows(0, plan.n)
    type_keys = prep.typing.type_keys
    regions = region_table(result, plan, main, type_keys)
    nominal_types = regions["type"].map({k: i for i, k in enumerate(type_keys)}).to_numpy()
    nominal_ranks = regions["composite_rank"].to_numpy(dtype=float, na_value=np.nan)
    replicates = replicate_table(plan, base, main, nominal_ranks, nominal_types, prep.indicators, type_keys)
    if m:
        AB = [rows(plan.n + i * m, plan.n + (i + 1) * m) for i in range(len(factors))]
        sens = sensitivity_table(plan, factors, rows(0, m), rows(m, 2 * m), AB, len(type_keys))
    else:
        sens = pd.DataFrame(columns=["factor", "name_ko", "name_en", "alternatives"])
    data = None
    if plan.data_active():
        # The same replicates with the run's own data: what the processing choices alone do.
        alone = Design(base.choice.copy(), base.u_ind, base.u_dim)
        for f in alternatives.DATA_FACTORS:
            alone.choice[:, DISCRETE.index(f)] = 0
        own = Replicates.concat(parallel.run_chunked(
            _evaluate_chunk, (prep, alone), plan.n, plan.backend, plan.n_jobs, plan.scheduler,
            label="처리 선택만 processing choices only", unit="model runs"))
        p_alone = (own.types == nominal_types[None, :]).mean(axis=0)
        regions.insert(regions.columns.get_loc("type_stable") + 1, "type_probability_processing", p_alone.round(4))
        regions.insert(regions.columns.get_loc("type_probability_processing") + 1, "type_stable_processing",
                       p_alone >= plan.stable_from - 1e-12)
        data = datachoices.data_table(plan, base.choice, {f: DISCRETE.index(f)
                                                          for f in alternatives.DATA_FACTORS},
                                      main.types, nominal_types)
    step = {"step": "uncertainty", "n": plan.n, "seed": plan.seed, "interval": list(plan.interval),
            "stable_from": plan.stable_from, "factors": {f: plan.describe(f) for f in factors},
            "fixed": {f: plan.describe(f) for f in alternatives.FACTORS if f not in factors and plan.levels(f) == 1},
            "sensitivity_n": m, "evaluations": len(design), "distinct_evaluations": len(distinct),
            "backend": plan.backend, "n_jobs": plan.n_jobs,
            "stable_regions": int(regions["type_stable"].sum()),
            "note": "scoring.min_share is applied with the nominal weights; clusters are named by the rules"}
    if data is not None:
        step["stable_regions_processing"] = int(regions["type_stable_processing"].sum())
        step["data_choices"] = {f: plan.describe(f) for f in plan.data_active()}
    return Uncertainty(plan, regions, sens, replicates, len(design), len(distinct), type_keys, step, data)
