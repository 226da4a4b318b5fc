"""The documentation site builds without warnings and documents the notebook API.

Needs the `docs` extra (`pip install -e '.[docs]'`); skipped without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("material")  # mkdocs-material
pytest.importorskip("mkdocstrings")
pytest.importorskip("mkdocstrings_handlers.python")

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr

    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert 'id="typology.api.results.Results"' in api
    assert 'id="typology.api.results.load"' in api
    assert 'id="typology.api.timeseries.run_panel"' in api

    # The README's picture and every page of the nav are in the site.
    assert (site / "img" / "map_type.png").is_file()
    for page in ("quickstart", "configs", "tables", "methods/scoring", "methods/types", "methods/stability",
                 "methods/uncertainty", "data", "outputs", "notebooks", "performance", "layout"):
        assert (site / page / "index.html").is_file(), page
