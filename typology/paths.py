"""Where the bundled catalogue, data and geometry live.

They sit at the project root (the layout is fixed by the design card), next to the
package, so an editable install finds them without copying them into site-packages.
"""

from __future__ import annotations

from pathlib import Path

from .errors import TypologyError

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent

INDICATORS_DIR = ROOT / "indicators"
CATALOG = INDICATORS_DIR / "catalog.yaml"
SOURCES_DIR = INDICATORS_DIR / "sources"
SOURCES_META = SOURCES_DIR / "sources.yaml"
VARIABLES = INDICATORS_DIR / "data" / "variables.csv"
BUILD_LOG = INDICATORS_DIR / "data" / "build_log.csv"

BOUNDARIES_DIR = ROOT / "boundaries"
UNITS = BOUNDARIES_DIR / "units.csv"
SIDO = BOUNDARIES_DIR / "sido.csv"
CROSSWALK = BOUNDARIES_DIR / "crosswalk_adm2_localgov.csv"
ADMIN_CHANGES = BOUNDARIES_DIR / "admin_changes.csv"
GEOMETRY = BOUNDARIES_DIR / "units_2020_simplified.geojson"
SIDO_GEOMETRY = BOUNDARIES_DIR / "sido_2020_simplified.geojson"

CONFIGS_DIR = ROOT / "configs"
DEFAULT_CONFIG = CONFIGS_DIR / "default.yaml"


def require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise TypologyError(f"{path}: {what} not found (expected a file shipped with the project)")
    return path
