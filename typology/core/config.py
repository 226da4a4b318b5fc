"""Run configs: YAML in, a validated and fully resolved dict out.

Every key a config may hold is declared in ``SCHEMA`` with its default, so an unknown key
is caught at once (with the valid keys listed) instead of being silently ignored.
``--set a.b=value`` overrides go through the same check.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from .. import paths
from ..errors import TypologyError
from .yamlio import read_yaml

ANY = object()  # a leaf whose value is free-form (lists, per-indicator mappings)

SCHEMA: dict[str, Any] = {
    "extends": None,
    "name": None,
    "title_ko": "",
    "title_en": "",
    "reference_year": 2020,
    # tables: paths or mappings (see load.TableSpec); on_unmatched and vintage are the defaults
    # for every table that does not set its own.
    "data": {"variables": None, "tables": ANY, "max_year_gap": 3, "on_year_gap": "carry",
             "on_unmatched": "error", "vintage": "report"},
    "indicators": {"economy": ANY, "civic": ANY, "institution": ANY, "capacity": ANY},
    "scoring": {
        # One block per step; `method` picks from that step's registry, the other keys are its
        # parameters (a method ignores those it does not take).
        "impute": {"method": "none", "k": 5, "seed": 0},
        "treat": {"method": "none", "skew": 2.0, "kurtosis": 3.5, "max_points": 5, "fallback": "log", "skip": ANY},
        "normalise": {"method": "zscore", "range": [0, 100], "goalposts": ANY},
        "weights": {"method": "equal", "indicators": ANY, "dimensions": ANY},
        "aggregate": {"method": "arithmetic"},
        "composite": {"method": "arithmetic"},
        "min_share": 0.5,
    },
    "typology": {
        "method": "rules",
        "axes": ANY,
        "types": ANY,
        "unclassified": ANY,
        "features": "dimensions",
        "k": "auto",
        "k_range": [2, 8],
        "k_rule": "mean_rank",
        "seed": 0,
        # Per method, passed to its estimator (typology/cluster.py, regionalise.py).
        "options": {"kmeans": {"n_init": 10, "max_iter": 300}, "ward": {},
                    "gmm": {"covariance_type": "full", "n_init": 5, "reg_covar": 1e-6},
                    "skater": {"floor": 1}, "ward_spatial": {}},
        "contiguity": {"rule": "queen", "islands": "nearest"},
        "bootstrap": {"n": 100, "unstable_below": 0.7},
    },
    # typology uncertainty: Monte Carlo over these alternatives (typology/alternatives.py). A step's
    # list holds method names or {method: ..., parameter: ...}; null or [] keeps the nominal choice.
    "uncertainty": {
        "n": 1000, "seed": 0,
        "impute": ["none", "group_mean", "knn"], "treat": ["winsorise", "log", "none"],
        "normalise": ["zscore", "minmax", "percentile"], "aggregate": ["arithmetic"], "composite": ["arithmetic"],
        "weights": {"concentration": 50, "indicators": True, "dimensions": True},
        "typology": None, "k": None,
        "interval": [5, 95], "stable_from": 0.9, "sensitivity": {"n": "auto"},
        "backend": "loky", "n_jobs": -1, "scheduler": None,
    },
    "output": {"dir": None, "map_tiles": None, "map_tiles_attribution": "", "static_maps": True, "xlsx": True,
               "report": True, "static_dpi": 150},
}

DEFAULTS: dict[str, Any] = {"data": {"tables": []}, "typology": {
    "unclassified": {"key": "unclassified", "name_ko": "유형 미분류", "name_en": "Unclassified",
                     "policy_ko": "", "policy_en": ""}},
    "scoring": {"weights": {"indicators": {}, "dimensions": {}}}}


def _defaults(schema: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in schema.items():
        out[key] = _defaults(value) if isinstance(value, dict) else (None if value is ANY else value)
    return out


def _check_keys(raw: Any, schema: dict[str, Any], where: str, source: str) -> None:
    if not isinstance(raw, dict):
        raise TypologyError(f"{source}: config key {where or '(top level)'} must be a mapping, got {raw!r}")
    for key, value in raw.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in schema:
            raise TypologyError(
                f"{source}: unknown config key {path!r}; expected one of {', '.join(map(str, schema))}"
            )
        if isinstance(schema[key], dict):
            _check_keys(value, schema[key], path, source)


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
    for text in overrides:
        keys, value = parse_override(text)
        node, schema = out, SCHEMA
        for depth, key in enumerate(keys):
            if not isinstance(schema, dict) or key not in schema:
                valid = ", ".join(schema) if isinstance(schema, dict) else "(none: a leaf value)"
                raise TypologyError(
                    f"--set {text!r}: unknown config key {'.'.join(keys[: depth + 1])!r}; expected one of {valid}"
                )
            schema = schema[key]
            if depth == len(keys) - 1:
                node[key] = value
            else:
                node = node.setdefault(key, {})
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
        raise TypologyError(f"{path}: config key extends must be a config name or path, got {parent!r}")
    base = Path(parent)
    candidates = [path.parent / base, paths.CONFIGS_DIR / base, paths.CONFIGS_DIR / f"{parent}.yaml"]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise TypologyError(f"{path}: config key extends: no config {parent!r} beside it or in {paths.CONFIGS_DIR}")
    inherited = _read_chain(found, (*seen, path.resolve()))
    inherited.pop("name", None)
    return _merge(inherited, raw)


def load_config(path: Path | str | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    path = Path(path) if path else paths.DEFAULT_CONFIG
    raw = _read_chain(path)
    raw = apply_overrides(raw, overrides or [])
    _check_keys(raw, SCHEMA, "", f"{path} (after --set)")
    config = _merge(_merge(_defaults(SCHEMA), DEFAULTS), raw)
    config["name"] = config["name"] or path.stem
    config["_path"] = str(path.resolve())
    _check_required(config, str(path))
    return config


def _check_required(config: dict[str, Any], source: str) -> None:
    for dim, keys in config["indicators"].items():
        if keys is None:
            continue
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise TypologyError(f"{source}: config key indicators.{dim} must be a list of indicator keys")
    if not any(config["indicators"].values()):
        raise TypologyError(f"{source}: config key indicators lists no indicator")
    share = config["scoring"]["min_share"]
    if not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise TypologyError(f"{source}: config key scoring.min_share must be a number in (0, 1], got {share!r}")
    tables = config["data"]["tables"]
    if not isinstance(tables, list):
        raise TypologyError(f"{source}: config key data.tables must be a list of CSV paths")


def resolve_path(config: dict[str, Any], value: str) -> Path:
    """Paths in a config are relative to the config file's folder, then to the project root."""
    path = Path(value)
    if path.is_absolute():
        return path
    beside = Path(config["_path"]).parent / path
    return beside if beside.exists() else paths.ROOT / path
