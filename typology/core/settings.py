"""Typed, frozen settings per stage, built once from a validated config.

``typology.workflow.validate`` checks the resolved config (``load_config``) against the schema and the
stages' vocabularies, then builds one ``RunSettings`` from it; the stages take their own part
(``ScoringSettings``, ``TypologySettings``, …) instead of the dict, and check nothing again. A
default lives only in ``core.config.SCHEMA``: ``of`` fills a partial section from it (callers
that score or type a table of their own), it never decides a default of its own.

Nested values are frozen (``FrozenMap``, tuples), so no stage can change what another reads;
``thaw`` gives plain dicts and lists back where a table, a log entry or the rules need them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .catalog import DIMENSIONS, Indicator
from .config import SCHEMA, check, defaults_of


class FrozenMap(Mapping[str, Any]):
    """A read-only mapping in its given key order (pickles, unlike ``MappingProxyType``: the Monte
    Carlo's workers receive settings)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FrozenMap is read-only")

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return FrozenMap, (self._data,)


def freeze(value: Any) -> Any:
    """Mappings → ``FrozenMap``, lists → tuples, all the way down."""
    if isinstance(value, Mapping):
        return FrozenMap({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of ``freeze``: plain dicts and lists (fresh copies, safe to change)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return copy.deepcopy(value)


def _filled(section: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """A section over the schema's defaults (a partial section given by a caller of a stage)."""
    out = defaults_of(schema)
    for key, value in section.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict) and isinstance(schema.get(key), dict):
            out[key] = _filled(value, schema[key])
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class StepSettings:
    """One scoring step: the method's name and the parameters of its config block, in their order."""

    method: str
    params: FrozenMap

    @classmethod
    def of(cls, block: Mapping[str, Any]) -> StepSettings:
        return cls(str(block["method"]), freeze({k: v for k, v in block.items() if k != "method"}))

    def block(self) -> dict[str, Any]:
        """The config block as a plain dict (``method`` first, as in the schema)."""
        return {"method": self.method, **thaw(self.params)}

    def get(self, key: str, default: Any = None) -> Any:
        return self.method if key == "method" else self.params.get(key, default)

    def with_(self, **changes: Any) -> StepSettings:
        """These settings with some parameters (or ``method``) changed."""
        method = changes.pop("method", self.method)
        return StepSettings(method, FrozenMap({**self.params, **{k: freeze(v) for k, v in changes.items()}}))


SCORING_STEPS = ("impute", "treat", "normalise", "weights", "aggregate", "composite")


@dataclass(frozen=True)
class ScoringSettings:
    impute: StepSettings
    treat: StepSettings
    normalise: StepSettings
    weights: StepSettings
    aggregate: StepSettings
    composite: StepSettings
    adjust: FrozenMap  # covariates, indicators
    min_share: float

    @classmethod
    def of(cls, scoring: Mapping[str, Any]) -> ScoringSettings:
        full = _filled(scoring, SCHEMA["scoring"])
        return cls(*(StepSettings.of(full[s]) for s in SCORING_STEPS), freeze(full["adjust"]),
                   float(full["min_share"]))

    def step(self, name: str) -> StepSettings:
        return getattr(self, name)

    def replace_step(self, name: str, step: StepSettings) -> ScoringSettings:
        return replace(self, **{name: step})


@dataclass(frozen=True)
class TypologySettings:
    """The typology step: the method, its options, k, the rules, contiguity and the bootstrap."""

    method: str
    seed: int
    k: int | str  # a number, or "auto"
    k_range: tuple[int, ...]  # every k tried, smallest to largest
    k_rule: str
    features: str
    options: FrozenMap  # the chosen method's options
    all_options: FrozenMap  # method → its options
    islands: str
    contiguity_rule: str
    bootstrap_n: int
    unstable_below: float
    axes: FrozenMap
    types: tuple[FrozenMap, ...]
    unclassified: FrozenMap

    @classmethod
    def of(cls, typology: Mapping[str, Any]) -> TypologySettings:
        t = _filled(typology, SCHEMA["typology"])
        lo, hi = t["k_range"]
        options = freeze(t["options"])
        return cls(t["method"], int(t["seed"]), t["k"], tuple(range(int(lo), int(hi) + 1)), t["k_rule"],
                   t["features"], options.get(t["method"]) or FrozenMap(), options, t["contiguity"]["islands"],
                   t["contiguity"]["rule"], int(t["bootstrap"]["n"]), float(t["bootstrap"]["unstable_below"]),
                   freeze(t["axes"]), freeze(t["types"] or []), freeze(t["unclassified"]))

    def for_method(self, method: str) -> TypologySettings:
        """The same settings with another method (and that method's options)."""
        return replace(self, method=method, options=self.all_options.get(method) or FrozenMap())

    def rules(self) -> dict[str, Any]:
        """The readable rules as the rule model reads them (axes, types, the unclassified type), with the
        method and its features: a fresh ``typology`` section."""
        return {"method": self.method, "features": self.features, "axes": thaw(self.axes), "types": thaw(self.types),
                "unclassified": thaw(self.unclassified)}


@dataclass(frozen=True)
class UncertaintySettings:
    """The Monte Carlo's section as validated; ``uncertainty.alternatives.plan`` resolves it against the run."""

    n: int
    seed: int
    alternatives: FrozenMap  # scoring step → its list of alternatives (None: the nominal choice)
    concentration: float | None
    vary_indicators: bool
    vary_dimensions: bool
    typology: tuple[str, ...] | None
    k: tuple[int, ...] | None
    interval: tuple[float, float]
    stable_from: float
    sensitivity_n: int | str
    backend: str
    n_jobs: int
    scheduler: str | None
    vintages: FrozenMap
    exclude_indicators: bool

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> UncertaintySettings:
        u = _filled(spec, SCHEMA["uncertainty"])
        w = u["weights"]
        steps = ("impute", "treat", "normalise", "aggregate", "composite")
        return cls(int(u["n"]), int(u["seed"]), freeze({s: u[s] for s in steps}),
                   None if w["concentration"] is None else float(w["concentration"]), bool(w["indicators"]),
                   bool(w["dimensions"]), freeze(u["typology"]), freeze(u["k"]),
                   (float(u["interval"][0]), float(u["interval"][1])), float(u["stable_from"]),
                   u["sensitivity"]["n"], u["backend"], int(u["n_jobs"]), u["scheduler"], freeze(u["vintages"] or {}),
                   bool(u["exclude_indicators"]))


@dataclass(frozen=True)
class ValidationSettings:
    criteria: tuple[Any, ...]
    leave_one_out: bool
    on_fail: str  # coherence: warn | error
    alpha: float
    compare_with: str | None
    rationale_ko: str
    rationale_en: str

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> ValidationSettings:
        v = _filled(spec, SCHEMA["validation"])
        return cls(freeze(v["criteria"]), bool(v["leave_one_out"]), v["coherence"]["on_fail"],
                   float(v["coherence"]["alpha"]), v["compare_with"], v["rationale_ko"], v["rationale_en"])


@dataclass(frozen=True)
class OutputSettings:
    dir: str | None
    map_tiles: str | None
    map_tiles_attribution: str
    static_maps: bool
    xlsx: bool
    report: bool
    static_dpi: int

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> OutputSettings:
        o = _filled(spec, SCHEMA["output"])
        return cls(o["dir"], o["map_tiles"], o["map_tiles_attribution"], bool(o["static_maps"]), bool(o["xlsx"]),
                   bool(o["report"]), int(o["static_dpi"]))


@dataclass(frozen=True)
class DataSettings:
    reference_year: int
    max_year_gap: int
    on_year_gap: str
    on_unmatched: str
    vintage: str
    peer_groups: str | None
    scope: FrozenMap | None

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> DataSettings:
        d = _filled(config.get("data") or {}, SCHEMA["data"])
        scope = (config.get("units") or {}).get("scope")
        return cls(int(config["reference_year"]), int(d["max_year_gap"]), d["on_year_gap"], d["on_unmatched"],
                   d["vintage"], d["peer_groups"], None if scope is None else freeze(scope))


@dataclass(frozen=True)
class RunSettings:
    """Every stage's settings, and the config they came from.

    ``config`` is the resolved config as given (its own key order: the manifest records it, and
    some orders show in the tables); the stages read the typed fields.
    """

    config: FrozenMap
    data: DataSettings
    scoring: ScoringSettings
    typology: TypologySettings
    uncertainty: UncertaintySettings
    validation: ValidationSettings
    output: OutputSettings
    indicators: tuple[Indicator, ...] = field(default=())  # selected, in order (dimension by dimension)
    # The run's name and titles, as the config gives them (headings of the report, the map and the workbook).
    name: str | None = None
    title_ko: str | None = None
    title_en: str | None = None

    @classmethod
    def of(cls, config: Mapping[str, Any], indicators: list[Indicator] | tuple[Indicator, ...] = ()) -> RunSettings:
        """Settings from a validated, resolved config (``typology.workflow.validate`` builds them once).

        A partial config (a test's, a notebook's section) takes the schema's defaults for the rest.
        """
        full = _filled(config, SCHEMA)
        return cls(freeze(config), DataSettings.of(full), ScoringSettings.of(full["scoring"]),
                   TypologySettings.of(full["typology"]), UncertaintySettings.of(full["uncertainty"]),
                   ValidationSettings.of(full["validation"]), OutputSettings.of(full["output"]),
                   tuple(indicators), config.get("name"), config.get("title_ko"), config.get("title_en"))

    @classmethod
    def checked(cls, config: Mapping[str, Any],
                indicators: list[Indicator] | tuple[Indicator, ...] = ()) -> RunSettings:
        """Settings of a config that no run validated (e.g. a result given another config afterwards): its
        leaves are checked against the schema first, so a bad value is still one line naming its key."""
        check(_filled(config, SCHEMA))
        return cls.of(config, indicators)

    def indicator_keys(self) -> dict[str, tuple[str, ...]]:
        """Dimension → the indicator keys the config lists for it."""
        listed = self.config.get("indicators") or {}
        return {dim: tuple(listed.get(dim) or ()) for dim in DIMENSIONS}


def as_settings(config: RunSettings | Mapping[str, Any]) -> RunSettings:
    """The run's settings as given, or made from a (validated, possibly partial) config."""
    return config if isinstance(config, RunSettings) else RunSettings.of(config)
