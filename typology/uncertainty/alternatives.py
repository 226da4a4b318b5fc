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
from ..core.settings import RunSettings, UncertaintySettings, thaw
from ..errors import TypologyError
from ..scoring.aggregate import AGGREGATORS
from ..scoring.impute import IMPUTERS
from ..scoring.normalise import NORMALISERS
from ..scoring.treat import TREATMENTS
from ..typologies.classify import TYPOLOGIES
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


# The shapes, ranges and types of ``uncertainty.*`` are the schema's (checked once, by
# typology.workflow.validate); what is left here needs the registries or another key.

def _step_choices(step: str, given: Any, nominal: dict[str, Any]) -> list[Choice]:
    where = f"{KEY}.{step}"
    if not given:
        return [Choice(str(nominal["method"]), dict(nominal))]
    choices = []
    for i, item in enumerate(given):
        if isinstance(item, str):
            block = {**nominal, "method": item}
        else:
            item = thaw(item)
            unknown = sorted(set(item) - set(nominal) - {"method"})
            if unknown:
                raise TypologyError(f"config key {where}[{i}]: unknown parameter(s) {unknown}; expected some of "
                                    f"{', '.join(sorted(set(nominal) - {'method'})) or '(none)'}")
            block = {**nominal, **item}
        STEPS[step].get(block["method"], f"{where}[{i}]")
        choices.append(Choice(_label(block, item), block))
    labels = [c.label for c in choices]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise TypologyError(f"config key {where}: {twice} listed twice")
    return choices


def _typology_choices(given: tuple[str, ...] | None, method: str) -> list[str]:
    if not given:
        return [method]
    for i, name in enumerate(given):
        TYPOLOGIES.get(name, f"{KEY}.typology[{i}]")
    if len(set(given)) != len(given):
        raise TypologyError(f"config key {KEY}.typology: a method is listed twice in {list(given)}")
    return list(given)


def _k_choices(given: tuple[int, ...] | None, k: int | str, nominal_k: int | None, clusters: bool) -> list[int]:
    if not given:
        nominal = nominal_k if k == "auto" else k
        if nominal is None and clusters:
            raise TypologyError(f"config key {KEY}.k: the typology alternatives include cluster methods; give the "
                                "numbers of clusters to try, e.g. [3, 4, 5]")
        return [int(nominal)] if nominal is not None else []
    ks = list(given)
    if len(set(ks)) != len(ks):
        raise TypologyError(f"config key {KEY}.k: a number is listed twice in {ks}")
    return ks


def refuse_latent(p: Plan) -> None:
    """The Monte Carlo retypes dimension scores; a latent class model reads indicators and covariates instead."""
    latent = [m for m in p.typology if getattr(TYPOLOGIES.get(m, KEY), "latent", False)]
    if latent:
        raise TypologyError(f"config key {KEY}.typology: {latent[0]} is not supported by typology uncertainty yet; "
                            "list other methods (e.g. --set 'uncertainty.typology=[rules]')")


def plan(settings: RunSettings | Mapping[str, Any], nominal_k: int | None = None) -> Plan:
    """The Monte Carlo's alternatives, resolved against the registries; ``nominal_k``: the k the run chose.

    ``settings``: the run's (``typology.workflow.validate``), or a validated config, whose settings are made here.
    """
    if not isinstance(settings, RunSettings):
        settings = RunSettings.of(settings)
    spec = settings.uncertainty
    steps = {step: _step_choices(step, spec.alternatives[step], settings.scoring.step(step).block())
             for step in STEPS}
    methods = _typology_choices(spec.typology, settings.typology.method)
    clusters = any(TYPOLOGIES.get(m, KEY) is not RuleTypology for m in methods)
    ks = _k_choices(spec.k, settings.typology.k, nominal_k, clusters)
    n = spec.n
    sens_n = n // 2 if spec.sensitivity_n == "auto" else int(spec.sensitivity_n)
    if 2 * sens_n > n:
        raise TypologyError(f"config key {KEY}.sensitivity.n: {sens_n} base rows need 2 × {sens_n} replicates, but "
                            f"n is {n}; use at most {n // 2}, or auto")
    n_jobs = spec.n_jobs
    cores = os.cpu_count() or 1
    if n_jobs > cores:
        warnings.warn(f"config key {KEY}.n_jobs: {n_jobs} workers asked for, but this machine has {cores} cores; "
                      f"using {cores}", stacklevel=2)
        n_jobs = cores
    if spec.scheduler is not None and spec.backend != "dask":
        raise TypologyError(f"config key {KEY}.scheduler: a Dask scheduler is given, but {KEY}.backend is "
                            f"{spec.backend!r}; use backend dask")
    vintages, exclude = _data_choices(spec, settings.indicator_keys())
    return Plan(steps, methods, ks, spec.concentration, spec.vary_indicators, spec.vary_dimensions, n, spec.seed,
                spec.interval, spec.stable_from, sens_n, spec.backend, n_jobs, spec.scheduler, vintages,
                exclude=exclude)


def _data_choices(spec: UncertaintySettings,
                  listed: Mapping[str, tuple[str, ...]]) -> tuple[dict[str, list[int]], list[str]]:
    """``uncertainty.vintages`` (indicator → years) and, with ``exclude_indicators``, the droppable indicators.

    An indicator can be dropped when another indicator measures its dimension; the sole indicator
    of a dimension cannot (the dimension would have no score at all).
    """
    in_use = {k: dim for dim, keys in listed.items() for k in keys}
    vintages = {}
    for key, years in spec.vintages.items():
        if key not in in_use:
            raise TypologyError(f"config key {KEY}.vintages.{key}: not an indicator of this run; expected one of "
                                f"{', '.join(in_use)}")
        if len(set(years)) != len(years):
            raise TypologyError(f"config key {KEY}.vintages.{key}: a year is listed twice in {list(years)}")
        vintages[key] = list(years)
    exclude = []
    if spec.exclude_indicators:
        exclude = [k for k, dim in in_use.items() if len(listed[dim]) > 1]
    return vintages, exclude
