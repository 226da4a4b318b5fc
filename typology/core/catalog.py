"""The indicator catalogue contract: loaded once, checked on entry.

Code never names an indicator; it reads what the catalogue defines. Every entry must carry
the fields below, and every variable reference must point at a declared variable.

A config's ``catalog: [file, ...]`` adds a researcher's own variables and indicators
(``extend_catalog``): the same checks, and a key the bundled catalogue (or an earlier project
file) already holds is an error unless the entry says ``override: true``, so a project never
redefines a bundled indicator by accident. A project indicator needs only what it means
(``PROJECT_REQUIRED``); the bundled catalogue's bookkeeping (``kosis_table``, ``bundled``,
``study_indicator``) is optional there, and a ``study_indicator`` it does give must be one of the
study's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import TypologyError
from .config import resolve_path
from .params import check_controls, shown_key
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
    # project catalogues merged over the bundled one (config key ``catalog``), in order
    extra: tuple[Path, ...] = ()
    # the entries those files added or overrode, as "variables.key" / "indicators.key"
    added: tuple[str, ...] = ()

    @property
    def files(self) -> list[Path]:
        """Every catalogue file this catalogue was read from (for the manifest's inputs)."""
        return [self.path, *self.extra]

    def described(self) -> str:
        return str(self.path) + (f" (with {', '.join(map(str, self.extra))})" if self.extra else "")

    def indicator(self, key: str, where: str) -> Indicator:
        if key not in self.indicators:
            raise TypologyError(
                f"{where}: indicator {key!r} is not in the catalogue {self.described()}; "
                f"expected one of {', '.join(sorted(self.indicators))}"
            )
        return self.indicators[key]


def load_catalog(path: Path | None = None, raw: dict[str, Any] | None = None) -> Catalog:
    """The catalogue in ``path`` (default the bundled one); ``raw``: its content already read (``extend_catalog``)."""
    path = path or paths.CATALOG
    raw = read_yaml(path, "indicator catalogue") if raw is None else raw
    _check_sections(path, raw)
    variables = raw["variables"]
    _check_variables(path, variables)
    indicators = {key: _checked_indicator(path, key, spec, variables) for key, spec in raw["indicators"].items()}
    return Catalog(path, raw["dimensions"], variables, indicators)


def _check_sections(path: Path, raw: object) -> None:
    # The entries are read through these sections, so their shape is checked before any entry is.
    if not isinstance(raw, dict):
        raise TypologyError(f"{path}: expected a mapping with dimensions, variables and indicators")
    for section in ("dimensions", "variables", "indicators"):
        if not isinstance(raw.get(section), dict):
            raise TypologyError(f"{path}: section {section!r} missing or not a mapping")
    if set(raw["dimensions"]) != set(DIMENSIONS):
        raise TypologyError(f"{path}: dimensions must be {list(DIMENSIONS)}, got {list(raw['dimensions'])}")


def _check_variables(path: Path, variables: dict[str, Any]) -> None:
    for key, spec in variables.items():
        _require_fields(path, f"variables.{key}", spec, VARIABLE_FIELDS)
        if spec["aggregation"] not in AGGREGATIONS:
            raise TypologyError(f"{path}: variables.{key}.aggregation must be one of {sorted(AGGREGATIONS)}")


def _checked_indicator(path: Path, key: str, spec: Any, variables: dict[str, Any]) -> Indicator:
    """One catalogue entry as an ``Indicator``: its fields first, then the variables it refers to."""
    where = f"indicators.{key}"
    _check_indicator_fields(path, where, spec)
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
    return indicator


def _check_indicator_fields(path: Path, where: str, spec: Any) -> None:
    _require_fields(path, where, spec, INDICATOR_FIELDS)
    if spec["dimension"] not in DIMENSIONS:
        raise TypologyError(f"{path}: {where}.dimension {spec['dimension']!r}; expected one of {list(DIMENSIONS)}")
    if spec["direction"] not in (1, -1):
        raise TypologyError(f"{path}: {where}.direction must be 1 or -1, got {spec['direction']!r}")
    if spec["kind"] not in KINDS:
        raise TypologyError(f"{path}: {where}.kind {spec['kind']!r}; expected one of {sorted(KINDS)}")
    # which formula fields an entry needs depends on its kind, so they are checked once the kind is known
    _require_fields(path, where, spec, KINDS[spec["kind"]])
    if spec.get("level", "continuous") not in LEVELS:
        raise TypologyError(f"{path}: {where}.level {spec['level']!r}; expected one of {list(LEVELS)}")


def _require_fields(path: Path, where: str, spec: object, fields: tuple[str, ...]) -> None:
    if not isinstance(spec, dict):
        raise TypologyError(f"{path}: {where} must be a mapping")
    missing = [f for f in fields if f not in spec]
    if missing:
        raise TypologyError(f"{path}: {where} lacks {missing}")


PROJECT_SECTIONS = ("variables", "indicators")
# What a project indicator must say: its name (Korean or English), dimension, direction, unit,
# formula (``kind`` and its references) and source (``agency``, or ``source`` for short).
PROJECT_REQUIRED = ("dimension", "direction", "unit", "kind")
PROJECT_DEFAULTS = {"kosis_table": None, "bundled": False, "study_indicator": None}


def study_indicators(catalog: Catalog) -> list[str]:
    """The study's indicator names (지역경제 … 재정자립도): those the bundled catalogue's entries name."""
    own = {k for k in catalog.indicators if f"indicators.{k}" not in catalog.added}
    return sorted({str(i.spec["study_indicator"]) for k, i in catalog.indicators.items()
                   if k in own and i.spec.get("study_indicator") is not None})


def _project_indicator(path: Path, key: str, spec: dict[str, Any], study: list[str]) -> dict[str, Any]:
    """A project indicator with the bookkeeping fields filled in; the meaningful ones checked."""
    where = f"indicators.{key}"
    names = [spec.get("name_ko"), spec.get("name_en")]
    if not any(isinstance(n, str) and n.strip() for n in names):
        raise TypologyError(f"{path}: {where} lacks a name; give name_ko (and name_en)")
    _require_fields(path, where, spec, PROJECT_REQUIRED)
    if spec.get("agency") is None and spec.get("source") is None:
        raise TypologyError(f"{path}: {where} lacks its source; give source: (or agency:), e.g. the "
                            f"agency or document the values come from")
    out = {**PROJECT_DEFAULTS, **spec}
    out.setdefault("name_ko", out.get("name_en"))
    out.setdefault("name_en", out.get("name_ko"))
    if out.get("agency") is None:
        out["agency"] = out["source"]
    named = out["study_indicator"]
    if named is not None and named not in study:
        raise TypologyError(f"{path}: {where}.study_indicator {named!r} is not one of the study's {len(study)} "
                            f"indicators ({', '.join(study)}); leave it out or null if the indicator is new")
    if not isinstance(out["bundled"], bool):
        raise TypologyError(f"{path}: {where}.bundled: expected true or false, got {out['bundled']!r}")
    return out


def extend_catalog(base: Catalog, files: Sequence[Path]) -> Catalog:
    """``base`` with the variables and indicators of each project catalogue in ``files`` added, in order.

    A project file holds ``variables:`` and/or ``indicators:`` with the bundled schema (dimensions
    are the study's four and cannot be added), checked by the same code as the bundled file. A key
    already defined is an error naming both files unless the new entry says ``override: true``;
    ``override: true`` on a new key is an error too, since it would hide a typo in the key it meant
    to replace.
    """
    catalog = base
    study = study_indicators(base)
    added = list(base.added)
    origin = {**{f"variables.{k}": base.path for k in base.variables},
              **{f"indicators.{k}": base.path for k in base.indicators}}
    for path in files:
        raw = read_yaml(path, "project catalogue")
        if not isinstance(raw, dict) or not raw:
            raise TypologyError(f"{path}: a project catalogue is a mapping with variables: and/or indicators:")
        check_controls(raw, "", f"{path}: key")
        unknown = [k for k in raw if k not in PROJECT_SECTIONS]
        if unknown:
            raise TypologyError(f"{path}: section {shown_key(unknown[0])} not allowed in a project catalogue; expected "
                                f"{' and/or '.join(PROJECT_SECTIONS)} (the four dimensions are fixed)")
        merged: dict[str, Any] = {"dimensions": catalog.dimensions, "variables": dict(catalog.variables),
                                  "indicators": {k: i.spec for k, i in catalog.indicators.items()}}
        for section in PROJECT_SECTIONS:
            entries = raw.get(section) or {}
            if not isinstance(entries, dict):
                raise TypologyError(f"{path}: section {section!r} must be a mapping key: entry")
            for key, spec in entries.items():
                where = f"{section}.{key}"
                if not isinstance(spec, dict):
                    raise TypologyError(f"{path}: {where} must be a mapping")
                spec = dict(spec)
                override = spec.pop("override", False)
                if not isinstance(override, bool):
                    raise TypologyError(f"{path}: {where}.override: expected true or false, got {override!r}")
                if where in origin and not override:
                    raise TypologyError(f"{path}: {where} is already defined in {origin[where]}; rename it, or "
                                        f"set override: true to replace that definition")
                if override and where not in origin:
                    raise TypologyError(f"{path}: {where}.override: true, but no catalogue defines {key!r} "
                                        f"to override")
                if section == "indicators":
                    spec = _project_indicator(path, key, spec, study)
                merged[section][key] = spec
                origin[where] = path
                added.append(where)
        # The bundled entries passed these checks already, so an error here is one of this file's.
        checked = load_catalog(path, merged)
        catalog = Catalog(base.path, checked.dimensions, checked.variables, checked.indicators,
                          (*catalog.extra, path), tuple(added))
    return catalog


def catalog_for(config: dict[str, Any]) -> Catalog:
    """The bundled catalogue with the config's project catalogues (``catalog:``, paths relative to the config)."""
    files = config.get("catalog") or []
    located = []
    for i, text in enumerate(files):
        path = resolve_path(config, text) if config.get("_path") else Path(text)
        if not path.is_file():
            raise TypologyError(f"config key catalog[{i}]: no project catalogue {text!r} beside the config "
                                f"({path})")
        located.append(path)
    return extend_catalog(load_catalog(), located)
