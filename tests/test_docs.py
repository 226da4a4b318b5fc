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
    # mkdocs in a process of its own: mkdocstrings imports the package afresh, as on the docs server.
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr

    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert 'id="typology.api.results.Results"' in api
    assert 'id="typology.api.loaders.load"' in api
    assert 'id="typology.api.timeseries.run_panel"' in api

    # The README's picture and every page of the nav are in the site.
    assert (site / "img" / "map_type.png").is_file()
    assert 'id="typology.api.runs.compare_runs"' in api and 'id="typology.api.transitions.transition_matrix"' in api
    assert 'id="typology.typologies.gap.Gap"' in api and 'id="typology.typologies.gap_geometry.dimension_gap"' in api
    assert 'id="typology.api.analyses.Analyses.gap_to"' in api and 'id="typology.api.results.Results.region"' in api
    assert api.count("Parameters") >= 10 and api.count("Examples") >= 10  # numpydoc sections rendered
    # Results' lookups and the RunResult table are documented with their sections, and no private field shows.
    for name in ("Results.dimension_name", "Results.type_key", "Results.by_code"):
        at = api.index(f'id="typology.api.results.{name}"')
        assert "Returns" in api[at:at + 4000] and "Examples" in api[at:at + 6000], name
    assert "_cache" not in api
    for page in ("ko/quickstart", "ko/types",
                 "quickstart", "configs", "tables", "methods/scoring", "methods/types", "methods/stability",
                 "methods/uncertainty", "data", "outputs", "notebooks", "performance", "layout"):
        assert (site / page / "index.html").is_file(), page


def test_korean_pages_cite_the_study_and_docs_name_no_internal_issues(tmp_path: Path) -> None:
    import re

    types = (ROOT / "docs" / "ko" / "types.md").read_text(encoding="utf-8")
    assert "최지민·강영주" in types and "문제해결형 사회혁신 실현방안" in types and "https://www.krila.re.kr" in types
    for word in ("사회주도형", "자원결합형", "정책 패키지", "194곳", "구례군"):
        assert word in types
    quick = (ROOT / "docs" / "ko" / "quickstart.md").read_text(encoding="utf-8")
    assert "typology run" in quick and 'gap_to("전주시", "사회주도형")' in quick
    pages = [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"]
    cited = [(p.name, m.group(0)) for p in pages
             for m in re.finditer(r"\bissues? ?#?\d+\b", p.read_text(encoding="utf-8"), re.IGNORECASE)]
    assert cited == []
    # The uncertainty page quotes the command its figures come from.
    uncertainty = (ROOT / "docs" / "methods" / "uncertainty.md").read_text(encoding="utf-8")
    assert "typology uncertainty --n 500 --backend sequential" in uncertainty and "구례군" in uncertainty
