"""The ``uncertainty`` section of a config, checked: which alternatives the Monte Carlo may draw.

Each scoring step (``impute``, ``treat``, ``normalise``, ``aggregate``, ``composite``) lists
its alternatives: a method name, or a mapping with ``method`` and the parameters that differ
from the nominal block ``scoring.<step>`` (e.g. ``{method: minmax, range: [1, 100]}``). An
empty list or ``null`` keeps the nominal choice. ``typology`` lists typology methods, ``k``
the numbers of clusters for the cluster methods among them. ``weights`` adds Dirichlet noise
around the nominal weights. Every name is looked up in the step's own registry, so an unknown
one is a one-line error that lists the valid names.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.registry import Registry
from ..errors import TypologyError
from ..scoring.aggregate import AGGREGATORS
from ..scoring.impute import IMPUTERS
from ..scoring.normalise import NORMALISERS
from ..scoring.treat import TREATMENTS
from ..typologies.classify import TYPOLOGIES, settings
from ..typologies.rules import RuleTypology

KEY = "uncertainty"
STEPS: dict[str, Registry[Any]] = {"impute": IMPUTERS, "treat": TREATMENTS, "normalise": NORMALISERS,
                                   "aggregate": AGGREGATORS, "composite": AGGREGATORS}
# Data choices (COINr's indicator exclusion, other vintages of an indicator's data): datachoices.py.
DATA_FACTORS = ("vintage", "exclude")
# Every factor the Monte Carlo can vary, in the order in which the design draws them.
FACTORS = (*STEPS, "weights_indicators", "weights_dimensions", "typology", "k", *DATA_FACTORS)
BACKENDS = ("loky", "threading", "sequential", "dask")


@dataclass(frozen=True)
class Choice:
    """One alternative of a scoring step: its label in the tables and its full config block."""

    label: str
    block: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    steps: dict[str, list[Choice]]
    typology: list[str]  # typology methods
    k: list[int]  # numbers of clusters (cluster methods only)
    concentration: float | None  # Dirichlet concentration; None = nominal weights
    vary_indicators: bool
    vary_dimensions: bool
    n: int
    seed: int
    interval: tuple[float, float]
    stable_from: float
    sensitivity_n: int  # base rows of the sensitivity design (0: none)
    backend: str
    n_jobs: int
    scheduler: str | None
    vintages: dict[str, list[int]] = field(default_factory=dict)  # indicator → years to draw from
    # The vintage levels, resolved against the data (datachoices.vintage_levels); level 0 is the run's own data.
    vintage: list[str] = field(default_factory=lambda: ["nominal"])
    exclude: list[str] = field(default_factory=list)  # indicators that may be dropped, one at a time

    def levels(self, factor: str) -> int:
        """How many values a discrete factor takes (0 for the weight factors)."""
        if factor in self.steps:
            return len(self.steps[factor])
        return {"typology": len(self.typology), "k": len(self.k), "vintage": len(self.vintage),
                "exclude": 1 + len(self.exclude) if self.exclude else 0}.get(factor, 0)

    @property
    def clusters(self) -> bool:
        return any(TYPOLOGIES.get(m, KEY) is not RuleTypology for m in self.typology)

    def active(self) -> list[str]:
        """The factors that vary, in design order."""
        out = [f for f in STEPS if self.levels(f) > 1]
        if self.concentration is not None:
            out += ["weights_indicators"] if self.vary_indicators else []
            out += ["weights_dimensions"] if self.vary_dimensions else []
        out += ["typology"] if len(self.typology) > 1 else []
        out += ["k"] if self.clusters and len(self.k) > 1 else []
        return out + [f for f in DATA_FACTORS if self.levels(f) > 1]

    def data_active(self) -> list[str]:
        """The data choices that vary (vintages, indicator exclusion)."""
        return [f for f in DATA_FACTORS if self.levels(f) > 1]

    def exclude_labels(self) -> list[str]:
        return ["none", *self.exclude]

    def describe(self, factor: str) -> str:
        """The alternatives of a factor in words, for tables and the report."""
        if factor in self.steps:
            return ", ".join(c.label for c in self.steps[factor])
        if factor.startswith("weights_"):
            return f"Dirichlet around the nominal weights, concentration {self.concentration:g}"
        if factor == "vintage":
            return ", ".join(self.vintage)
        if factor == "exclude":
            return "none, " + ", ".join(f"-{k}" for k in self.exclude) if self.exclude else "none"
        return ", ".join(map(str, self.typology if factor == "typology" else self.k))


def _label(block: Mapping[str, Any], given: Any) -> str:
    if isinstance(given, str):
        return given
    extra = ", ".join(f"{k}={v}" for k, v in given.items() if k != "method")
    return f"{block['method']}({extra})" if extra else str(block["method"])


def _step_choices(step: str, given: Any, nominal: dict[str, Any]) -> list[Choice]:
    where = f"{KEY}.{step}"
    if given is None or given == []:
        return [Choice(str(nominal["method"]), dict(nominal))]
    if not isinstance(given, list):
        raise TypologyError(f"config key {where}: expected a list of {step} methods (names, or mappings with "
                            f"method and parameters), got {given!r}")
    choices = []
    for i, item in enumerate(given):
        if isinstance(item, str):
            block = {**nominal, "method": item}
        elif isinstance(item, Mapping) and "method" in item:
            unknown = sorted(set(item) - set(nominal) - {"method"})
            if unknown:
                raise TypologyError(f"config key {where}[{i}]: unknown parameter(s) {unknown}; expected some of "
                                    f"{', '.join(sorted(set(nominal) - {'method'})) or '(none)'}")
            block = {**nominal, **item}
        else:
            raise TypologyError(f"config key {where}[{i}]: expected a method name or a mapping with 'method', "
                                f"got {item!r}")
        STEPS[step].get(block["method"], f"{where}[{i}]")
        choices.append(Choice(_label(block, item), block))
    labels = [c.label for c in choices]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise TypologyError(f"config key {where}: {twice} listed twice")
    return choices


def _whole(value: Any, key: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise TypologyError(f"config key {KEY}.{key}: expected a whole number ≥ {low}, got {value!r}")
    return value


def _number(value: Any, key: str, low: float, high: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value <= high:
        raise TypologyError(f"config key {KEY}.{key}: expected {what}, got {value!r}")
    return float(value)


def _typology_choices(given: Any, typology: dict[str, Any]) -> list[str]:
    if given is None or given == []:
        return [str(typology["method"])]
    if not isinstance(given, list):
        raise TypologyError(f"config key {KEY}.typology: expected a list of typology methods, got {given!r}")
    for i, name in enumerate(given):
        TYPOLOGIES.get(name, f"{KEY}.typology[{i}]")
        settings({**typology, "method": name})  # the method's options in typology.options must be valid
    if len(set(given)) != len(given):
        raise TypologyError(f"config key {KEY}.typology: a method is listed twice in {given}")
    return list(given)


def _k_choices(given: Any, typology: dict[str, Any], nominal_k: int | None, clusters: bool) -> list[int]:
    if given is None or given == []:
        k = typology.get("k")
        k = nominal_k if k == "auto" else k
        if k is None and clusters:
            raise TypologyError(f"config key {KEY}.k: the typology alternatives include cluster methods; give the "
                                "numbers of clusters to try, e.g. [3, 4, 5]")
        return [int(k)] if k is not None else []
    if not isinstance(given, list) or not given:
        raise TypologyError(f"config key {KEY}.k: expected a list of numbers of clusters, e.g. [3, 4, 5], "
                            f"got {given!r}")
    ks = [_whole(k, f"k[{i}]", 2) for i, k in enumerate(given)]
    if len(set(ks)) != len(ks):
        raise TypologyError(f"config key {KEY}.k: a number is listed twice in {ks}")
    return ks


def refuse_latent(p: Plan) -> None:
    """The Monte Carlo retypes dimension scores; a latent class model reads indicators and covariates instead."""
    latent = [m for m in p.typology if getattr(TYPOLOGIES.get(m, KEY), "latent", False)]
    if latent:
        raise TypologyError(f"config key {KEY}.typology: {latent[0]} is not supported by typology uncertainty yet; "
                            "list other methods (e.g. --set 'uncertainty.typology=[rules]')")


def plan(config: dict[str, Any], nominal_k: int | None = None) -> Plan:
    """Check ``config['uncertainty']`` against the registries; ``nominal_k``: the k the run chose."""
    spec = config[KEY]
    scoring = config["scoring"]
    steps = {step: _step_choices(step, spec.get(step), dict(scoring[step])) for step in STEPS}
    methods = _typology_choices(spec.get("typology"), config["typology"])
    clusters = any(TYPOLOGIES.get(m, KEY) is not RuleTypology for m in methods)
    ks = _k_choices(spec.get("k"), config["typology"], nominal_k, clusters)
    weights = spec.get("weights") or {}
    conc = weights.get("concentration")
    if conc is not None:
        conc = _number(conc, "weights.concentration", 0, float("inf"), "a positive number (or null: no weight noise)")
    flags = {}
    for key in ("indicators", "dimensions"):
        value = weights.get(key, True)
        if not isinstance(value, bool):
            raise TypologyError(f"config key {KEY}.weights.{key}: expected true or false, got {value!r}")
        flags[key] = value
    interval = spec.get("interval")
    if (not isinstance(interval, list) or len(interval) != 2
            or not all(isinstance(q, (int, float)) and not isinstance(q, bool) for q in interval)
            or not 0 <= interval[0] < interval[1] <= 100):
        raise TypologyError(f"config key {KEY}.interval: expected [low, high] percentiles with 0 ≤ low < high ≤ 100, "
                            f"got {interval!r}")
    n = _whole(spec.get("n"), "n", 2)
    sens = (spec.get("sensitivity") or {}).get("n", "auto")
    sens_n = n // 2 if sens == "auto" else _whole(sens, "sensitivity.n", 0)
    if 2 * sens_n > n:
        raise TypologyError(f"config key {KEY}.sensitivity.n: {sens_n} base rows need 2 × {sens_n} replicates, but "
                            f"n is {n}; use at most {n // 2}, or auto")
    backend = spec.get("backend")
    if backend not in BACKENDS:
        raise TypologyError(f"config key {KEY}.backend: unknown backend {backend!r}; expected one of "
                            f"{', '.join(BACKENDS)}")
    n_jobs = spec.get("n_jobs")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise TypologyError(f"config key {KEY}.n_jobs: expected a whole number (−1 = every core), got {n_jobs!r}")
    cores = os.cpu_count() or 1
    if n_jobs > cores:
        warnings.warn(f"config key {KEY}.n_jobs: {n_jobs} workers asked for, but this machine has {cores} cores; "
                      f"using {cores}", stacklevel=2)
        n_jobs = cores
    scheduler = spec.get("scheduler")
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypologyError(f"config key {KEY}.scheduler: expected a Dask scheduler address such as "
                            f"'tcp://10.0.0.5:8786', got {scheduler!r}")
    if scheduler is not None and backend != "dask":
        raise TypologyError(f"config key {KEY}.scheduler: a Dask scheduler is given, but {KEY}.backend is {backend!r}; "
                            "use backend dask")
    vintages, exclude = _data_choices(spec, config)
    return Plan(steps, methods, ks, conc, flags["indicators"], flags["dimensions"], n,
                _whole(spec.get("seed"), "seed", 0), (float(interval[0]), float(interval[1])),
                _number(spec.get("stable_from"), "stable_from", 0, 1, "a share in (0, 1]"), sens_n, backend, n_jobs,
                scheduler, vintages, exclude=exclude)


def _data_choices(spec: dict[str, Any], config: dict[str, Any]) -> tuple[dict[str, list[int]], list[str]]:
    """``uncertainty.vintages`` (indicator → years) and, with ``exclude_indicators``, the droppable indicators.

    An indicator can be dropped when another indicator measures its dimension; the sole indicator
    of a dimension cannot (the dimension would have no score at all).
    """
    in_use = {k: dim for dim, keys in config["indicators"].items() for k in keys or []}
    vintages = {}
    for key, years in (spec.get("vintages") or {}).items():
        if key not in in_use:
            raise TypologyError(f"config key {KEY}.vintages.{key}: not an indicator of this run; expected one of "
                                f"{', '.join(in_use)}")
        if not isinstance(years, list) or not years or not all(isinstance(y, int) and not isinstance(y, bool)
                                                                 for y in years):
            raise TypologyError(f"config key {KEY}.vintages.{key}: expected a list of years, e.g. [2014, 2018, "
                                f"2022], got {years!r}")
        if len(set(years)) != len(years):
            raise TypologyError(f"config key {KEY}.vintages.{key}: a year is listed twice in {years}")
        vintages[key] = list(years)
    exclude = []
    if spec.get("exclude_indicators"):
        per_dim = {dim: len(keys or []) for dim, keys in config["indicators"].items()}
        exclude = [k for k, dim in in_use.items() if per_dim[dim] > 1]
    return vintages, exclude
