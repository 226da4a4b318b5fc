"""The indicator catalogue contract: loaded once, checked on entry.

Code never names an indicator; it reads what the catalogue defines. Every entry must carry
the fields below, and every variable reference must point at a declared variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import TypologyError
from .yamlio import read_yaml

DIMENSIONS = ("economy", "civic", "institution", "capacity")
INDICATOR_FIELDS = ("name_ko", "name_en", "dimension", "study_indicator", "direction", "unit",
                    "kind", "agency", "kosis_table", "bundled")
VARIABLE_FIELDS = ("name_ko", "name_en", "unit", "aggregation", "source")
KINDS = {"ratio": ("numerator", "denominator", "scale"), "value": ("variable",), "growth": ("from", "to")}
AGGREGATIONS = {"sum", "none"}
# Measurement level (not the ratio ``scale:``): binary and ordinal indicators take few distinct
# values, which normalisation must not treat as a continuum (scoring/normalise.py, DISCRETE).
LEVELS = ("continuous", "count", "binary", "ordinal")


@dataclass(frozen=True)
class Ref:
    """A variable at a year: fixed (``year``), relative to another ref (``offset``), or,
    with neither, the available year nearest the run's reference year."""

    variable: str
    year: int | None = None
    offset: int | None = None

    @classmethod
    def parse(cls, item: dict[str, Any]) -> Ref:
        year, offset = item.get("year"), item.get("offset")
        if year is not None and offset is not None:
            raise ValueError("year and offset are exclusive")
        return cls(str(item["variable"]), None if year is None else int(year),
                   None if offset is None else int(offset))


@dataclass(frozen=True)
class Indicator:
    key: str
    spec: dict[str, Any]

    @property
    def dimension(self) -> str:
        return self.spec["dimension"]

    @property
    def direction(self) -> int:
        return int(self.spec["direction"])

    @property
    def kind(self) -> str:
        return self.spec["kind"]

    @property
    def bundled(self) -> bool:
        return bool(self.spec["bundled"])

    @property
    def is_proxy(self) -> bool:
        return bool(self.spec.get("proxy")) or bool(self.spec.get("weak"))

    def refs(self) -> list[Ref]:
        spec = self.spec
        if self.kind == "ratio":
            items = [*spec["numerator"], *spec["denominator"]]
        elif self.kind == "value":
            items = [spec["variable"]]
        else:
            items = [spec["from"], spec["to"]]
        return [Ref.parse(item) for item in items]

    @property
    def level(self) -> str:
        """Measurement level; entries written before levels existed are continuous."""
        return str(self.spec.get("level", "continuous"))

    @property
    def discrete(self) -> bool:
        return self.level in ("binary", "ordinal")

    @property
    def max_gap(self) -> int | None:
        gap = self.spec.get("max_gap")
        return None if gap is None else int(gap)


@dataclass(frozen=True)
class Catalog:
    path: Path
    dimensions: dict[str, dict[str, str]]
    variables: dict[str, dict[str, Any]]
    indicators: dict[str, Indicator]

    def indicator(self, key: str, where: str) -> Indicator:
        if key not in self.indicators:
            raise TypologyError(
                f"{where}: indicator {key!r} is not in the catalogue {self.path}; "
                f"expected one of {', '.join(sorted(self.indicators))}"
            )
        return self.indicators[key]


def load_catalog(path: Path | None = None) -> Catalog:
    path = path or paths.CATALOG
    raw = read_yaml(path, "indicator catalogue")
    if not isinstance(raw, dict):
        raise TypologyError(f"{path}: expected a mapping with dimensions, variables and indicators")
    for section in ("dimensions", "variables", "indicators"):
        if not isinstance(raw.get(section), dict):
            raise TypologyError(f"{path}: section {section!r} missing or not a mapping")
    if set(raw["dimensions"]) != set(DIMENSIONS):
        raise TypologyError(f"{path}: dimensions must be {list(DIMENSIONS)}, got {list(raw['dimensions'])}")
    variables = raw["variables"]
    for key, spec in variables.items():
        _require_fields(path, f"variables.{key}", spec, VARIABLE_FIELDS)
        if spec["aggregation"] not in AGGREGATIONS:
            raise TypologyError(f"{path}: variables.{key}.aggregation must be one of {sorted(AGGREGATIONS)}")
    indicators = {}
    for key, spec in raw["indicators"].items():
        where = f"indicators.{key}"
        _require_fields(path, where, spec, INDICATOR_FIELDS)
        if spec["dimension"] not in DIMENSIONS:
            raise TypologyError(f"{path}: {where}.dimension {spec['dimension']!r}; expected one of {list(DIMENSIONS)}")
        if spec["direction"] not in (1, -1):
            raise TypologyError(f"{path}: {where}.direction must be 1 or -1, got {spec['direction']!r}")
        if spec["kind"] not in KINDS:
            raise TypologyError(f"{path}: {where}.kind {spec['kind']!r}; expected one of {sorted(KINDS)}")
        _require_fields(path, where, spec, KINDS[spec["kind"]])
        if spec.get("level", "continuous") not in LEVELS:
            raise TypologyError(f"{path}: {where}.level {spec['level']!r}; expected one of {list(LEVELS)}")
        indicator = Indicator(key, spec)
        try:
            refs = indicator.refs()
        except (KeyError, TypeError, ValueError):
            raise TypologyError(f"{path}: {where}: each variable reference needs 'variable' and at most one of "
                                f"'year' (a whole year) or 'offset' (years relative to the other reference)") from None
        if all(r.offset is not None for r in refs):
            raise TypologyError(f"{path}: {where}: an offset needs a reference without one to count from")
        unknown = [r.variable for r in refs if r.variable not in variables]
        if unknown:
            raise TypologyError(f"{path}: {where} refers to undeclared variables {unknown}")
        indicators[key] = indicator
    return Catalog(path, raw["dimensions"], variables, indicators)


def _require_fields(path: Path, where: str, spec: object, fields: tuple[str, ...]) -> None:
    if not isinstance(spec, dict):
        raise TypologyError(f"{path}: {where} must be a mapping")
    missing = [f for f in fields if f not in spec]
    if missing:
        raise TypologyError(f"{path}: {where} lacks {missing}")
