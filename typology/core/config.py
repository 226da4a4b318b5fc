"""Run configs: YAML in, a validated and fully resolved dict out.

Every key a config may hold is declared in ``SCHEMA`` with its default and what its value must
be, so an unknown key or a value of the wrong shape is one line naming the key (``config key
a.b.c: expected …, got …``), raised before any data are read, never a traceback from deep in a
run. ``--set a.b=value`` overrides go through the same checks.

Some leaves take a name from a vocabulary that a later stage owns (a step's registry of methods,
the Monte Carlo's backends, …): core cannot import those stages, so such a leaf is declared
``named`` and ``load_config`` checks only that it is a name. ``typology.workflow.validate`` passes
the vocabularies in and checks the whole config once more, with the cross-key rules, before a
run starts (like scikit-learn's ``_parameter_constraints``, checked once up front).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml

from .. import paths
from ..errors import TypologyError
from .params import (
    SEED,
    Param,
    alternatives,
    check_controls,
    flag,
    is_range,
    is_text,
    is_whole,
    named,
    names_list,
    number,
    pair,
    run_name,
    shaped,
    share,
    shown,
    shown_key,
    text,
    weight_map,
    whole,
)
from .yamlio import read_yaml

MAX_N_INIT = 1000
MAX_BOOTSTRAP = 10_000
MAX_REPLICATES = 1_000_000  # and analyse() checks the memory a run of that size needs before it starts
MAX_JOBS = 1024

SCHEMA: dict[str, Any] = {
    "extends": text(None, "a config name or path", nullable=True),
    "name": run_name(),
    "title_ko": text(""),
    "title_en": text(""),
    "reference_year": whole(2020, 1900, 2100),
    # Project catalogues: more variables and indicators (core/catalog.py extend_catalog).
    "catalog": names_list([], "project catalogue files (paths relative to the config)"),
    # scope: the units of the run, {sido: [...], class: [...], codes: [...]} (all given must hold);
    # its names are checked against the unit table by data/scope.py up front.
    "units": {"scope": shaped(None, "a mapping with sido:, class: and/or codes: (lists)",
                              lambda v: isinstance(v, dict) and bool(v) and all(isinstance(x, list)
                                                                                for x in v.values()))},
    # tables: paths or mappings (see data.specs.TableSpec); on_unmatched and vintage are the defaults
    # for every table that does not set its own.
    "data": {"variables": shaped(None, "a path, or a mapping with path:", lambda v: isinstance(v, (str, dict))),
             "tables": shaped([], "a list of tables (paths, or mappings with path:)",
                              lambda v: isinstance(v, list) and all(isinstance(e, (str, dict)) for e in v),
                              nullable=False),
             "max_year_gap": whole(3, 0),
             "on_year_gap": named("carry", "a year-gap policy"),
             "on_unmatched": named("error", "an unmatched-rows policy"),
             "vintage": named("report", "a vintage policy"),
             # A CSV with columns code, peer_group (one row per unit): the groups that
             # scoring.normalise.within: peer_group compares inside (see README, peer groups).
             "peer_groups": text(None, "a path to a CSV with columns code, peer_group", nullable=True)},
    # Every dimension is scored, so each needs an indicator.
    "indicators": {dim: Param(None, "a list of indicator keys, at least one",
                              lambda v: isinstance(v, list) and bool(v) and all(map(is_text, v)))
                   for dim in ("economy", "civic", "institution", "capacity")},
    "scoring": {
        # One block per step; `method` picks from that step's registry, the other keys are its
        # parameters (a method ignores those it does not take).
        "impute": {"method": named("none", "an imputation method"), "k": whole(5, 1, 1000), "seed": SEED},
        "treat": {"method": named("none", "an outlier treatment"), "skew": number(2.0, 0, low_open=True),
                  "kurtosis": number(3.5), "max_points": whole(5, 1), "fallback": named("log", "a fallback"),
                  "skip": names_list(None, "indicator keys")},
        "normalise": {"method": named("zscore", "a normalisation method"),
                      "range": pair([0, 100], "two numbers [lower, upper] with lower < upper"),
                      "goalposts": shaped(None, "a mapping indicator: [low, high] with low < high",
                                          lambda v: isinstance(v, dict) and all(map(is_range, v.values()))),
                      # Fit inside groups of units (peer_group | class | sido); null = nationally.
                      "within": Param(None, "a unit grouping", is_text, nullable=True, named=True),
                      "min_group": whole(5, 2),
                      # binary/ordinal indicators under z-scores: latent (category scores) | plain
                      "discrete": named("latent", "a treatment of discrete indicators")},
        # Indicators replaced by their residuals on unit covariates (log_population, class, sido).
        "adjust": {"covariates": names_list([], "covariate names", nullable=False),
                   "indicators": names_list([], "indicator keys", nullable=False)},
        "weights": {"method": named("equal", "a weighting method"), "indicators": weight_map({}),
                    "dimensions": weight_map({})},
        "aggregate": {"method": named("arithmetic", "an aggregation method")},
        "composite": {"method": named("arithmetic", "an aggregation method")},
        "min_share": share(0.5),
    },
    "typology": {
        "method": named("rules", "a typology method"),
        # Their contents (dimensions that exist, conditions that parse, unique keys) are the rules'
        # own check, run up front by typology.workflow.validate.
        "axes": shaped(None, "a mapping axis name: {dimensions: [...]}",
                       lambda v: isinstance(v, dict) and all(isinstance(s, dict) for s in v.values())),
        "types": shaped(None, "a list of types (mappings with key, name_ko, name_en, when)",
                        lambda v: isinstance(v, list) and all(isinstance(s, dict) for s in v)),
        "unclassified": {"key": text("unclassified", "a type key (text)"), "name_ko": text("유형 미분류"),
                         "name_en": text("Unclassified"), "policy_ko": text(""), "policy_en": text("")},
        "features": named("dimensions", "a feature set"),
        "k": whole("auto", 2, also=("auto",)),
        "k_range": pair([2, 8], "[smallest k, largest k], whole numbers ≥ 2, smallest first", is_whole, low=2,
                        strict=False),
        "k_rule": named("mean_rank", "a k selection rule"),
        "seed": SEED,
        # Per method, passed to its estimator (typologies/cluster.py, regionalise.py).
        # Upper bounds: each knob multiplies the work, and a typo (n_init: 1000000) must not hang the run.
        "options": {"kmeans": {"n_init": whole(10, 1, MAX_N_INIT), "max_iter": whole(300, 1, 100_000)}, "ward": {},
                    "gmm": {"covariance_type": named("full", "a covariance type"), "n_init": whole(5, 1, MAX_N_INIT),
                            "reg_covar": number(1e-6, 0)},
                    "skater": {"floor": whole(1, 1)}, "ward_spatial": {},
                    # StepMix (typologies/latent_class.py); few restarts keep k_range × n_init fits quick.
                    "latent_class": {"n_init": whole(3, 1, 20), "max_iter": whole(300, 10, 5000),
                                     "tol": number(1e-6, 0, 1e-2, low_open=True),
                                     "covariates": names_list(["log_population", "class"],
                                                              "unit attributes (log_population, class, sido, …)",
                                                              nullable=False)}},
        "contiguity": {"rule": named("queen", "a contiguity rule"), "islands": named("nearest", "an islands option")},
        "bootstrap": {"n": whole(100, 0, MAX_BOOTSTRAP), "unstable_below": share(0.7)},
    },
    # typology uncertainty: Monte Carlo over these alternatives (uncertainty/alternatives.py). A step's
    # list holds method names or {method: ..., parameter: ...}; null or [] keeps the nominal choice.
    "uncertainty": {
        "n": whole(1000, 2, MAX_REPLICATES), "seed": SEED,
        "impute": alternatives(["none", "group_mean", "knn"], "imputation"),
        "treat": alternatives(["winsorise", "log", "none"], "treatment"),
        "normalise": alternatives(["zscore", "minmax", "percentile"], "normalisation"),
        "aggregate": alternatives(["arithmetic"], "aggregation"),
        "composite": alternatives(["arithmetic"], "aggregation"),
        "weights": {"concentration": number(50, 0, low_open=True, nullable=True),
                    "indicators": flag(True), "dimensions": flag(True)},
        "typology": names_list(None, "typology methods"),
        "k": Param(None, "a list of numbers of clusters (whole numbers ≥ 2), e.g. [3, 4, 5]",
                   lambda v: isinstance(v, list) and bool(v) and all(is_whole(k) and k >= 2 for k in v),
                   nullable=True),
        "interval": pair([5, 95], "[low, high] percentiles with 0 ≤ low < high ≤ 100", low=0, high=100),
        "stable_from": share(0.9),
        "sensitivity": {"n": whole("auto", 0, MAX_REPLICATES // 2, also=("auto",))},
        "backend": named("loky", "a backend"),
        # More workers than cores only adds memory; a larger number is used as every core (with a warning).
        "n_jobs": Param(-1, f"−1 (every core) or a whole number from 1 to {MAX_JOBS}",
                        lambda v: is_whole(v) and (v == -1 or 1 <= v <= MAX_JOBS)),
        "scheduler": text(None, "a Dask scheduler address such as 'tcp://10.0.0.5:8786'", nullable=True),
        # Data choices (uncertainty/datachoices.py): other vintages of an indicator's data, and
        # dropping one indicator at a time (COINr's indicator exclusion).
        "vintages": shaped({}, "a mapping indicator: [years], e.g. {local_election_turnout: [2014, 2018, 2022]}",
                           lambda v: isinstance(v, dict) and all(
                               isinstance(y, list) and bool(y) and all(map(is_whole, y)) for y in v.values()),
                           nullable=False),
        "exclude_indicators": flag(False),
    },
    # Variables not used in scoring that each axis should track (validity.csv, criterion checks).
    # criteria: names, or {variable:, expect: positive | negative, axis:, source:} (validity/criteria.py).
    "validation": {"criteria": shaped([], "a list of variable names or mappings with variable:",
                                      lambda v: isinstance(v, list) and all(is_text(e) or isinstance(e, dict)
                                                                            for e in v), nullable=False),
                   "leave_one_out": flag(True),
                   # Deciding axes with Cronbach's alpha below `alpha`: warn, or stop the run (error).
                   "coherence": {"on_fail": named("warn", "a coherence policy (warn | error)"),
                                 "alpha": share(0.6)},
                   # Another config (name or path) whose types are cross-tabulated with this run's.
                   "compare_with": text(None, "a config name or path", nullable=True),
                   # Why this config's choices were made: shown in the report's validity section.
                   "rationale_ko": text(""), "rationale_en": text("")},
    "output": {"dir": text(None, "a folder path", nullable=True),
               # Its form (an https template) is the web map's own check, run up front.
               "map_tiles": text(None, "an https URL template with {z}/{x}/{y}", nullable=True),
               "map_tiles_attribution": text(""), "static_maps": flag(True), "xlsx": flag(True),
               "report": flag(True), "static_dpi": whole(150, 50, 600)},
}

# Kept for callers that merged it over the schema's defaults; every default now lives in SCHEMA.
DEFAULTS: dict[str, Any] = {}


def _defaults(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: _defaults(spec) if isinstance(spec, dict) else copy.deepcopy(spec.default)
            for key, spec in schema.items()}


def defaults_of(schema: Mapping[str, Any] = SCHEMA) -> dict[str, Any]:
    """The defaults of a schema (or of one of its sections), as a fresh dict."""
    return _defaults(dict(schema))


def check_keys(raw: Any, schema: dict[str, Any] = SCHEMA, source: str = "config") -> None:
    """Every key of ``raw`` is declared in ``schema`` (``source`` names the file in the error)."""
    _check_keys(raw, schema, "", source)


def _check_keys(raw: Any, schema: dict[str, Any], where: str, source: str) -> None:
    if not isinstance(raw, dict):
        if not where:
            raise TypologyError(f"{source}: not a typology config (expected a YAML mapping of config keys, got "
                                f"{type(raw).__name__}); the file's contents are not shown")
        raise TypologyError(f"{source}: config key {where}: expected a mapping, got {shown(raw)}")
    for key, value in raw.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in schema:
            raise TypologyError(
                f"{source}: unknown config key {shown_key(path)}; expected one of {', '.join(map(str, schema))}"
            )
        if isinstance(schema[key], dict):
            _check_keys(value, schema[key], path, source)


def check(config: Mapping[str, Any], names: Mapping[str, Collection[str]] | None = None,
          schema: Mapping[str, Any] = SCHEMA, where: str = "") -> None:
    """Every leaf of a resolved config against its declaration; ``names``: dotted key → the names it may take."""
    for key, spec in schema.items():
        path = f"{where}.{key}" if where else key
        value = config.get(key)
        if isinstance(spec, dict):
            if not isinstance(value, dict):
                raise TypologyError(f"config key {path}: expected a mapping, got {shown(value)}")
            check(value, names, spec, path)
        else:
            spec.check(value, path, names)


def named_keys(schema: Mapping[str, Any] = SCHEMA, where: str = "") -> list[str]:
    """The dotted keys whose names a later stage declares."""
    out = []
    for key, spec in schema.items():
        path = f"{where}.{key}" if where else key
        if isinstance(spec, dict):
            out += named_keys(spec, path)
        elif spec.named:
            out.append(path)
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_override(text: str) -> tuple[list[str], Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise TypologyError(f"--set {text!r}: expected KEY=VALUE, e.g. scoring.normalise.method=minmax")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    return key.strip().split("."), parsed


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    for item in overrides:
        keys, value = parse_override(item)
        node, schema = out, SCHEMA
        for depth, key in enumerate(keys):
            if not isinstance(schema, dict) or key not in schema:
                valid = ", ".join(schema) if isinstance(schema, dict) else "(none: a leaf value)"
                raise TypologyError(
                    f"--set {item!r}: unknown config key {'.'.join(keys[: depth + 1])!r}; expected one of {valid}"
                )
            schema = schema[key]
            if depth == len(keys) - 1:
                node[key] = value
            else:
                child = node.setdefault(key, {})
                if isinstance(schema, dict) and not isinstance(child, dict):
                    # e.g. --set a.b=1 where the file gives a: 5; the file's value is reported.
                    raise TypologyError(f"config key {'.'.join(keys[: depth + 1])}: expected a mapping, got "
                                        f"{shown(child)}")
                node = child
    return out


def _read_chain(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A config may ``extends:`` another (e.g. ``extends: default``) and override parts of it."""
    if path.resolve() in seen:
        raise TypologyError(f"{path}: config key extends: circular chain {[str(p) for p in seen]}")
    raw = read_yaml(path, "config file")
    if raw is None:
        raw = {}
    _check_keys(raw, SCHEMA, "", str(path))
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise TypologyError(f"{path}: config key extends: expected a config name or path, got {shown(parent)}")
    base = Path(parent)
    candidates = [path.parent / base, paths.CONFIGS_DIR / base, paths.CONFIGS_DIR / f"{parent}.yaml"]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise TypologyError(f"{path}: config key extends: no config {parent!r} beside it or in {paths.CONFIGS_DIR}")
    inherited = _read_chain(found, (*seen, path.resolve()))
    inherited.pop("name", None)
    return _merge(inherited, raw)


def resolve(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """A config's own keys (checked against the schema) over the schema's defaults, every leaf checked."""
    _check_keys(raw, SCHEMA, "", source)
    config = _merge(_defaults(SCHEMA), raw)
    check(config)
    check_controls(raw, "")
    return config


def load_config(path: Path | str | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    """Read, merge and check a config. Names owned by later stages are checked by ``typology.workflow.validate``.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A YAML config (default configs/default.yaml); ``extends:`` chains are merged.
    overrides : list of str, optional
        ``--set`` strings, e.g. ``["scoring.normalise.method=minmax"]``.

    Returns
    -------
    dict
        The resolved config, every key present and checked.

    Examples
    --------
    >>> import typology as tp
    >>> cfg = tp.load_config("configs/examples/seoul.yaml", ["typology.bootstrap.n=50"])
    >>> cfg["units"]["scope"]
    {'sido': ['서울특별시']}
    """
    path = Path(path) if path else paths.DEFAULT_CONFIG
    raw = _read_chain(path)
    raw = apply_overrides(raw, overrides or [])
    config = resolve(raw, f"{path} (after --set)")
    config["name"] = config["name"] or path.stem
    config["_path"] = str(path.resolve())
    return config


def resolve_path(config: dict[str, Any], value: str) -> Path:
    """Paths in a config are relative to the config file's folder, then to the project root."""
    path = Path(value)
    if path.is_absolute():
        return path
    beside = Path(config["_path"]).parent / path
    return beside if beside.exists() else paths.ROOT / path
